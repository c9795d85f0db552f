"""The Redis key layout. Every key the service writes is named here and nowhere else.

Keys carry a Redis Cluster hash tag (the part in braces) so that every key one script touches lies
in one slot:

* ``hitl:{t:<team>}:...`` -- a workteam and all the work on its queue: the team record, its flows,
  the work items (human loops, labeling-job data objects) and their answers, the queue, leases,
  expiry and outboxes, and the team's counters. Every script that changes queue work runs in one
  team's slot.
* ``hitl:{ui:<name>}:...`` -- a task UI and the set of flows that use it.
* untagged keys hold one value each (name reservations, indexes for listings, reviewer records);
  what touches them is a single command or a separate idempotent step (see docs/architecture.md).
"""

from __future__ import annotations

PREFIX = "hitl:"


def team_tag(team_name: str) -> str:
    """The key prefix of one team's slot."""
    return f"{PREFIX}{{t:{team_name}}}:"


# ---- a team's slot: the team, its flows ----------------------------------------------------


def team(name: str) -> str:
    return team_tag(name) + "team"


def team_flows(name: str) -> str:
    """Names of the flow definitions bound to the team (a team in use cannot be deleted)."""
    return team_tag(name) + "flows"


def flow(team_name: str, name: str) -> str:
    return team_tag(team_name) + f"flow:{name}"


def flow_quality(team_name: str, flow_id: str) -> str:
    """The flow's quality summary (JSON string), rewritten by the quality refresh after loops complete."""
    return team_tag(team_name) + f"fq:{flow_id}"


def flow_quality_window(team_name: str, flow_id: str) -> list[str]:
    """The flow's recent completed loops (zset by time) and their answers (hash), capped."""
    return [team_tag(team_name) + f"fqwindow:{flow_id}", team_tag(team_name) + f"fqrows:{flow_id}"]


def team_quality_dirty(team_name: str) -> str:
    """Ids of the team's flows whose quality window changed since their summary was written."""
    return team_tag(team_name) + "fqdirty"


def flow_loops(team_name: str, flow_id: str) -> str:
    """A flow's loops ordered by creation (members from ``index_member``)."""
    return team_tag(team_name) + f"flowloops:{flow_id}"


# ---- a team's slot: work items and the queue -----------------------------------------------


def loop_member(name: str) -> str:
    """The queue member (work item id) of a human loop."""
    return f"loop:{name}"


def member_kind(member: str) -> str:
    """The producer kind of a work item id (``loop``, ``job``)."""
    return member.split(":", 1)[0]


def item(team_name: str, member: str) -> str:
    """A work item's record (for a loop: the loop itself)."""
    return team_tag(team_name) + f"item:{member}"


def item_answers(team_name: str, member: str) -> str:
    return team_tag(team_name) + f"item:{member}:answers"


def item_workers(team_name: str, member: str) -> str:
    """Workers who took the item (a reviewer works on each item at most once)."""
    return team_tag(team_name) + f"item:{member}:workers"


def item_input(team_name: str, member: str) -> str:
    """A work item's InputContent, beside its record so that the record hash stays compact."""
    return team_tag(team_name) + f"item:{member}:input"


def loop(team_name: str, name: str) -> str:
    return item(team_name, loop_member(name))


def loop_answers(team_name: str, name: str) -> str:
    return item_answers(team_name, loop_member(name))


def loop_input(team_name: str, name: str) -> str:
    return item_input(team_name, loop_member(name))


def loop_workers(team_name: str, name: str) -> str:
    return item_workers(team_name, loop_member(name))


def queue(team_name: str) -> str:
    """Work items with assignments waiting, scored by item creation ms."""
    return team_tag(team_name) + "queue"


def lease(team_name: str, lease_id: str) -> str:
    return team_tag(team_name) + f"lease:{lease_id}"


def lease_ended(team_name: str, lease_id: str) -> str:
    """A short-lived marker that tells the former holder why a lease is gone."""
    return team_tag(team_name) + f"lease:{lease_id}:ended"


def team_leases(team_name: str) -> str:
    """Live leases of the team scored by when they expire."""
    return team_tag(team_name) + "leases"


def worker_leases(team_name: str, worker_id: str) -> str:
    return team_tag(team_name) + f"worker:{worker_id}:leases"


def worked(team_name: str, worker_id: str) -> str:
    """Work items of the team the worker holds or answered (not offered to them again)."""
    return team_tag(team_name) + f"worker:{worker_id}:worked"


def released(team_name: str, worker_id: str) -> str:
    """Work items the worker handed back without answering, scored by the item's queue score.

    They are offered to the worker again only when nothing new to them is waiting (QueueStore.claim).
    """
    return team_tag(team_name) + f"worker:{worker_id}:released"


