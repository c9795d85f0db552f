"""Status-change events of finished loops: the per-team event outbox, delivery state and the log."""

from __future__ import annotations

import dataclasses
import json

from hitl_service.store import keys
from hitl_service.store.base import Part
from hitl_service.store.loops import loop_record

EVENT_LOG_LIMIT = 10_000


@dataclasses.dataclass(frozen=True)
class DueEvent:
    team: str
    name: str                # the loop's name


class EventStore(Part):
    """Which loops' events are still to be delivered, and to which URLs they went."""

    def claim_due(self, now: int, hold_ms: int, limit: int) -> list[DueEvent]:
        """Take the due events of every team and hold them for ``hold_ms``, so concurrent deliverers
        never send the same event at once; an event whose deliverer dies is due again afterwards."""
        out: list[DueEvent] = []
        for team in self.work_teams():
            if len(out) >= limit:
                break
            members = self.scripts.claim_due(keys=[keys.outbox_events(team)], args=[now, now + hold_ms, limit - len(out)])
            out.extend(DueEvent(team, keys.member_name(m)) for m in members)
        return out

    def any_pending(self) -> bool:
        return any(self.r.zcard(keys.outbox_events(t)) for t in self.work_teams())

    def snapshot(self, ev: DueEvent) -> dict | None:
        """What a loop deleted before its event went out left behind."""
        stored = self.r.hgetall(keys.deleted_loop_event(ev.team, ev.name))
        return loop_record(stored, ev.team) if stored else None

    def delivery_state(self, ev: DueEvent) -> dict[str, str]:
        """Per URL: attempts so far, or ``done``."""
        return self.r.hgetall(keys.event_state(ev.team, ev.name))

    def mark(self, ev: DueEvent, url: str, state: str) -> None:
        self.r.hset(keys.event_state(ev.team, ev.name), url, state)

    def done(self, ev: DueEvent) -> None:
        """The event reached every URL (or has none to reach): forget it."""
        self.r.delete(keys.event_state(ev.team, ev.name))
        self.r.delete(keys.deleted_loop_event(ev.team, ev.name))
        self.r.zrem(keys.outbox_events(ev.team), keys.loop_member(ev.name))

    def due_again(self, ev: DueEvent, at_ms: int) -> None:
        """Deliver the event (or the next one under the same name) again at ``at_ms``."""
        self.r.zadd(keys.outbox_events(ev.team), {keys.loop_member(ev.name): at_ms}, xx=True)

    def forget_snapshot(self, ev: DueEvent) -> None:
        self.r.delete(keys.event_state(ev.team, ev.name))
        self.r.delete(keys.deleted_loop_event(ev.team, ev.name))

    def log(self, entry: dict) -> None:
        """Append one delivery attempt to the bounded event log (newest first)."""
        self.r.lpush(keys.EVENT_LOG, json.dumps(entry, separators=(",", ":")))
        self.r.ltrim(keys.EVENT_LOG, 0, EVENT_LOG_LIMIT - 1)

    def recent(self, limit: int) -> list[dict]:
        return [json.loads(x) for x in self.r.lrange(keys.EVENT_LOG, 0, limit - 1)]
