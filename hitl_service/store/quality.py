"""Quality numbers of labeling jobs, kept after their answers leave Redis: a capped window of recent
consolidated objects' answers and the summary computed from it (written at consolidation time).

The console and /metrics read the summaries of the newest jobs only (``JobStore.recent_jobs``, a
bounded page of the creation index), never every job.
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
class JobQuality:
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
    def from_json(cls, raw: str) -> "JobQuality":
        doc = json.loads(raw)
        doc["reviewers"] = tuple(ReviewerScore(**r) for r in doc.get("reviewers", []))
        return cls(**doc)


class QualityStore(Part):
    """Typed access to the jobs' quality windows and summaries."""

    def add_to_window(self, name: str, rows: dict[int, str], now_ms: int, cap: int) -> int:
        """Add consolidated objects' answers (once each) to the job's window, capped at ``cap``; how many were new."""
        if not rows:
            return 0
        flat = [x for oid, row in rows.items() for x in (oid, row)]
        return int(self.scripts.quality_window(keys=keys.job_quality_window(name), args=[cap, now_ms, *flat]))

    def window(self, name: str) -> list[str]:
        """The answers of every object in the job's window (at most its cap)."""
        return list(self.r.hvals(keys.job_quality_window(name)[1]))

    def save(self, name: str, quality: JobQuality) -> None:
        self.r.set(keys.job_quality(name), quality.to_json())

    def summaries(self, names: list[str]) -> list[JobQuality | None]:
        """The quality summary of each named job (None: nothing consolidated yet)."""
        if not names:
            return []
        return [JobQuality.from_json(raw) if raw else None
                for raw in self._each(keys.job_quality(n) for n in names)]

    def _each(self, key_list) -> list:
        # one GET per key in a pipeline: the keys lie in different slots (one per job)
        pipe = self.r.pipeline(transaction=False)
        for k in key_list:
            pipe.get(k)
        return pipe.execute()
