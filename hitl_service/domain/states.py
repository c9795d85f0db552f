"""State names of loops, work items and leases, and the outcomes the store's atomic changes report.

They are ``StrEnum`` so that the values stored in Redis and shown over the API are the enum values
themselves (``LoopStatus.COMPLETED == "Completed"``).
"""

from __future__ import annotations

import enum


class LoopStatus(enum.StrEnum):
    """A2I's HumanLoopStatus; the first two are open, the other three terminal."""

    IN_PROGRESS = "InProgress"
    STOPPING = "Stopping"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPED = "Stopped"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({LoopStatus.COMPLETED, LoopStatus.FAILED, LoopStatus.STOPPED})
OPEN = frozenset({LoopStatus.IN_PROGRESS, LoopStatus.STOPPING})


class FlowStatus(enum.StrEnum):
    ACTIVE = "Active"
    DELETING = "Deleting"


class ItemKind(enum.StrEnum):
    """Who produced a work item on a team's queue (and whose outbox gets it when it closes)."""

    LOOP = "loop"
    JOB = "job"


class StartOutcome(enum.StrEnum):
    CREATED = "created"
    EXISTS = "exists"            # an identical start was repeated
    CONFLICT = "conflict"        # the name is taken by a loop with other input
    NO_FLOW = "noflow"
    FLOW_STATUS = "flowstatus"   # the flow is not Active
    EVALUATE = "evaluate"        # the caller must evaluate the flow's activation conditions first
    RETRY = "retry"              # the flow changed between the read and the script: read again


class RouteOutcome(enum.StrEnum):
    ROUTED = "routed"
    ALREADY = "already"
    CLOSED = "closed"
    MISSING = "missing"


class CloseOutcome(enum.StrEnum):
    """What closing an item led to: nothing yet, terminal at once, or waiting for its output."""

    NONE = ""
    FINISHED = "finished"
    FINALIZE = "finalize"
    DECIDE = "decide"            # adaptive overlap: its required answers are in; the worker decides
    ESCALATED = "escalated"      # its lifetime ended: handed to its escalation workteam (a second stage)


class DecideOutcome(enum.StrEnum):
    """What the worker's adaptive-overlap verdict on an item led to (store/lua/decide_item.lua)."""

    MORE = "more"                # one more assignment is on the queue
    ESCALATED = "escalated"      # one assignment is on the escalation queue (hitl:escalation-workteam)
    FINALIZE = "finalize"        # Completed; its output is written next
    FINISHED = "finished"
    CLOSED = "closed"            # a stop or the lifetime's end closed it first
    STALE = "stale"              # not deciding on these answers (a repeated task)
    MISSING = "missing"


class ClaimOutcome(enum.StrEnum):
    CLAIMED = "claimed"
    EMPTY = "empty"
    RETRY = "retry"              # the candidate changed under us; look again


class LeaseOutcome(enum.StrEnum):
    """The answer to a heartbeat, release or submit on a lease."""

    OK = "ok"
    NO_LEASE = "nolease"
    NOT_YOURS = "notyours"
    EXPIRED = "expired"
    CLOSED = "closed"


class StopOutcome(enum.StrEnum):
    MISSING = "missing"
    TERMINAL = "terminal"        # already finished some other way
    ALREADY = "ok"               # already stopping or stopped
    STOPPING = "stopping"        # waits for held leases
    FINISHED = "finished"
    FINALIZE = "finalize"


class DeleteOutcome(enum.StrEnum):
    DELETED = "deleted"
    MISSING = "missing"
    ACTIVE = "active"            # a loop still open
    IN_USE = "inuse"             # a resource a flow still uses


class FinishOutcome(enum.StrEnum):
    FINISHED = "finished"
    ALREADY = "already"
    OPEN = "open"
    MISSING = "missing"


class CreateOutcome(enum.StrEnum):
    CREATED = "created"
    EXISTS = "exists"
    NO_TEAM = "noteam"
    NO_UI = "noui"
    MISSING = "missing"
    UPDATED = "updated"


class RetireOutcome(enum.StrEnum):
    """What a run of the retire task for a Deleting flow did."""

    DELETED = "deleted"
    GONE = "gone"              # deleted before (a repeated task)
    STATUS = "status"          # the flow is not Deleting
    WAITING = "waiting"        # loops are still Stopping
