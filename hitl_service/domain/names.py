"""ARNs and resource names, as the SageMaker/A2I models spell them."""

from __future__ import annotations

import dataclasses
import re

_ARN = re.compile(r"arn:aws[a-z\-]*:sagemaker:([a-z0-9\-]*):([0-9]{12}):(flow-definition|human-loop|human-task-ui|workteam)/(.*)")


@dataclasses.dataclass(frozen=True)
class ArnFactory:
    """Builds ARNs for one configured region and account."""

    region: str
    account_id: str

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{kind}/{name}"

    def flow_definition(self, name: str) -> str:
        return self._arn("flow-definition", name)

    def human_loop(self, name: str) -> str:
        return self._arn("human-loop", name)

    def human_task_ui(self, name: str) -> str:
        return self._arn("human-task-ui", name)

    def labeling_job(self, name: str) -> str:
        return self._arn("labeling-job", name.lower())

    def workteam(self, name: str) -> str:
        return self._arn("workteam", f"private-crowd/{name}")

    def workforce(self, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:workforce/{name}"


def name_from_arn(arn: str, kind: str) -> str | None:
    """The resource name in an ARN of ``kind`` (e.g. 'flow-definition'), or None if it is not one."""
    m = _ARN.fullmatch(arn)
    if not m or m.group(3) != kind:
        return None
    name = m.group(4)
    if kind == "workteam":
        _, _, name = name.rpartition("/")
    return name or None
