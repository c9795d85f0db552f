"""Prometheus gauges of answer quality per labeling job and per A2I flow (registered by ops /metrics).

Bounded per scrape: the recorded summaries (one GET each) of the newest ``MAX_JOBS`` jobs and of the
first ``MAX_FLOWS`` flows; nothing is consolidated while scraping.
"""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from hitl_service.console import quality
from hitl_service.jobs.console import job_progress

MAX_JOBS = 200
MAX_FLOWS = quality.MAX_FLOWS


class QualityCollector:
    """Krippendorff's alpha, Fleiss' kappa and mean confidence per job; alpha and mean confidence per flow."""

    def __init__(self, ctx):
        self.ctx = ctx

    def collect(self):
        alpha = GaugeMetricFamily("hitl_job_agreement_alpha", "Krippendorff's alpha (nominal) of a labeling "
                                  "job's newest consolidated objects", labels=["job", "team"])
        kappa = GaugeMetricFamily("hitl_job_agreement_kappa", "Fleiss' kappa of a labeling job's newest "
                                  "consolidated objects", labels=["job", "team"])
        confidence = GaugeMetricFamily("hitl_job_mean_confidence", "Mean consolidated confidence of a labeling "
                                       "job's newest consolidated objects", labels=["job", "team"])
        for job in job_progress(self.ctx, MAX_JOBS):
            q = job.quality
            if q is None:
                continue
            for family, value in ((alpha, q.krippendorff_alpha), (kappa, q.fleiss_kappa),
                                  (confidence, q.mean_confidence)):
                if value is not None:
                    family.add_metric([job.name, job.team], value)
        yield alpha
        yield kappa
        yield confidence
        flow_alpha = GaugeMetricFamily("hitl_flow_agreement_alpha", "Krippendorff's alpha (nominal) of a flow's "
                                       "newest loops' answers", labels=["flow", "team"])
        flow_conf = GaugeMetricFamily("hitl_flow_mean_confidence", "Mean consolidated confidence of a flow's "
                                      "newest loops", labels=["flow", "team"])
        teams = frozenset(self.ctx.store.resources.team_names())
        for f in quality.flow_quality(self.ctx, teams, {}, max_flows=MAX_FLOWS):
            if f.krippendorff_alpha is not None:
                flow_alpha.add_metric([f.flow, f.team], f.krippendorff_alpha)
            if f.mean_confidence is not None:
                flow_conf.add_metric([f.flow, f.team], f.mean_confidence)
        yield flow_alpha
        yield flow_conf
