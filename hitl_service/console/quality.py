"""Agreement and estimated accuracy per reviewer and per flow, from the answers of recent loops.

Each distinct answer (answerContent as canonical JSON) is one class, so classification tasks get
real agreement numbers and free-text tasks show that reviewers rarely write the same thing.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from hitl_service.consolidation.classes import ClassAnnotations, consolidate_classes
from hitl_service.consolidation.report import quality_report
from hitl_service.services import loops
from hitl_service.services.context import ServiceContext

MAX_LOOPS = 100
MAX_FLOWS = 50   # flows a console page (and a /metrics scrape) computes agreement for


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


def _flows_of(ctx: ServiceContext, teams: frozenset[str], max_flows: int) -> list[dict]:
    """Up to ``max_flows`` flows of ``teams`` through the per-team flow sets (never a walk over every flow)."""
    rows = ctx.store.resources.flows_of_teams(sorted(teams), ("name", "arn", "team", "status"), max_flows)
    return [r for r in rows if r["arn"] is not None]


def _answers(ctx: ServiceContext, flow: dict, max_loops: int) -> list[tuple[str, list[dict]]]:
    page, _ = loops.list_human_loops(ctx, {"FlowDefinitionArn": flow["arn"], "MaxResults": max_loops,
                                           "SortOrder": "Descending"})
    out = []
    for loop in page:
        answers = ctx.store.loops.answers(loop["name"], flow["team"])
        if answers:
            out.append((loop["name"], answers))
    return out


def flow_quality(ctx: ServiceContext, teams: frozenset[str], names: dict[str, str],
                 max_loops: int = MAX_LOOPS, max_flows: int = MAX_FLOWS) -> list[FlowQuality]:
    """Per flow of ``teams`` (the first ``max_flows``): consolidate the newest loops' answers, agreement per reviewer."""
    out = []
    for flow in _flows_of(ctx, teams, max_flows):
        per_loop = _answers(ctx, flow, max_loops)
        if not per_loop:
            continue
        workers: dict[str, int] = {}
        classes: dict[str, int] = {}
        item, worker, label = [], [], []
        for i, (_, answers) in enumerate(per_loop):
            for a in answers:
                item.append(i)
                worker.append(workers.setdefault(a["workerId"], len(workers)))
                key = json.dumps(a["answerContent"], sort_keys=True, separators=(",", ":"))
                label.append(classes.setdefault(key, len(classes)))
        ann = ClassAnnotations(item=np.array(item, dtype=np.int64), worker=np.array(worker, dtype=np.int64),
                               label=np.array(label, dtype=np.int64), n_items=len(per_loop),
                               n_workers=len(workers), n_classes=max(len(classes), 2))  # one answer kind: still two classes
        report = quality_report(ann, consolidate_classes(ann), worker_ids=list(workers), name=flow["name"])
        reviewers = [ReviewerQuality(worker_id=r["workerId"], name=names.get(r["workerId"], r["workerId"]),
                                     answers=r["answers"], agreement=r["agreementWithConsensus"],
                                     accuracy=r["estimatedAccuracy"]) for r in report["workers"]]
        out.append(FlowQuality(flow=flow["name"], team=flow["team"], loops=len(per_loop), answers=report["answers"],
                               method=report["method"], krippendorff_alpha=report["agreement"]["krippendorffAlpha"],
                               mean_confidence=report["confidence"]["mean"], reviewers=reviewers))
    return out
