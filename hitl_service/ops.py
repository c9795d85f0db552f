"""Ops endpoints: /healthz and Prometheus /metrics (read from Redis, so every process agrees)."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from hitl_service.domain.timefmt import now_ms
from hitl_service.extensions import current_ctx
from hitl_service.domain.states import LoopStatus
from hitl_service.console.metrics import QualityCollector
from hitl_service.jobs.metrics import JobsCollector

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)

STATUSES = tuple(s.value for s in LoopStatus)


@bp.get("/healthz")
def healthz():
    ctx = current_ctx()
    try:
        ctx.store.ping()
    except Exception as exc:  # noqa: BLE001 - health reports any Redis failure
        # degraded: the API answers but cannot reach its store; the error names the Redis host and
        # port, which go to the log, not to whoever asks
        log.warning("health check failed error=%s", exc)
        return {"status": "degraded", "redis": "unreachable"}, 503
    return {"status": "ok"}


class RedisCollector:
    """Collects the service's metrics from Redis at scrape time."""

    def __init__(self, ctx):
        self.ctx = ctx

    def collect(self):
        from hitl_service.services.review import CLAIM_BUCKETS_MS, queue_overview

        store = self.ctx.store
        stats = store.stats.read()
        loops = GaugeMetricFamily("hitl_loops", "Human loops by status", labels=["status"])
        for status in LoopStatus:
            loops.add_metric([status.value], stats.loops.get(status, 0))
        yield loops
        teams = store.resources.team_names()
        depth = GaugeMetricFamily("hitl_queue_depth", "Assignments waiting per workteam", labels=["workteam"])
        age = GaugeMetricFamily("hitl_queue_oldest_age_seconds", "Age of the oldest waiting loop per workteam",
                                labels=["workteam"])
        for row in queue_overview(self.ctx, teams):
            depth.add_metric([row["workteam"]], row["waiting"])
            age.add_metric([row["workteam"]], row["oldestAgeSeconds"] or 0)
        yield depth
        yield age
        yield GaugeMetricFamily("hitl_leases_out", "Assignments leased to reviewers", value=stats.leases)
        yield GaugeMetricFamily("hitl_route_backlog", "Loops stored but not yet routed", value=stats.route_backlog)
        yield GaugeMetricFamily("hitl_outputs_pending", "Loops waiting for output.json to be written",
                                value=stats.outputs_pending)
        oldest = stats.oldest_pending_ms
        yield GaugeMetricFamily("hitl_outputs_pending_oldest_age_seconds", "Age of the oldest pending output",
                                value=max(0.0, (now_ms() - oldest) / 1000) if oldest else 0.0)
        counters = stats.counters
        for name, help_text in (("claims", "Assignments claimed"), ("submits", "Answers submitted"),
                                ("lease_expiries", "Leases that expired"), ("releases", "Assignments released"),
                                ("output_write_failures", "Failed output.json writes")):
            c = CounterMetricFamily(f"hitl_{name}", help_text)
            c.add_metric([], counters.get(name, 0))
            yield c
        raw = store.queues.claim_histogram()
        cumulative, buckets = 0, []
        for b in CLAIM_BUCKETS_MS:
            cumulative += int(raw.get(str(b), 0))
            buckets.append((str(b / 1000), cumulative))
        cumulative += int(raw.get("+Inf", 0))
        buckets.append(("+Inf", cumulative))
        h = HistogramMetricFamily("hitl_claim_latency_seconds", "Time to claim an assignment")
        h.add_metric([], buckets, sum_value=float(raw.get("sum", 0)))
        yield h


@bp.get("/metrics")
def metrics():
    token = current_ctx().settings.metrics_token
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return Response("A bearer token is required for /metrics\n", status=401, content_type="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    registry = CollectorRegistry()
    registry.register(RedisCollector(current_ctx()))
    registry.register(JobsCollector(current_ctx()))
    registry.register(QualityCollector(current_ctx()))
    return Response(generate_latest(registry), content_type="text/plain; version=0.0.4; charset=utf-8")
