"""Agreement and estimated accuracy per reviewer and per flow, as recorded from the flow's completed loops.

The numbers are computed off the request path (services/flow_quality.py); a page view or a /metrics
scrape reads one summary per flow it shows.
"""

from __future__ import annotations

import dataclasses

from hitl_service.services.context import ServiceContext

MAX_FLOWS = 50   # flows a console page (and a /metrics scrape) shows agreement for


@dataclasses.dataclass(frozen=True)
class ReviewerQuality:
    worker_id: str
    name: str
    answers: int
    agreement: float | None
    accuracy: float | None


@dataclasses.dataclass(frozen=True)
class FlowQuality:
    flow: str
    team: str
    loops: int
    answers: int
    method: str
    krippendorff_alpha: float | None
    mean_confidence: float | None
    reviewers: list[ReviewerQuality]


def flow_quality(ctx: ServiceContext, teams: frozenset[str], names: dict[str, str],
                 max_flows: int = MAX_FLOWS) -> list[FlowQuality]:
    """Per flow of ``teams`` (the first ``max_flows``, through the per-team flow sets): its recorded summary."""
    flows = [f for f in ctx.store.resources.flows_of_teams(sorted(teams), ("name", "arn", "team", "id"), max_flows)
             if f["arn"] is not None and f["id"] is not None]
    out = []
    for flow, q in zip(flows, ctx.store.quality.flow_summaries([(f["team"], f["id"]) for f in flows])):
        if q is None:
            continue
        reviewers = [ReviewerQuality(worker_id=r.worker_id, name=names.get(r.worker_id, r.worker_id),
                                     answers=r.answers, agreement=r.agreement, accuracy=r.accuracy)
                     for r in q.reviewers]
        out.append(FlowQuality(flow=flow["name"], team=flow["team"], loops=q.objects, answers=q.answers,
                               method=q.method, krippendorff_alpha=q.krippendorff_alpha,
                               mean_confidence=q.mean_confidence, reviewers=reviewers))
    return out