def cursors(team_name: str) -> str:
    """Per worker, the highest queue score they claimed (see QueueStore.claim)."""
    return team_tag(team_name) + "cursors"


def expiry(team_name: str) -> str:
    """Open work items scored by when their availability lifetime ends."""
    return team_tag(team_name) + "expiry"


def escalation_queue(team_name: str, escalation_team: str) -> str:
    """A flow team's loops waiting for one reviewer of the escalation workteam ``escalation_team``
    (hitl:escalation-workteam), scored by loop creation ms; in the loop's slot, so deciding and handing
    over is one script. One queue per escalation team: a team's flows may escalate to different teams."""
    return team_tag(team_name) + f"escalation:{escalation_team}"


def escalation_cursors(team_name: str, escalation_team: str) -> str:
    """Per escalation reviewer, the highest score they claimed on that escalation queue (as ``cursors``)."""
    return team_tag(team_name) + f"escalation-cursors:{escalation_team}"


def escalates_from(team_name: str) -> str:
    """Teams whose flows name this team as their escalation workteam (its reviewers also read those
    teams' escalation queues); written once per flow at CreateFlowDefinition."""
    return team_tag(team_name) + "escalates-from"


def outbox_route(team_name: str) -> str:
    return team_tag(team_name) + "outbox:route"


def route_awake(team_name: str) -> str:
    """Set while a route drain for the team is under way (lapses on its own)."""
    return team_tag(team_name) + "route:awake"


def finalize_awake(team_name: str) -> str:
    """Set while a finalize drain for the team is asked for or under way (lapses on its own)."""
    return team_tag(team_name) + "finalize:awake"


def outbox_finalize(team_name: str, kind: str = "loop") -> str:
    """Closed work items of one producer kind waiting for their producer to finish them."""
    return team_tag(team_name) + f"outbox:finalize:{kind}"


def pending_since(team_name: str, kind: str = "loop") -> str:
    """When each item of the finalize outbox started waiting (the outbox score moves with retries)."""
    return team_tag(team_name) + f"finalize:pending_since:{kind}"


def finalize_attempts(team_name: str) -> str:
    return team_tag(team_name) + "finalize:attempts"


def outbox_events(team_name: str) -> str:
    """Finished loops whose status-change event is not delivered yet."""
    return team_tag(team_name) + "outbox:events"


def outbox_retire(team_name: str) -> str:
    """Deleting flows (``<name>|<id>``) whose loops must be stopped before the flow goes."""
    return team_tag(team_name) + "outbox:retire"


def deleted_loop_event(team_name: str, name: str) -> str:
    """Snapshot of a loop deleted before its status-change event was delivered."""
    return team_tag(team_name) + f"events:deleted:{name}"


def event_state(team_name: str, name: str) -> str:
    """Per webhook URL, the delivery attempts of a loop's event (``done`` once delivered)."""
    return team_tag(team_name) + f"events:state:{name}"


def team_stats(team_name: str) -> str:
    """Counters of the team: ``loops:<status>``, ``queued`` and the event counters."""
    return team_tag(team_name) + "stats"


def team_keys(team_name: str, kind: str = "loop") -> list[str]:
    """The keys every work-item script gets first, in this order (see store/lua/lib_items.lua)."""
    return [queue(team_name), team_stats(team_name), expiry(team_name), team_leases(team_name),
            outbox_route(team_name), outbox_finalize(team_name, kind), pending_since(team_name, kind),
            outbox_events(team_name), route_awake(team_name)]


# ---- a task UI's slot ------------------------------------------------------------------------


def ui(name: str) -> str:
    return f"{PREFIX}{{ui:{name}}}:ui"


def ui_flows(name: str) -> str:
    return f"{PREFIX}{{ui:{name}}}:flows"


# ---- single-key values and global indexes ------------------------------------------------------


def loop_ref(name: str) -> str:
    """Which team's slot holds the human loop ``name`` (the loop name reservation)."""
    return f"{PREFIX}loopref:{name}"


def flow_ref(name: str) -> str:
    """Which team's slot holds the flow definition ``name``."""
    return f"{PREFIX}flowref:{name}"


def group_teams(group: str) -> str:
    return f"{PREFIX}group:{group}:teams"


def reviewer(name: str) -> str:
    return f"{PREFIX}reviewer:{name}"


def worker_reviewer(worker_id: str) -> str:
    return f"{PREFIX}workerid:{worker_id}"


FLOWS = PREFIX + "flows"
UIS = PREFIX + "uis"
TEAMS = PREFIX + "teams"
TEAMS_BY_NAME = PREFIX + "teams:byname"
# every team that ever had a flow: the sweeps visit each one's slot
WORK_TEAMS = PREFIX + "workteams"
REVIEWERS = PREFIX + "reviewers"
EVENT_LOG = PREFIX + "events:log"
CLAIM_HISTOGRAM = PREFIX + "stats:claim_ms"


