"""docs/workforce.md's boto3 example runs as printed against the service."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import ACCESS_KEY, ROOT, SECRET_KEY


def test_create_workforce_example_works_as_printed(wf_service, wf_sm):
    text = (ROOT / "docs" / "workforce.md").read_text()
    example = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    env = dict(os.environ, HITL_URL=wf_service.url, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    out = subprocess.run([sys.executable, "-c", example], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["arn:aws:sagemaker:us-east-1:123456789012:workforce/acme-reviewers",
                                       "Active ['10.0.0.0/8', '127.0.0.0/8']"]
    team = wf_sm.describe_workteam(WorkteamName="support-tier1")["Workteam"]
    assert team["MemberDefinitions"] == [{"OidcMemberDefinition": {"Groups": ["support"]}}]
