"""Prometheus metrics of labeling jobs, read from Redis at scrape time (registered by ops /metrics)."""

from __future__ import annotations

from collections import Counter

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from hitl_service.domain.labeling import LabelingJobStatus
from schemas.labeling import label_counters


class JobsCollector:
    """Jobs by status; per job objects by state and answers so far (rate() gives answers per minute)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def collect(self):
        jobs = self.ctx.store.jobs.all_summaries()
        by_status = GaugeMetricFamily("hitl_labeling_jobs", "Labeling jobs by status", labels=["status"])
        counts = Counter(j["status"] for j in jobs)
        for status in LabelingJobStatus:
            by_status.add_metric([status.value], counts.get(status.value, 0))
        yield by_status
        objects = GaugeMetricFamily("hitl_labeling_job_objects", "Data objects of a labeling job by state",
                                    labels=["job", "state"])
        answers = CounterMetricFamily("hitl_labeling_job_answers", "Answers reviewers submitted to a job",
                                      labels=["job"])
        names = [j["name"] for j in jobs]
        for job, progress in zip(jobs, self.ctx.store.jobs.progress(names)):
            c = label_counters(job)
            for state, value in (("labeled", c["HumanLabeled"]), ("failed", c["FailedNonRetryableError"]),
                                 ("unlabeled", c["Unlabeled"]), ("out", progress["out"]),
                                 ("pending", progress["pending"]), ("consolidating", progress["answered"])):
                objects.add_metric([job["name"], state], value)
            answers.add_metric([job["name"]], progress["answers"])
        yield objects
        yield answers
