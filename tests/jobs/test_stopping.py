"""StoppingConditions end to end: MaxPercentageOfInputDatasetLabeled caps what reviewers are given."""

from __future__ import annotations

from tests.conftest import wait_until
from tests.jobs.helpers import Bot
from tests.jobs.test_e2e import finished, job_worker, read_lines, s3, start_text_job  # noqa: F401
from tests.support import resources as R


def test_max_percentage_of_the_dataset_caps_the_objects_handed_out(sm, service, s3, job_worker):  # noqa: F811
    name, group = start_text_job(sm, s3, "percent", 10, stopping={"MaxPercentageOfInputDatasetLabeled": 30})
    bots = [Bot(service, R.unique(f"pct{i}"), [group]) for i in range(2)]
    answered = []

    def work():
        answered.extend(b.work(lambda t: {"crowd-classifier": {"label": "A"}}) for b in bots)
        return finished(sm, name)

    d = wait_until(work, timeout=60, interval=0.2, message="the capped job to finish")
    assert sum(answered) == 3  # 30% of 10 objects, then nothing more is handed out
    assert d["LabelingJobStatus"] == "Completed"
    assert d["LabelCounters"]["HumanLabeled"] == 3 and d["LabelCounters"]["Unlabeled"] == 7
    lines = read_lines(s3, f"out/{name}/manifests/output/output.manifest")
    assert len(lines) == 10  # every input line, the unlabelled ones unchanged
    assert sum("sentiment" in x for x in lines) == 3
