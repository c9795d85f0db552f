"""Human loops: each is a work item of kind ``loop`` in its flow's team slot.

``hitl:loopref:<name>`` says which team's slot holds the loop called ``name``; it is reserved as a
separate, idempotent step before the start script runs in that slot.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import zlib

from hitl_service.domain.states import (
    CloseOutcome, DecideOutcome, DeleteOutcome, FinishOutcome, RouteOutcome, StartOutcome, StopOutcome)
from hitl_service.store import keys
from hitl_service.store.base import Part
from hitl_service.store.resources import ResourceStore

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class StartResult:
    outcome: StartOutcome
    conditions: str = ""          # EVALUATE: the flow's activation conditions
    flow_status: str = ""         # FLOW_STATUS: the flow's status
    wake_router: bool = False     # CREATED: no route drain is under way, ask for one


@dataclasses.dataclass(frozen=True)
class StopResult:
    outcome: StopOutcome
    status: str = ""


@dataclasses.dataclass(frozen=True)
class DeleteLoopResult:
    outcome: DeleteOutcome
    status: str = ""


@dataclasses.dataclass(frozen=True)
class StartRequest:
    """What StartHumanLoop stores besides the flow's own fields."""

    name: str
    flow: str
    input: str
    input_sha: str
    classifiers: str
    activation: str
    conditions_sha1: str


# An InputContent longer than this (in UTF-8 bytes) is stored in a key of its own (keys.loop_input),
# shorter ones inline: the loop hash stays listpack-encoded (below the shipped and default
# hash-max-listpack-value 512) without paying a second key's overhead for small inputs.
INLINE_INPUT_MAX = 256
# An input in its own key is stored zlib-compressed when that saves at least an eighth (real
# InputContent is JSON text, typically 2-4x smaller; level 1 costs ~10 us per KB), as base64 text after a
# '~' marker: the client decodes every reply as UTF-8 (redis-py's per-command raw replies are not
# reliable with hiredis for large values), and an InputContent is a JSON document (StartHumanLoop
# checks), which never starts with '~', so a value without it (as every loop stored before issue 17
# has) is the text itself.
COMPRESSED = "~"
COMPRESS_LEVEL = 1
# the stored input digest is this many characters of the caller's base64 SHA-256 (132 bits: still no
# accidental match between two inputs started under one name)
DIGEST_CHARS = 22

# Field names of the loop hash (issue 17: every listpack entry carries its field name, on every loop):
# fields that only the loop record reads are stored under short names; reads return the long names.
FIELD_NAMES = {"input_sha": "sha", "flow_id": "fid", "output_path": "out", "classifiers": "cls",
               "activation": "act", "webhooks": "hooks"}
_LONG_NAMES = {short: long for long, short in FIELD_NAMES.items()}
# Fields a new loop leaves out while they hold their default value; reads fill the default in (``team``
# is the slot's own, filled in from the key). Loops stored before issue 17 have them all.
DEFAULTS = {"kind": "loop", "classifiers": "", "activation": "", "webhooks": "[]", "failure_code": "",
            "failure_reason": "", "output_uri": ""}


