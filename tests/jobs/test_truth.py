"""Reviewers who always answer the truth get every output line right: no answer lands on another object.

Guards against an answer being stored under the wrong data object (a token naming one object while
the task shows another, consolidation joining answers to the wrong ids, or output lines shifted
against the manifest) while several reviewers claim, release and answer at once over HTTP and a
real Celery worker refills the queue (MaxConcurrentTaskCount is small).
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from tests.conftest import wait_until
from tests.jobs.helpers import TEXT_TEMPLATE, Bot, categories_doc, job_request
from tests.jobs.test_e2e import BUCKET, finished, job_worker, read_lines, s3  # noqa: F401 - fixtures
from tests.support import resources as R

LABELS = ("Positive", "Negative", "Neutral")


def _manifest(n: int) -> tuple[bytes, list[dict]]:
    """n text objects whose class is part of the text, with a blank and a bad line a third of the way in."""
    truth = np.random.default_rng(n).integers(0, len(LABELS), n)
    rows = [{"source": f"row {i} is {LABELS[c]}", "row": i, "truth": LABELS[c]} for i, c in enumerate(truth)]
    lines = [json.dumps(r) for r in rows]
    lines[n // 3:n // 3] = ["", "not json"]  # shifts every later object's id off its row number
    return "\n".join(lines).encode(), rows


@pytest.mark.parametrize("n,workers,bots", [(360, 1, 3), (96, 3, 4)])
def test_truth_answering_bots_get_every_line_right(sm, service, s3, job_worker, n, workers, bots):  # noqa: F811
    group = R.unique("truth")
    team_arn, ui_arn = R.create_team(sm, groups=(group,))[1], R.create_ui(sm, template=TEXT_TEMPLATE)[1]
    body, rows = _manifest(n)
    name = R.unique("truth")
    s3.put_object(Bucket=BUCKET, Key=f"in/{name}.manifest", Body=body)
    s3.put_object(Bucket=BUCKET, Key=f"in/{name}-cats.json", Body=categories_doc(*LABELS))
    sm.create_labeling_job(**job_request(
        name, team_arn, ui_arn, manifest=f"s3://{BUCKET}/in/{name}.manifest",
        categories=f"s3://{BUCKET}/in/{name}-cats.json", output=f"s3://{BUCKET}/out", workers=workers,
        MaxConcurrentTaskCount=4))
    shown: list[tuple[int, str]] = []
    released: set[int] = set()
    lock = threading.Lock()
    errors: list[str] = []

    def hand_back(oid: int, turn: int) -> bool:
        # each object is handed back at most once, so one spare reviewer always finishes it
        with lock:
            if turn % 7 or oid in released:
                return False
            released.add(oid)
            return True

    def work(bot: Bot, stop: threading.Event):
        # the bot reads the class from the task it is shown; every 7th task it hands back instead,
        # so assignments also go back on the queue and are answered by another reviewer (the job has
        # one reviewer more than NumberOfHumanWorkersPerDataObject)
        turn = 0
        while not stop.is_set():
            task = bot.claim()
            if task is None:
                stop.wait(0.05)
                continue
            text = task["input"]["taskObject"]
            shown.append((int(task["datasetObjectId"]), text))
            turn += 1
            if hand_back(int(task["datasetObjectId"]), turn):
                resp = bot.http.post(f"{bot.url}/{task['token']}/release", json={}, timeout=10)
            else:
                resp = bot.submit(task["token"], {"crowd-classifier": {"label": text.rsplit(" ", 1)[1]}})
            if resp.status_code != 200:
                errors.append(resp.text)

    stop = threading.Event()
    team = [Bot(service, R.unique("truth-bot"), [group]) for _ in range(bots)]
    threads = [threading.Thread(target=work, args=(b, stop), daemon=True) for b in team]
    for t in threads:
        t.start()
    try:
        d = wait_until(lambda: finished(sm, name), timeout=120, interval=0.3, message="the job to finish")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
    assert d["LabelingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["LabelCounters"]["HumanLabeled"] == n
    assert released
    # each task showed the object its datasetObjectId names (ids are manifest line positions: the
    # blank and the bad line push later objects two places on)
    position = {i if i < n // 3 else i + 2: r["source"] for i, r in enumerate(rows)}
    assert all(position[oid] == text for oid, text in shown)
    lines = read_lines(s3, f"out/{name}/manifests/output/output.manifest")
    assert [x["row"] for x in lines] == list(range(n))
    wrong = [(x["row"], x["truth"], x["sentiment-metadata"]["class-name"]) for x in lines
             if x["sentiment-metadata"]["class-name"] != x["truth"] or x["sentiment"] != LABELS.index(x["truth"])]
    assert wrong == []
    assert all(x["sentiment-metadata"]["human-annotated"] == "yes" for x in lines)
