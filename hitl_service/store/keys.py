"""The Redis key layout. Every key the service writes is named here and nowhere else.

Single-node Redis (or Sentinel) is the supported topology: the loop scripts derive per-loop keys
inside Lua, which Redis Cluster would refuse. See docs/architecture.md.
"""

PREFIX = "hitl:"


def loop(name: str) -> str:
    return f"{PREFIX}loop:{name}"


def loop_answers(name: str) -> str:
    return f"{PREFIX}loop:{name}:answers"


def loop_workers(name: str) -> str:
    return f"{PREFIX}loop:{name}:workers"


def flow_loops(flow_id: str) -> str:
    return f"{PREFIX}flowloops:{flow_id}"


def flow(name: str) -> str:
    return f"{PREFIX}flow:{name}"


def ui(name: str) -> str:
    return f"{PREFIX}ui:{name}"


def team(name: str) -> str:
    return f"{PREFIX}team:{name}"


def ui_flows(name: str) -> str:
    return f"{PREFIX}ui:{name}:flows"


def team_flows(name: str) -> str:
    return f"{PREFIX}team:{name}:flows"


def group_teams(group: str) -> str:
    return f"{PREFIX}group:{group}:teams"


def queue(team_name: str) -> str:
    return f"{PREFIX}queue:{team_name}"


def lease(lease_id: str) -> str:
    return f"{PREFIX}lease:{lease_id}"


def worker_leases(worker_id: str) -> str:
    return f"{PREFIX}worker:{worker_id}:leases"


def deleted_loop_event(name: str) -> str:
    """Snapshot of a loop deleted before its status-change event was delivered."""
    return f"{PREFIX}events:deleted:{name}"


def reviewer(name: str) -> str:
    return f"{PREFIX}reviewer:{name}"


def worker_reviewer(worker_id: str) -> str:
    return f"{PREFIX}workerid:{worker_id}"


FLOWS = PREFIX + "flows"
UIS = PREFIX + "uis"
TEAMS = PREFIX + "teams"
REVIEWERS = PREFIX + "reviewers"
LEASES = PREFIX + "leases"
EXPIRY = PREFIX + "expiry"
OUTBOX_ROUTE = PREFIX + "outbox:route"
OUTBOX_FINALIZE = PREFIX + "outbox:finalize"
OUTBOX_EVENTS = PREFIX + "outbox:events"
FINALIZE_PENDING_SINCE = PREFIX + "finalize:pending_since"
LOOP_STATS = PREFIX + "stats:loops"
QUEUE_DEPTH = PREFIX + "stats:queued"
COUNTERS = PREFIX + "stats:counters"
EVENT_LOG = PREFIX + "events:log"


def index_member(created_ms: int, name: str) -> str:
    """Sorted-set member that orders by creation time, then name (all scores are 0: lex order)."""
    return f"{created_ms:013d}:{name}"


def member_name(member: str) -> str:
    return member.split(":", 1)[1]


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


def lease_ended(lease_id: str) -> str:
    """Marker the scripts leave on a lease that expired (read by the audit trail and late submits)."""
    return f"{PREFIX}lease:{lease_id}:ended"


def lease_audited(lease_id: str) -> str:
    """Set once the audit trail has recorded a lease's expiry (so it is recorded once)."""
    return f"{PREFIX}lease:{lease_id}:audited"