def index_member(created_ms: int, name: str) -> str:
    """Sorted-set member that orders by creation time, then name (all scores are 0: lex order)."""
    return f"{created_ms:013d}:{name}"


def member_name(member: str) -> str:
    return member.split(":", 1)[1]


# ---- labeling jobs: every key of one job shares the hash tag {job:<lowercased name>} ------------
# (GT treats job names case-insensitively, so the tag is the lowercased name: one slot per name)


def _job_tag(name: str) -> str:
    return f"{PREFIX}{{job:{name.lower()}}}"


def job(name: str) -> str:
    """The job's record (hash)."""
    return _job_tag(name)


def job_keys(name: str) -> list[str]:
    """Every key of one job, in the order the job_*.lua scripts read KEYS (see store/lua/lib_job.lua)."""
    tag = _job_tag(name)
    return [tag] + [f"{tag}:{part}" for part in JOB_KEY_PARTS]


def job_part(name: str, part: str) -> str:
    """One of the job's keys by its part name (one of JOB_KEY_PARTS)."""
    if part not in JOB_KEY_PARTS:
        raise ValueError(f"unknown job key part {part!r}")
    return f"{_job_tag(name)}:{part}"


# ("escalation": objects waiting for the escalation workteam's reviewer, beside the first team's queue;
# "stage": per object handed to that team, why and with how many first-stage answers)
# KEYS[2..] of every job script: pending ids (list), queued ids (zset), assignments left to hand out
# per out object (hash), who worked on each (hash), answers (hash), answered ids (zset), results
# (hash), expiry (zset), leases (zset) and their holders (hash), manifest lines (hash), custom
# task inputs (hash), the lock of the one worker running the job's background work, and the answers
# an out object needs when adaptive overlap raised it above hitl:initial-workers (hash)
JOB_KEY_PARTS = ("pending", "queue", "left", "workers", "answers", "answered", "results", "expiry", "leases",
                 "leaseinfo", "lines", "inputs", "lock", "need", "escalation", "stage")

JOBS = PREFIX + "jobs"                    # creation-time index (lex members: created_ms:name)
JOBS_ACTIVE = PREFIX + "jobs:active"      # names of jobs not yet terminal (the beat tick walks these)
JOBS_BY_NAME = PREFIX + "jobs:byname"     # name index (lex members: lowercased names, unique as GT's are)
JOBS_RECENT = PREFIX + "jobs:recent"      # names scored by when a worker last ran the job or it ended


def team_jobs(team_name: str) -> str:
    """The labeling jobs sent to a workteam, lex members ``index_member(created_ms, name)``."""
    return team_tag(team_name) + "jobs"


def login_failures_account(name: str) -> str:
    """Recent failed sign-ins for one reviewer name (login throttling; expires on its own)."""
    return f"{PREFIX}{{login-account:{name}}}:failures"


def login_failures_address(address: str) -> str:
    """Recent failed sign-ins from one client address (login throttling; expires on its own)."""
    return f"{PREFIX}{{login-address:{address}}}:failures"


# ---- workforce (store/workforce.py, store/audit.py); hash tags keep each script's keys in one slot ----

WORKFORCE_TAG = "{wf}"


def workforce(name: str) -> str:
    """One workforce: its document (secrets encrypted) and timestamps."""
    return f"{PREFIX}{WORKFORCE_TAG}:workforce:{name}"


def workforces() -> str:
    """Lex-ordered index of workforces: ``index_member(created_ms, name)``."""
    return f"{PREFIX}{WORKFORCE_TAG}:workforces"


def audit_log() -> str:
    """The audit trail: a capped stream of who did what, when and from where."""
    return f"{PREFIX}{{audit}}:log"


def lease_audited(team_name: str, lease_id: str) -> str:
    """Set once the audit trail has recorded a lease's expiry (so it is recorded once)."""
    return team_tag(team_name) + f"lease:{lease_id}:audited"


def job_lease_audited(name: str, lease_id: str) -> str:
    """Set once the audit trail has recorded the expiry of a lease on a job's object (recorded once)."""
    return f"{_job_tag(name)}:lease:{lease_id}:audited"


# ---- quality of labeling jobs (store/quality.py): in the job's slot, beside its other keys ----


def job_quality(name: str) -> str:
    """The job's quality summary (JSON string), rewritten after each consolidated batch."""
    return f"{_job_tag(name)}:quality"


def job_quality_window(name: str) -> list[str]:
    """The job's recent consolidated objects (zset by time) and their answers (hash), capped."""
    return [f"{_job_tag(name)}:qwindow", f"{_job_tag(name)}:qrows"]