def pack_input(text: str) -> tuple[str, bool]:
    """The InputContent as stored, and whether it goes to its own key (see INLINE_INPUT_MAX)."""
    raw = text.encode("utf-8")
    if len(raw) <= INLINE_INPUT_MAX:
        return text, False
    packed = COMPRESSED + base64.b64encode(zlib.compress(raw, COMPRESS_LEVEL)).decode("ascii")
    return (packed if len(packed) <= len(raw) - len(raw) // 8 else text), True


def unpack_input(stored: str | None) -> str | None:
    """The InputContent from its stored form (compressed, or the text itself in either layout)."""
    if stored is None or not stored.startswith(COMPRESSED):
        return stored
    return zlib.decompress(base64.b64decode(stored[len(COMPRESSED):])).decode("utf-8")


def _stored_fields(fields: tuple[str, ...]) -> tuple[str, ...]:
    # the name is the key's own, not a stored field; `status` is always set, so it tells existence.
    # A renamed field is asked for under both names (a loop stored before issue 17 has the long one).
    out = ["status"]
    for f in fields:
        if f in ("name", "status", "team", "input"):
            continue
        out.append(f)
        if f in FIELD_NAMES:
            out.append(FIELD_NAMES[f])
    return tuple(out)


def loop_record(stored: dict, team: str) -> dict:
    """A loop hash as stored (either layout) with the long field names and every default filled in."""
    data = {_LONG_NAMES.get(k, k): v for k, v in stored.items() if k not in _LONG_NAMES or v is not None}
    for k, v in DEFAULTS.items():
        if data.get(k) is None:
            data[k] = v
    if data.get("team") is None:
        data["team"] = team
    return data


def _requested(stored: tuple[str, ...], values: list, team: str, fields: tuple[str, ...]) -> dict:
    # renamed fields: the short name's value wins over the long one's (only one of them is ever set)
    record = loop_record({k: v for k, v in zip(stored, values) if k not in FIELD_NAMES}, team)
    for long, short in FIELD_NAMES.items():
        if long in stored:
            value = values[stored.index(short)]
            record[long] = value if value is not None else values[stored.index(long)]
            if record[long] is None:
                record[long] = DEFAULTS.get(long)
    return {k: v for k, v in record.items() if k in fields or k == "status"}


class LoopStore(Part):
    """Start, read, route, stop, finish and delete human loops."""

    def __init__(self, client, scripts, resources: ResourceStore, **durability):
        super().__init__(client, scripts, **durability)
        self.resources = resources

    def team_of(self, name: str) -> str | None:
        return self.r.get(keys.loop_ref(name))

    # ---- start -------------------------------------------------------------------------------

    def _reserve_name(self, name: str, team: str) -> bool:
        """Point the loop's name at ``team``'s slot; False when a loop of that name lives elsewhere."""
        held = self.scripts.claim_ref(keys=[keys.loop_ref(name)], args=[team, ""])
        if held == team:
            return True
        if self.r.exists(keys.loop(held, name)):
            return False
        return self.scripts.claim_ref(keys=[keys.loop_ref(name)], args=[team, held]) == team

    def start(self, req: StartRequest, *, now: int, wake_ttl_ms: int, route_now: bool = False) -> StartResult:
        """Store the loop (or recognise an identical repeat) and put it in the route outbox, or with
        ``route_now`` put its assignments on the queue in the same script (no drain needed)."""
        fresh = False
        for _ in range(3):
            loc = self.resources.locate_flow(req.flow, fresh=fresh)
            if loc is None:
                return StartResult(StartOutcome.NO_FLOW)
            # one Redis: the script takes the name reservation itself; a cluster reserves it first
            if self.clustered and not self._reserve_name(req.name, loc.team):
                return StartResult(StartOutcome.CONFLICT)
            member = keys.loop_member(req.name)
            stored_input, own_key = pack_input(req.input)
            script_keys = [*keys.team_keys(loc.team), keys.loop(loc.team, req.name), keys.flow(loc.team, req.flow),
                           keys.flow_loops(loc.team, loc.flow_id), keys.loop_input(loc.team, req.name)]
            args = [member, stored_input, req.input_sha[:DIGEST_CHARS], req.classifiers, now, req.activation,
                    wake_ttl_ms, req.conditions_sha1, loc.flow_id, keys.index_member(now, req.name),
                    "1" if own_key else "0", "1" if route_now else "0", loc.team]
            reply = self.durable(self.scripts.start_loop,
                                 keys=script_keys if self.clustered else [*script_keys, keys.loop_ref(req.name)],
                                 args=args)
            if reply[0] == "ref":
                # the name is held for another team's slot: a live loop there (a conflict), or a stale
                # reservation that _reserve_name takes over; then the start runs with it reserved
                if not self._reserve_name(req.name, loc.team):
                    return StartResult(StartOutcome.CONFLICT)
                reply = self.durable(self.scripts.start_loop, keys=[*script_keys, keys.loop_ref(req.name)], args=args)
                if reply[0] == "ref":  # taken for another slot again in between
                    return StartResult(StartOutcome.CONFLICT)
            outcome = StartOutcome(reply[0])
            if outcome in (StartOutcome.RETRY, StartOutcome.NO_FLOW) and not fresh:
                # the remembered location may be stale (flow deleted or re-created): read it again
                self.resources.forget_flow(req.flow)
                fresh = True
                continue
            if outcome is StartOutcome.RETRY:
                continue
            if outcome is StartOutcome.EVALUATE:
                return StartResult(outcome, conditions=reply[1])
            if outcome is StartOutcome.FLOW_STATUS:
                return StartResult(outcome, flow_status=reply[1])
            if outcome is StartOutcome.CREATED:
                return StartResult(outcome, wake_router=bool(reply[1]))
            return StartResult(outcome)
        return StartResult(StartOutcome.RETRY)

    # ---- reads -------------------------------------------------------------------------------

    def get(self, name: str, fields: tuple[str, ...] | None = None) -> dict | None:
        """The loop's record (or the named fields of it) with its ``name``; None if there is no such loop."""
        team = self.team_of(name)
        if not team:
            return None
        return self.get_in(team, name, fields)

    def get_in(self, team: str, name: str, fields: tuple[str, ...] | None = None) -> dict | None:
        """get() when the loop's team is known (the whole record includes ``input``)."""
        with_input = fields is None or "input" in fields
        pipe = self.r.pipeline(transaction=False)
        if fields:
            stored = _stored_fields(fields)
            pipe.hmget(keys.loop(team, name), stored)
            if "input" in fields:
                pipe.hget(keys.loop(team, name), "input")
        else:
            pipe.hgetall(keys.loop(team, name))
        if with_input:
            pipe.get(keys.loop_input(team, name))
        replies = pipe.execute()
        if fields:
            if replies[0][0] is None:
                return None
            data = _requested(stored, replies[0], team, fields)
            if "input" in fields:
                data["input"] = replies[1]
        else:
            if not replies[0]:
                return None
            data = loop_record(replies[0], team)
        if with_input:
            # a short input is a field of the hash, a long one its own key
            if data.get("input") is None:
                data["input"] = unpack_input(replies[-1])
        data["name"] = name
        return data

    def get_many_in(self, team: str, names: list[str], fields: tuple[str, ...]) -> list[dict | None]:
        """Fields of several loops of one team, in order (None for a missing loop)."""
        stored = _stored_fields(fields)
        pipe = self.r.pipeline(transaction=False)
        for n in names:
            pipe.hmget(keys.loop(team, n), stored)
        return [None if v[0] is None else dict(_requested(stored, v, team, fields), name=n)
                for n, v in zip(names, pipe.execute())]

    def answers(self, name: str, team: str | None = None) -> list[dict]:
        """The loop's answers in submission order (``team`` saves looking it up)."""
        team = team or self.team_of(name)
        if not team:
            return []
        return [json.loads(a) for a in self.r.lrange(keys.loop_answers(team, name), 0, -1)]

    # ---- routing -----------------------------------------------------------------------------

    def route(self, name: str) -> RouteOutcome:
        """Put one loop's assignments on its team's queue (once)."""
        team = self.team_of(name)
        if not team:
            return RouteOutcome.MISSING
        member = keys.loop_member(name)
        reply = self.scripts.route_items(keys=[*keys.team_keys(team), keys.loop(team, name)], args=[member])
        return RouteOutcome(reply[0])

    def route_pending(self, team: str, limit: int) -> list[tuple[str, RouteOutcome]]:
        """Route up to ``limit`` items waiting in the team's route outbox: (member, outcome) each; an empty
        list means the outbox was empty when its wake flag came down, so the next start wakes a drain."""
        while True:
            members = self.r.zrange(keys.outbox_route(team), 0, limit - 1)
            if members:
                break
            # the script clears the wake flag only if the outbox is still empty; a start that arrived since
            # the ZRANGE saw the flag up and sent no drain, so it is routed here instead of waiting
            self.scripts.route_items(keys=keys.team_keys(team), args=[])
            if not self.r.zcard(keys.outbox_route(team)):
                return []
        reply = self.scripts.route_items(keys=[*keys.team_keys(team), *[keys.item(team, m) for m in members]],
                                         args=members)
        return [(m, RouteOutcome(o)) for m, o in zip(members, reply)]

    # ---- closing -----------------------------------------------------------------------------

    def stop(self, name: str, now: int) -> StopResult:
        team = self.team_of(name)
        if not team:
            return StopResult(StopOutcome.MISSING)
        outcome, status = self.scripts.stop_loop(
            keys=[*keys.team_keys(team), keys.loop(team, name), self._escalation_queue(team, keys.loop(team, name))],
            args=[keys.loop_member(name), now])
        return StopResult(StopOutcome(outcome), status)

    def expire_due(self, team: str, now: int, limit: int, reason: str) -> dict[str, CloseOutcome]:
        """Close the team's items whose lifetime passed: member -> what closing led to."""
        due = self.r.zrangebyscore(keys.expiry(team), "-inf", now, start=0, num=limit)
        out = {}
        if not due:
            return out
        pipe = self.r.pipeline(transaction=False)
        for member in due:
            pipe.hget(keys.item(team, member), "escalation_team")
        for member, escalate_to in zip(due, pipe.execute()):
            outcome = self.scripts.expire_item(keys=[*keys.team_keys(team, keys.member_kind(member)),
                                                     keys.item(team, member),
                                                     keys.escalation_queue(team, escalate_to or "")],
                                               args=[member, now, reason])
            out[member] = CloseOutcome(outcome)
        return out

    def decide(self, team: str, name: str, *, answers: int, verdict: str, now: int) -> DecideOutcome:
        """Adaptive overlap: apply ``verdict`` (overlap.Verdict: one more reviewer, the escalation team,
        or complete), atomically and only if the loop is still deciding on exactly ``answers`` answers
        (decide_item.lua)."""
        return DecideOutcome(self.durable(
            self.scripts.decide_item,
            keys=[*keys.team_keys(team), keys.loop(team, name), self._escalation_queue(team, keys.loop(team, name))],
            args=[keys.loop_member(name), answers, verdict, now]))

    def _escalation_queue(self, team: str, item_key: str) -> str:
        """The escalation queue the item's assignment goes to or waits on (its flow's escalation team's)."""
        return keys.escalation_queue(team, self.r.hget(item_key, "escalation_team") or "")

    def finish(self, team: str, name: str, output_uri: str, now: int) -> FinishOutcome:
        """Make a closed loop terminal (after its output.json is written); clears its finalize entry."""
        return FinishOutcome(self.scripts.finish_item(
            keys=[*keys.team_keys(team), keys.loop(team, name), keys.finalize_attempts(team)],
            args=[keys.loop_member(name), output_uri, now]))

    def finalize_failed(self, team: str, name: str, next_score_ms: int) -> int:
        """Count a failed output write and reschedule the loop's finalize entry; the attempt number."""
        return int(self.scripts.finalize_failed(
            keys=[*keys.team_keys(team), keys.finalize_attempts(team)], args=[keys.loop_member(name), next_score_ms]))

    def wake_finalize(self, team: str, ttl_ms: int) -> bool:
        """Raise the team's finalize wake flag; True when it was down, so the caller asks for a drain."""
        return bool(self.r.set(keys.finalize_awake(team), 1, nx=True, px=max(1, ttl_ms)))

    def take_finalize(self, team: str, now: int, limit: int) -> list[str]:
        """Up to ``limit`` loop names waiting in the team's finalize outbox (never-failed entries only);
        an empty list means none was left when the wake flag came down, so the next close wakes a drain."""
        members = self.scripts.finalize_take(
            keys=[*keys.team_keys(team), keys.finalize_attempts(team), keys.finalize_awake(team)],
            args=[now, limit, 2 * limit])
        return [keys.member_name(m) for m in members]

    def finalize_attempts(self, team: str, name: str) -> int:
        """Failed output writes of the loop so far."""
        return int(self.r.hget(keys.finalize_attempts(team), keys.loop_member(name)) or 0)

    def webhooks(self, team: str, name: str) -> str:
        """The loop's own webhook endpoints (JSON)."""
        short, long = self.r.hmget(keys.loop(team, name), (FIELD_NAMES["webhooks"], "webhooks"))
        return short or long or DEFAULTS["webhooks"]

    def drop_finalize_entry(self, team: str, name: str) -> None:
        """Forget a finalize entry whose loop is gone."""
        self.finish(team, name, "", 0)

    def delete(self, name: str) -> DeleteLoopResult:
        """Delete a finished loop's record, then free its name."""
        team = self.team_of(name)
        if not team:
            return DeleteLoopResult(DeleteOutcome.MISSING)
        member = keys.loop_member(name)
        for _ in range(5):
            head = self.r.hmget(keys.loop(team, name), (FIELD_NAMES["flow_id"], "created_ms", "flow_id"))
            head[0] = head[0] or head[2]
            if head[1] is None:
                return DeleteLoopResult(DeleteOutcome.MISSING)
            workers = sorted(self.r.smembers(keys.loop_workers(team, name)))
            outcome, status = self.scripts.delete_loop(
                keys=[*keys.team_keys(team), keys.loop(team, name), keys.loop_answers(team, name),
                      keys.loop_workers(team, name), keys.flow_loops(team, head[0]),
                      keys.deleted_loop_event(team, name), keys.loop_input(team, name),
                      *[keys.worked(team, w) for w in workers]],
                args=[member, head[0], keys.index_member(int(head[1]), name)])
            if outcome != "retry":
                break
        outcome = DeleteOutcome(outcome)
        if outcome is DeleteOutcome.DELETED:
            self.scripts.release_ref(keys=[keys.loop_ref(name)], args=[team])
        return DeleteLoopResult(outcome, status)
