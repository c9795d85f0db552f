"""Where the console reads progress of work other packages own (labeling jobs plug in here)."""

from __future__ import annotations

import dataclasses
from typing import Protocol


@dataclasses.dataclass(frozen=True)
class Progress:
    """One unit of work with a status and how far along it is (a labeling job, say)."""

    kind: str
    name: str
    status: str
    done: int
    total: int
    team: str = ""
    failed: int = 0
    quality: object = None    # the source's quality numbers (a labeling job's QualitySummary), if any

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 0.0


class ProgressSource(Protocol):
    """Lists progress rows; called with the ServiceContext at each console page view."""

    def __call__(self, ctx) -> list[Progress]: ...


EXTENSION = "hitl_console_sources"


def register(app, source: ProgressSource) -> None:
    """Add a source (e.g. the jobs package's labeling jobs) to the app's console."""
    app.extensions.setdefault(EXTENSION, []).append(source)


def unregister(app, source: ProgressSource) -> None:
    """Take one source off the app's console again (the others, e.g. labeling jobs, stay)."""
    registered = app.extensions.get(EXTENSION, [])
    if source in registered:
        registered.remove(source)


def collect(app, ctx) -> list[Progress]:
    rows: list[Progress] = []
    for source in app.extensions.get(EXTENSION, []):
        rows.extend(source(ctx))
    return rows


def as_json(row: Progress, names: dict[str, str]) -> dict:
    """A progress row as JSON (the API and `hitl console --json`), reviewers' names beside their worker ids."""
    out = dict(dataclasses.asdict(row), percent=row.percent)
    for r in (out.get("quality") or {}).get("reviewers", []):
        r["name"] = names.get(r["worker_id"], r["worker_id"])
    return out
