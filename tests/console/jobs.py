"""A labeling job run end to end for the console tests: real boto3, a real Celery worker, bot reviewers."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import wait_until
from tests.jobs.helpers import TEXT_TEMPLATE, Bot, categories_doc, job_request
from tests.support.resources import create_team, create_ui

OBJECTS = 6
# what each bot answers for "text <i>": amy always Positive, cy always Negative, ben with amy except on text 0
PICKS = {"amy": lambda i: "Positive", "ben": lambda i: "Negative" if i == 0 else "Positive",
         "cy": lambda i: "Negative"}


def expected_table() -> list[list[int]]:
    """Answers per object as (Positive, Negative) counts: what the agreement numbers are computed from."""
    return [[sum(PICKS[b](i) == label for b in PICKS) for label in ("Positive", "Negative")] for i in range(OBJECTS)]


def run_job(svc, worker_factory, name: str = "console-job", team: str = "label-team") -> dict[str, Bot]:
    """Create a 3-reviewer text classification job and have three bots answer all of it; the bots by name."""
    sm = svc.client("sagemaker")
    bucket = f"{name}-data"
    root = Path(svc.settings.data_dir) / "s3" / bucket
    root.mkdir(parents=True, exist_ok=True)
    (root / "in.manifest").write_text("".join(json.dumps({"source": f"text {i}"}) + "\n" for i in range(OBJECTS)))
    (root / "cats.json").write_bytes(categories_doc("Positive", "Negative"))
    _, ui_arn = create_ui(sm, template=TEXT_TEMPLATE)
    _, team_arn = create_team(sm, name=team, groups=["labelers"])
    sm.create_labeling_job(**job_request(name, team_arn, ui_arn, workers=3, manifest=f"s3://{bucket}/in.manifest",
                                         categories=f"s3://{bucket}/cats.json", output=f"s3://{bucket}/out"))
    worker_factory(svc.settings, beat=True)
    return {who: Bot(svc, who, ["labelers"], password="password123") for who in PICKS}


def answer_everything(bots: dict[str, Bot]) -> None:
    """Each bot answers every object of the job (as soon as the worker has ingested them)."""
    for who, bot in bots.items():
        done = [0]

        def work(bot=bot, pick=PICKS[who], done=done):
            done[0] += bot.work(lambda t: {"crowd-classifier": {
                "label": pick(int(t["input"]["taskObject"].split()[-1]))}})
            return done[0] == OBJECTS

        wait_until(work, timeout=60, interval=0.2, message=f"{who} answering every object")
