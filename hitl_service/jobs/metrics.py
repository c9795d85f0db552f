"""Prometheus metrics of labeling jobs, read from Redis at scrape time (registered by ops /metrics).

A scrape reads only the jobs that are running or ended within WINDOW_MS (the recent-jobs index,
at most MAX_JOBS of them), so its cost does not grow with the number of jobs ever created.
"""

from __future__ import annotations

from collections import Counter

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from hitl_service.domain.labeling import LabelingJobStatus
from hitl_service.domain.timefmt import now_ms
from schemas.labeling import label_counters

WINDOW_MS = 24 * 3600 * 1000
MAX_JOBS = 500


class JobsCollector:
    """Recent jobs by status; per recent job objects by state and answers so far (rate() per minute)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def collect(self):
        store = self.ctx.store.jobs
        names = store.recently_touched(now_ms() - WINDOW_MS, MAX_JOBS)
        jobs = [j for j in store.summaries(names) if j is not None]
        by_status = GaugeMetricFamily("hitl_labeling_jobs",
                                      "Labeling jobs running or ended in the last 24 hours, by status",
                                      labels=["status"])
        counts = Counter(j["status"] for j in jobs)
        for status in LabelingJobStatus:
            by_status.add_metric([status.value], counts.get(status.value, 0))
        yield by_status
        objects = GaugeMetricFamily("hitl_labeling_job_objects", "Data objects of a labeling job by state",
                                    labels=["job", "state"])
        answers = CounterMetricFamily("hitl_labeling_job_answers", "Answers reviewers submitted to a job",
                                      labels=["job"])
        for job, progress in zip(jobs, store.progress([j["name"] for j in jobs])):
            c = label_counters(job)
            for state, value in (("labeled", c["HumanLabeled"]), ("failed", c["FailedNonRetryableError"]),
                                 ("unlabeled", c["Unlabeled"]), ("out", progress["out"]),
                                 ("pending", progress["pending"]), ("consolidating", progress["answered"])):
                objects.add_metric([job["name"], state], value)
            answers.add_metric([job["name"]], progress["answers"])
        yield objects
        yield answers
