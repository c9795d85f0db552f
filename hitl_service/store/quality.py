"""Quality numbers of labeling jobs and A2I flows, kept after their answers leave Redis: a capped window
of recent consolidated objects' (completed loops') answers and the summary computed from it.

A job's summary is written at consolidation time; a flow's by the periodic quality refresh for the flows
whose window changed (services/flow_quality.py). The console and /metrics only read summaries: of the
newest jobs (``JobStore.recent_jobs``, a bounded page of the creation index) and of a bounded page of flows.
"""

from __future__ import annotations

import dataclasses
import json

from hitl_service.store import keys
from hitl_service.store.base import Part


@dataclasses.dataclass(frozen=True)
class ReviewerScore:
    """One reviewer's share of a job's window: answers, agreement with the consensus, estimated accuracy."""

    worker_id: str
    answers: int
    agreement: float | None
    accuracy: float | None


@dataclasses.dataclass(frozen=True)
class QualitySummary:
    """A job's agreement numbers over its quality window (None: too little overlap to say)."""

    objects: int
    answers: int
    method: str
    krippendorff_alpha: float | None
    fleiss_kappa: float | None
    mean_confidence: float | None
    reviewers: tuple[ReviewerScore, ...]
    updated_ms: int

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> "QualitySummary":
        doc = json.loads(raw)
        doc["reviewers"] = tuple(ReviewerScore(**r) for r in doc.get("reviewers", []))
        return cls(**doc)


class QualityStore(Part):
    """Typed access to the quality windows and summaries of labeling jobs and of A2I flows."""

    def add_to_window(self, name: str, rows: dict[int, str], now_ms: int, cap: int) -> int:
        """Add consolidated objects' answers (once each) to the job's window, capped at ``cap``; how many were new."""
        if not rows:
            return 0
        flat = [x for oid, row in rows.items() for x in (oid, row)]
        return int(self.scripts.quality_window(keys=keys.job_quality_window(name), args=[cap, now_ms, "", *flat]))

    def window(self, name: str) -> list[str]:
        """The answers of every object in the job's window (at most its cap)."""
        return list(self.r.hvals(keys.job_quality_window(name)[1]))

    def save(self, name: str, quality: QualitySummary) -> None:
        self.r.set(keys.job_quality(name), quality.to_json())

    def summaries(self, names: list[str]) -> list[QualitySummary | None]:
        """The quality summary of each named job (None: nothing consolidated yet)."""
        if not names:
            return []
        return [QualitySummary.from_json(raw) if raw else None
                for raw in self._each(keys.job_quality(n) for n in names)]

    def _each(self, key_list) -> list:
        # one GET per key in a pipeline: the keys lie in different slots (one per job)
        pipe = self.r.pipeline(transaction=False)
        for k in key_list:
            pipe.get(k)
        return pipe.execute()

    # ---- flows: in the team's slot, keyed by the flow's id (a re-created flow starts empty) ----

    def add_flow_loop(self, team: str, flow_id: str, loop: str, row: str, now_ms: int, cap: int) -> bool:
        """Add a completed loop's answers (once) to its flow's window and mark the flow for a refresh."""
        return bool(self.scripts.quality_window(
            keys=[*keys.flow_quality_window(team, flow_id), keys.team_quality_dirty(team)],
            args=[cap, now_ms, flow_id, loop, row]))

    def take_dirty_flows(self, team: str, limit: int) -> list[str]:
        """Up to ``limit`` ids of the team's flows whose window changed (taken: a second call gets others)."""
        return list(self.r.spop(keys.team_quality_dirty(team), limit) or [])

    def mark_flow_dirty(self, team: str, flow_id: str) -> None:
        """Ask for the flow's summary to be rebuilt again (a refresh that failed gives its flow back)."""
        self.r.sadd(keys.team_quality_dirty(team), flow_id)

    def flow_window(self, team: str, flow_id: str) -> list[str]:
        """The answers of every loop in the flow's window (at most its cap)."""
        return list(self.r.hvals(keys.flow_quality_window(team, flow_id)[1]))

    def save_flow(self, team: str, flow_id: str, quality: QualitySummary) -> None:
        self.r.set(keys.flow_quality(team, flow_id), quality.to_json())

    def flow_summaries(self, flows: list[tuple[str, str]]) -> list[QualitySummary | None]:
        """The quality summary of each (team, flow id) (None: no loop of it completed yet)."""
        if not flows:
            return []
        return [QualitySummary.from_json(raw) if raw else None
                for raw in self._each(keys.flow_quality(t, f) for t, f in flows)]
