"""Redis persistence of labeling jobs: the job record, its data objects, leases and results.

Every key of one job carries the hash tag ``{job:<name>}`` (keys.job_keys), and every job script
receives all of them through KEYS, so a script touches one slot. The global indexes (creation
index, active set) are written in their own steps.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import time

from hitl_service.domain.labeling import (  # noqa: F401 - re-exported for callers
    CreateOutcome, FinishOutcome, IngestOutcome, LabelingJobStatus, LeaseOutcome, StopOutcome)
from hitl_service.store import keys


@dataclasses.dataclass(frozen=True)
class Claim:
    object_id: int
    expires_ms: int
    deadline_ms: int


@dataclasses.dataclass(frozen=True)
class Submit:
    outcome: LeaseOutcome | None   # None: stored
    object_id: int | None
    complete: bool                 # the object has all its answers


@dataclasses.dataclass(frozen=True)
class ExpireResult:
    expired: int
    to_consolidate: int
    finish: bool
    escalated: int = 0       # handed to the escalation team at their lifetime's end (second stage)


@dataclasses.dataclass(frozen=True)
class AnsweredObject:
    object_id: int
    line: str
    answers: list[dict]
    stage: str = ""          # handed to the escalation team: '<reason>|<first answers>' (EscalationStage)


@dataclasses.dataclass(frozen=True)
class EscalationStage:
    """Why an object went to the escalation team and how many of its answers came before."""

    reason: str              # 'low-confidence' (below the target at the maximum) or 'expired' (lifetime)
    first_stage: int         # answers of the first team; an answer past them is the escalation team's

    @classmethod
    def of(cls, stage: str, maximum: int) -> "EscalationStage":
        """The stage of a taken object; one without a record went at the maximum (or never: then no
        answer lies past the first stage)."""
        reason, _, first = stage.partition("|")
        if not reason or not first.isdigit():
            return cls("low-confidence", maximum)
        return cls(reason, int(first))


# Ground Truth's most reviewers per object (NumberOfHumanWorkersPerDataObject)
MAX_WORKERS_PER_OBJECT = 9


@dataclasses.dataclass(frozen=True)
class OverlapVerdict:
    """The worker's adaptive-overlap verdict on one taken object: ``more`` asks for one more reviewer."""

    object_id: int
    answers: int
    more: bool
    escalate: bool = False   # the maximum is reached, still below the target: the escalation team


# the record fields a listing needs (summaries never read the request document)
SUMMARY_FIELDS = ("name", "arn", "status", "created_ms", "modified_ms", "team", "team_arn", "pre_arn",
                  "post_arn", "failure_reason", "output_uri", "manifest_uri", "total", "human_labeled",
                  "failed", "workers_per_object", "reference_code", "machine_labeled")


# how long an ended job stays in the recent set (the /metrics window is shorter)
RECENT_RETENTION_MS = 7 * 24 * 3600 * 1000


@dataclasses.dataclass(frozen=True)
class JobWaiting:
    """A running job's objects waiting for a reviewer of its team, and of its escalation team."""

    team: str
    waiting: int
    escalation_team: str
    escalation_waiting: int


class JobIndex(enum.Enum):
    """The listing indexes: all jobs by creation time or by name, one team's jobs by creation time."""
    CREATION = "creation"
    NAME = "name"
    TEAM = "team"


@dataclasses.dataclass(frozen=True)
class IndexEntry:
    member: str                 # the index member (the NextToken resumes after it)
    summary: dict | None        # the job's summary fields; None if the record is gone


@dataclasses.dataclass(frozen=True)
class IndexPage:
    entries: list[IndexEntry]
    more: bool                  # the index has members after this page


def _clock_ms() -> int:
    return int(time.time() * 1000)


def _args(*values) -> list:
    return list(values)


