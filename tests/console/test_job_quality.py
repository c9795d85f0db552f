"""A labeling job's quality window and summary in Redis (single server and Cluster): bounded, each object once."""

from __future__ import annotations

import json

import krippendorff
import numpy as np

from hitl_service.domain.labeling import TaskType
from hitl_service.jobs import quality
from hitl_service.jobs.consolidate import ObjectAnswers
from hitl_service.store import keys
from tests.store.conftest import redis_cluster, store  # noqa: F401 - the store tests' fixtures


def rows(first: int, n: int) -> dict[int, str]:
    return {i: json.dumps([["w1", "A"], ["w2", "A" if i % 3 else "B"]]) for i in range(first, first + n)}


def test_window_takes_each_object_once_and_keeps_the_newest(store):  # noqa: F811
    assert store.quality.add_to_window("Job-1", rows(0, 5), now_ms=1, cap=8) == 5
    assert store.quality.add_to_window("job-1", rows(0, 5), now_ms=2, cap=8) == 0  # a retried batch
    assert store.quality.add_to_window("job-1", rows(5, 6), now_ms=3, cap=8) == 6
    window = store.quality.window("job-1")
    assert len(window) == 8 and len(store.client.zrange(keys.job_quality_window("job-1")[0], 0, -1)) == 8
    assert sorted(int(m) for m in store.client.zrange(keys.job_quality_window("job-1")[0], 0, -1)) == list(range(3, 11))


def test_summary_is_the_quality_report_of_the_window(store):  # noqa: F811
    store.quality.add_to_window("job-2", rows(0, 9), now_ms=1, cap=100)
    summary = quality.summarize(store.quality.window("job-2"), 7)
    table = np.array([[2, 0] if i % 3 else [1, 1] for i in range(9)])
    assert summary.objects == 9 and summary.answers == 18 and summary.updated_ms == 7
    assert summary.krippendorff_alpha == round(krippendorff.alpha(value_counts=table, level_of_measurement="nominal"), 4)
    store.quality.save("job-2", summary)
    store.jobs.create("job-2", 5, {"name": "job-2", "status": "InProgress", "team": "t", "total": 9})
    store.jobs.create("job-3", 6, {"name": "job-3", "status": "InProgress", "team": "t", "total": 1})
    # newest first, a bounded page; jobs without a summary get None
    assert [j["name"] for j in store.jobs.recent_jobs(1)] == ["job-3"]
    assert store.quality.summaries(["job-2", "job-3"]) == [summary, None]
    assert [r["total"] for r in store.jobs.recent_jobs(5)] == ["1", "9"]


def test_answer_rows_per_task_type():
    batch = [ObjectAnswers(4, [{"workerId": "a", "answerContent": {"crowd-classifier": {"label": "cat"}}},
                               {"workerId": "b", "answerContent": {"crowd-classifier": {"label": "dog"}}}]),
             ObjectAnswers(5, [{"workerId": "a", "answerContent": {"nothing": 1}}])]
    assert quality.answer_rows(TaskType.IMAGE_CLASSIFICATION, batch) == {4: '[["a","cat"],["b","dog"]]'}
    multi = [ObjectAnswers(1, [{"workerId": "a", "answerContent": {"m": {"labels": ["y", "x"]}}}])]
    assert quality.answer_rows(TaskType.TEXT_CLASSIFICATION_MULTILABEL, multi) == {1: '[["a","x|y"]]'}
    assert quality.answer_rows(TaskType.BOUNDING_BOX, batch) == {}


def test_flow_window_marks_its_flow_for_one_refresh_per_change(store):  # noqa: F811
    row = json.dumps([["w1", '{"label":"A"}'], ["w2", '{"label":"B"}']])
    for i in range(5):
        assert store.quality.add_flow_loop("team-a", "fid-1", f"loop-{i}", row, now_ms=i, cap=3)
    assert not store.quality.add_flow_loop("team-a", "fid-1", "loop-4", row, now_ms=9, cap=3)  # finalize ran twice
    assert len(store.quality.flow_window("team-a", "fid-1")) == 3          # capped: the newest three loops
    assert store.quality.take_dirty_flows("team-a", 10) == ["fid-1"]       # five loops, one refresh
    assert store.quality.take_dirty_flows("team-a", 10) == []
    summary = quality.summarize(store.quality.flow_window("team-a", "fid-1"), 5)
    store.quality.save_flow("team-a", "fid-1", summary)
    assert store.quality.flow_summaries([("team-a", "fid-1"), ("team-a", "fid-2")]) == [summary, None]
    assert summary.objects == 3 and summary.answers == 6 and summary.krippendorff_alpha is not None
