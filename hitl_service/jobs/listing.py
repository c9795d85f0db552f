"""ListLabelingJobs and ListLabelingJobsForWorkteam: pages walked along an index, never a scan.

A listing walks one index (all jobs by creation time or by name, or one team's jobs by creation
time) from where its NextToken left off. CreationTime bounds are ranges of the creation indexes;
the other filters (NameContains, StatusEquals, LastModifiedTime*, JobReferenceCodeContains) are
tested on each job the walk passes. One call reads at most SCAN_BUDGET index entries: when the
filters leave a page short before that, the page comes back with what it found and a NextToken
that continues the walk, as AWS's list APIs do, so a call costs the same at 10 jobs or 1M.
SortBy=Status walks the creation index once per status, in status order, with the same budget.
"""

from __future__ import annotations

import json
from typing import Callable

from hitl_service.domain.labeling import LabelingJobStatus
from hitl_service.domain.names import name_from_arn
from hitl_service.domain.pagination import decode_token, encode_token
from hitl_service.domain.timefmt import to_ms
from hitl_service.errors import NotFoundError, ValidationError
from hitl_service.services.context import ServiceContext
from hitl_service.store.jobs import JobIndex

# index entries one call reads at most (each is one HMGET in a pipeline)
SCAN_BUDGET = 1000
# entries read per round trip while walking
CHUNK = 200
STATUS_ORDER = tuple(sorted(s.value for s in LabelingJobStatus))


def _creation_bounds(req: dict) -> tuple[str, str]:
    # CreationTimeAfter is inclusive, CreationTimeBefore exclusive, as in the other listings
    lo = f"[{to_ms(req['CreationTimeAfter']):013d}" if req.get("CreationTimeAfter") is not None else "-"
    hi = f"({to_ms(req['CreationTimeBefore']):013d}" if req.get("CreationTimeBefore") is not None else "+"
    return lo, hi


def _in_window(ms: int, after, before) -> bool:
    if after is not None and ms < to_ms(after):
        return False
    return before is None or ms < to_ms(before)


class _Walk:
    """Collects up to ``limit`` matching jobs along index segments, within one call's budget."""

    def __init__(self, ctx: ServiceContext, limit: int, keep: Callable[[dict], bool]):
        self.ctx, self.limit, self.keep = ctx, limit, keep
        self.rows: list[dict] = []
        self.read = 0

    def segment(self, index: JobIndex, *, descending: bool, after: str | None, lo: str = "-", hi: str = "+",
                team: str = "") -> tuple[bool, str | None]:
        """Walk one index range; (finished it, member to resume after when not)."""
        cursor = after
        while True:
            if self.read >= SCAN_BUDGET:
                return False, cursor
            page = self.ctx.store.jobs.index_page(index, team=team, descending=descending, after=cursor, lo=lo,
                                                  hi=hi, limit=min(CHUNK, SCAN_BUDGET - self.read))
            for i, entry in enumerate(page.entries):
                self.read += 1
                cursor = entry.member
                if entry.summary is None or not self.keep(entry.summary):
                    continue
                self.rows.append(entry.summary)
                if len(self.rows) == self.limit:
                    rest = i + 1 < len(page.entries) or page.more
                    return not rest, cursor if rest else None
            if not page.more:
                return True, None


def list_labeling_jobs(ctx: ServiceContext, req: dict) -> tuple[list[dict], str | None]:
    """ListLabelingJobs: filters, SortBy Name/CreationTime/Status, SortOrder, pagination."""
    sort_by = req.get("SortBy", "CreationTime")
    order = req.get("SortOrder", "Ascending")
    descending = order == "Descending"
    scope = f"jobs:{sort_by}:{order}"
    phase, after = _resume(req, scope)
    needle = (req.get("NameContains") or "").lower()
    status = req.get("StatusEquals")

    def keep(r: dict) -> bool:
        return (needle in r["name"].lower() and (status is None or r["status"] == status)
                and _in_window(int(r["created_ms"]), req.get("CreationTimeAfter"), req.get("CreationTimeBefore"))
                and _in_window(int(r["modified_ms"]), req.get("LastModifiedTimeAfter"),
                               req.get("LastModifiedTimeBefore")))

    walk = _Walk(ctx, req.get("MaxResults", 100), keep)
    lo, hi = _creation_bounds(req)
    if sort_by == "Name":
        done, cursor = walk.segment(JobIndex.NAME, descending=descending, after=after)
        token = None if done else [0, cursor]
    elif sort_by == "Status":
        statuses = [status] if status else list(reversed(STATUS_ORDER) if descending else STATUS_ORDER)
        token = None
        while phase < len(statuses):
            wanted = statuses[phase]
            walk.keep = lambda r, wanted=wanted: r["status"] == wanted and keep(r)
            done, cursor = walk.segment(JobIndex.CREATION, descending=descending, after=after, lo=lo, hi=hi)
            if not done:
                token = [phase, cursor]
                break
            phase, after = phase + 1, None
            if len(walk.rows) == walk.limit and phase < len(statuses):
                token = [phase, None]
                break
    else:
        done, cursor = walk.segment(JobIndex.CREATION, descending=descending, after=after, lo=lo, hi=hi)
        token = None if done else [0, cursor]
    return walk.rows, _token(scope, token)


def _resume(req: dict, scope: str) -> tuple[int, str | None]:
    """(status phase, index member to resume after) from the request's NextToken."""
    if not req.get("NextToken"):
        return 0, None
    try:
        phase, after = json.loads(decode_token(req["NextToken"], scope))
        if not isinstance(phase, int) or not isinstance(after, (str, type(None))):
            raise TypeError
    except (ValueError, TypeError):
        raise ValidationError("Invalid pagination token: NextToken was not returned by this listing.") from None
    return phase, after


def _token(scope: str, position: list | None) -> str | None:
    return encode_token(scope, json.dumps(position)) if position is not None else None


def list_labeling_jobs_for_workteam(ctx: ServiceContext, req: dict) -> tuple[list[dict], str | None]:
    """ListLabelingJobsForWorkteam: the jobs sent to one workteam, by creation time."""
    arn = req["WorkteamArn"]
    team = name_from_arn(arn, "workteam")
    if team is None or ctx.arns.workteam(team) != arn or ctx.store.resources.get_team(team) is None:
        raise NotFoundError(f"Workteam {arn} does not exist")
    order = req.get("SortOrder", "Descending")
    scope = f"teamjobs:{team}:{order}"
    _, after = _resume(req, scope)
    needle = req.get("JobReferenceCodeContains") or ""
    walk = _Walk(ctx, req.get("MaxResults", 100), lambda r: needle in r["reference_code"])
    lo, hi = _creation_bounds(req)
    done, cursor = walk.segment(JobIndex.TEAM, team=team, descending=order == "Descending", after=after, lo=lo, hi=hi)
    return walk.rows, _token(scope, None if done else [0, cursor])