class JobStore:
    """Typed access to labeling-job state; one per process, shared by threads."""

    def __init__(self, client, scripts):
        self.r = client
        # the store's registered scripts; each job_*.lua starts with `-- use: lib_job` (the shared key
        # names and release/retire/give-back helpers) and gets every key of its job: keys.job_keys()
        self.scripts = scripts

    # ---- records and listings -------------------------------------------------------------------

    def create(self, name: str, created_ms: int, fields: dict) -> CreateOutcome:
        """Store a new job record; EXISTS if the name (in any case) is taken."""
        outcome = CreateOutcome(self.scripts.job_create(keys=keys.job_keys(name), args=_args(*[str(x) for kv in fields.items() for x in kv])))
        if outcome is CreateOutcome.CREATED:
            self.index(name, created_ms)
        return outcome

    def index(self, name: str, created_ms: int, now_ms: int | None = None) -> None:
        """Add the job to the listing indexes and the active set (idempotent; the worker repeats it).

        The indexes live outside the job's slot, so this is its own step after the record is
        stored; every run of the job's worker repeats it, which repairs a step lost to a crash.
        """
        team = self.r.hget(keys.job(name), "team")
        member = keys.index_member(created_ms, name)
        pipe = self.r.pipeline(transaction=False)
        pipe.zadd(keys.JOBS, {member: 0})
        pipe.zadd(keys.JOBS_BY_NAME, {name.lower(): 0})
        if team:
            pipe.zadd(keys.team_jobs(team), {member: 0})
        pipe.sadd(keys.JOBS_ACTIVE, name)
        pipe.zadd(keys.JOBS_RECENT, {name: now_ms if now_ms is not None else _clock_ms()})
        pipe.execute()

    def deactivate(self, name: str, now_ms: int | None = None) -> None:
        """The job is terminal: off the active set; it stays among the recent ones from ``now_ms``."""
        now_ms = now_ms if now_ms is not None else _clock_ms()
        pipe = self.r.pipeline(transaction=False)
        pipe.srem(keys.JOBS_ACTIVE, name)
        pipe.zadd(keys.JOBS_RECENT, {name: now_ms})
        # old entries go as jobs end, so the recent set holds about one retention window of jobs
        pipe.zremrangebyscore(keys.JOBS_RECENT, "-inf", now_ms - RECENT_RETENTION_MS)
        pipe.execute()

    def active_names(self) -> list[str]:
        return sorted(self.r.smembers(keys.JOBS_ACTIVE))

    def waiting(self, names: list[str]) -> list[JobWaiting]:
        """Per running job among ``names``: objects on its queue and on its escalation queue, one round trip."""
        pipe = self.r.pipeline(transaction=False)
        for n in names:
            pipe.hmget(keys.job(n), "status", "team", "escalation_team")
            pipe.zcard(keys.job_part(n, "queue"))
            pipe.zcard(keys.job_part(n, "escalation"))
        replies = pipe.execute() if names else []
        out = []
        for i in range(0, len(replies), 3):
            (status, team, escalation_team), queued, escalated = replies[i:i + 3]
            if status == LabelingJobStatus.IN_PROGRESS.value:
                out.append(JobWaiting(team or "", int(queued), escalation_team or "", int(escalated)))
        return out

    def get(self, name: str) -> dict | None:
        """The job's record, or None."""
        data = self.r.hgetall(keys.job(name))
        return data or None

    def records(self, names: list[str]) -> list[dict]:
        """The records of the named jobs that exist, in one round trip (a claim reads the running jobs')."""
        if not names:
            return []
        pipe = self.r.pipeline(transaction=False)
        for n in names:
            pipe.hgetall(keys.job(n))
        return [data for data in pipe.execute() if data]

    def set_fields(self, name: str, **fields) -> None:
        """Cache what ingestion learned (labels, template) on the record of an existing job."""
        self.r.hset(keys.job(name), mapping={k: str(v) for k, v in fields.items()})

    def summaries(self, names: list[str]) -> list[dict | None]:
        """The summary fields of some jobs (None for a name without a record), one round trip."""
        pipe = self.r.pipeline(transaction=False)
        for n in names:
            pipe.hmget(keys.job(n), SUMMARY_FIELDS)
        return [dict(zip(SUMMARY_FIELDS, v)) if v[0] is not None else None for v in pipe.execute()] if names else []

    def index_page(self, index: JobIndex, *, team: str = "", descending: bool, after: str | None,
                   lo: str = "-", hi: str = "+", limit: int) -> IndexPage:
        """Up to ``limit`` entries of a listing index after the member ``after``, with their summaries.

        ``lo``/``hi`` are lex bounds (``[x`` inclusive, ``(x`` exclusive) on the index's members.
        """
        key = {JobIndex.CREATION: keys.JOBS, JobIndex.NAME: keys.JOBS_BY_NAME}.get(index) or keys.team_jobs(team)
        if descending:
            members = self.r.zrevrangebylex(key, f"({after}" if after is not None else hi, lo, start=0, num=limit + 1)
        else:
            members = self.r.zrangebylex(key, f"({after}" if after is not None else lo, hi, start=0, num=limit + 1)
        more = len(members) > limit
        members = members[:limit]
        names = members if index is JobIndex.NAME else [keys.member_name(m) for m in members]
        return IndexPage([IndexEntry(m, row) for m, row in zip(members, self.summaries(names))], more)

    def recent_jobs(self, limit: int) -> list[dict]:
        """The summaries of the ``limit`` most recently created jobs, newest first (for the console)."""
        return [e.summary for e in self.index_page(JobIndex.CREATION, descending=True, after=None, limit=limit).entries
                if e.summary is not None]

    def recently_touched(self, since_ms: int, limit: int) -> list[str]:
        """Names of jobs running now or ended since ``since_ms``, most recent first, at most ``limit``."""
        return self.r.zrevrangebyscore(keys.JOBS_RECENT, "+inf", since_ms, start=0, num=limit)

    @staticmethod
    def decode_doc(record: dict) -> dict:
        return json.loads(record.get("doc") or "{}")

    def lock(self, name: str, token: str, ttl_ms: int, action: str = "take") -> bool:
        """Take, renew ('renew') or drop ('drop') the job's work lock held under ``token``."""
        return bool(self.scripts.job_lock(keys=keys.job_keys(name), args=_args(token, ttl_ms, action)))

    # ---- lifecycle ------------------------------------------------------------------------------

    def stop(self, name: str, now_ms: int) -> tuple[StopOutcome, str]:
        """Move a running job to Stopping; the outcome and the status it had."""
        kind, status = self.scripts.job_stop(keys=keys.job_keys(name), args=_args(now_ms))
        return StopOutcome(kind), status

    def ingest(self, name: str, *, start: int, end: int, now_ms: int, done: bool, bad_lines: int, bad_text: str,
               objects: list[tuple[int, str, str, str]]) -> IngestOutcome:
        """Apply one batch of manifest lines ``[start, end)``: (id, line, task input or reason, mode).

        mode is 'h' (to reviewers, with a custom task input or ''), 's' (no human needed) or 'f'
        (the pre-annotation function failed; the third item is the reason).
        """
        flat: list = []
        for obj in objects:
            flat += list(obj)
        return IngestOutcome(self.scripts.job_ingest(keys=keys.job_keys(name), args=_args(start, end, now_ms, 1 if done else 0, bad_lines, bad_text,
                                       *flat)))

    def expire(self, name: str, now_ms: int, limit: int = 500) -> ExpireResult:
        """Reap ended leases and retire objects whose lifetime ended (or whose job is stopping)."""
        expired, consolidate, finish, escalated = self.scripts.job_expire(keys=keys.job_keys(name),
                                                                          args=_args(now_ms, limit))
        return ExpireResult(int(expired), int(consolidate), bool(finish), int(escalated))

    def take_answered(self, name: str, now_ms: int, hold_ms: int, limit: int) -> list[AnsweredObject]:
        """Answered objects to consolidate, held against a second worker for ``hold_ms``."""
        flat = self.scripts.job_take_answered(keys=keys.job_keys(name), args=_args(now_ms, hold_ms, limit))
        return [AnsweredObject(int(flat[i]), flat[i + 1], json.loads(flat[i + 2]), flat[i + 3])
                for i in range(0, len(flat), 4)]

    def retry_answered_at(self, name: str, ids: list[int], due_ms: int) -> None:
        """Make held answered objects due again at ``due_ms`` (after a failed consolidation)."""
        if ids:
            self.r.zadd(keys.job_part(name, "answered"), {str(i): due_ms for i in ids}, xx=True)

    def decide(self, name: str, now_ms: int, verdicts: list[OverlapVerdict]) -> set[int]:
        """Adaptive overlap: apply verdicts on taken objects (job_decide.lua); the ids not to record
        now (given one more reviewer, or a stale verdict)."""
        if not verdicts:
            return set()
        flat = [x for v in verdicts
                for x in (v.object_id, v.answers, "escalate" if v.escalate else "more" if v.more else "done")]
        return {int(i) for i in self.scripts.job_decide(keys=keys.job_keys(name), args=_args(now_ms, *flat))}

    def answers_used(self, name: str) -> dict[int, int]:
        """Adaptive overlap: recorded objects per number of answers they used."""
        counts = self.r.hmget(keys.job(name), [f"used:{n}" for n in range(1, MAX_WORKERS_PER_OBJECT + 1)])
        return {n: int(c) for n, c in enumerate(counts, start=1) if c}

    def record_results(self, name: str, now_ms: int, results: dict[int, str]) -> tuple[int, bool]:
        """Record consolidated lines (or '!reason' failures) once; (newly recorded, ready to finish)."""
        flat = [x for oid, res in results.items() for x in (oid, res)]
        done, finish = self.scripts.job_record_results(keys=keys.job_keys(name), args=_args(now_ms, *flat))
        return int(done), bool(finish)

    def finish(self, name: str, now_ms: int, output_uri: str, failure_reason: str = "") -> FinishOutcome:
        """Completed/Stopped with the output URI (only when nothing is left), or Failed with a reason."""
        return FinishOutcome(self.scripts.job_finish(keys=keys.job_keys(name), args=_args(now_ms, output_uri, failure_reason)))

    def results(self, name: str, ids: list[int]) -> list[str | None]:
        """The recorded results of some objects (None: never labelled)."""
        return self.r.hmget(keys.job_part(name, "results"), ids) if ids else []

    def answers_of(self, name: str, oid: int) -> list[dict]:
        raw = self.r.hget(keys.job_part(name, "answers"), oid)
        return json.loads(raw) if raw else []

    # ---- reviewers ------------------------------------------------------------------------------

    def claim(self, name: str, worker: str, now_ms: int, lease_id: str, window_ms: int, max_scan: int = 200,
              *, escalation: bool = False) -> Claim | None:
        """Lease the next object of the job this reviewer has not worked on (from the escalation
        team's queue when ``escalation``); None if there is none."""
        stage = "escalation" if escalation else "first"
        out = self.scripts.job_claim(keys=keys.job_keys(name),
                                     args=_args(worker, now_ms, lease_id, window_ms, max_scan, stage))
        if out[0] != "claimed":
            return None
        return Claim(int(out[1]), int(out[2]), int(out[3]))

    def lease(self, name: str, lease_id: str, worker: str, now_ms: int, *, release: bool = False,
              window_ms: int = 0) -> tuple[LeaseOutcome, Claim | None]:
        """Heartbeat (or release) a lease; the outcome and, after a heartbeat, the new times."""
        out = self.scripts.job_lease(keys=keys.job_keys(name), args=_args(lease_id, worker, now_ms, "release" if release else "heartbeat", window_ms))
        outcome = LeaseOutcome(out[0])
        if outcome is LeaseOutcome.OK:
            return outcome, Claim(int(out[1]), int(out[2]), int(out[3]))
        return outcome, None

    def lease_info(self, name: str, lease_id: str) -> dict | None:
        """The object, holder, times and stage ('first' or 'escalation') of a live lease, or None."""
        pipe = self.r.pipeline(transaction=False)
        pipe.hget(keys.job_part(name, "leaseinfo"), lease_id)
        pipe.zscore(keys.job_part(name, "leases"), lease_id)
        info, expires = pipe.execute()
        if info is None or expires is None:
            return None
        oid, worker, accepted, deadline, *rest = info.split("|")
        return {"object_id": int(oid), "worker": worker, "accepted_ms": int(accepted), "deadline_ms": int(deadline),
                "expires_ms": int(expires), "stage": "escalation" if rest == ["e"] else "first"}

    def object_input(self, name: str, oid: int) -> tuple[str | None, str | None]:
        """(manifest line, custom task input) of an object still in the job."""
        pipe = self.r.pipeline(transaction=False)
        pipe.hget(keys.job_part(name, "lines"), oid)
        pipe.hget(keys.job_part(name, "inputs"), oid)
        line, task_input = pipe.execute()
        return line, task_input

    def submit(self, name: str, lease_id: str, worker: str, now_ms: int, answer: dict) -> Submit:
        """Store an answer under a live lease."""
        out = self.scripts.job_submit(keys=keys.job_keys(name), args=_args(lease_id, worker, now_ms, json.dumps(answer, separators=(",", ":"))))
        if out[0] == "submitted":
            return Submit(None, int(out[1]), out[2] == "complete")
        return Submit(LeaseOutcome(out[0]), int(out[1]) if len(out) > 1 else None, False)

    def queued(self, name: str) -> int:
        return int(self.r.zcard(keys.job_part(name, "queue")))

    def progress(self, names: list[str]) -> list[dict]:
        """Per job: objects out, pending, answered (awaiting consolidation) and answers so far."""
        pipe = self.r.pipeline(transaction=False)
        for n in names:
            pipe.hmget(keys.job(n), ("out", "answers"))
            pipe.llen(keys.job_part(n, "pending"))
            pipe.zcard(keys.job_part(n, "answered"))
        replies = pipe.execute()
        out = []
        for i in range(len(names)):
            (objects_out, answers), pending, answered = replies[3 * i], replies[3 * i + 1], replies[3 * i + 2]
            out.append({"out": int(objects_out or 0), "answers": int(answers or 0), "pending": int(pending),
                        "answered": int(answered)})
        return out
