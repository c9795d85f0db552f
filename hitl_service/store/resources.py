"""Task UIs, workteams and flow definitions.

A flow lives in its team's slot (loops start against it atomically); the global indexes used for
listings and the name reservations are updated as separate steps that are safe to repeat.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading

from hitl_service.domain.states import CreateOutcome, DeleteOutcome, FlowStatus
from hitl_service.store import keys
from hitl_service.store.base import Part

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class FlowLocation:
    """Where a flow definition lives: its team's slot, and the id of this incarnation of the name."""

    team: str
    flow_id: str


@dataclasses.dataclass(frozen=True)
class DeleteResult:
    outcome: DeleteOutcome
    detail: str = ""


def _flat(fields: dict) -> list[str]:
    return [str(x) for kv in fields.items() for x in kv]


class ResourceStore(Part):
    """Records of task UIs, workteams and flow definitions."""

    def __init__(self, client, scripts):
        super().__init__(client, scripts)
        # flow name -> FlowLocation. Safe to keep: the start script checks the flow id it was given
        # and answers "retry" (dropping the entry) when the flow was deleted or re-created.
        self._flow_locations: dict[str, FlowLocation] = {}
        self._flow_task_fields: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()

    # ---- task UIs ----------------------------------------------------------------------------

    def create_ui(self, name: str, created_ms: int, fields: dict) -> CreateOutcome:
        outcome = CreateOutcome(self.scripts.create_record(keys=[keys.ui(name)], args=_flat({"name": name, **fields})))
        if outcome is CreateOutcome.CREATED:
            self.r.zadd(keys.UIS, {keys.index_member(created_ms, name): 0})
        return outcome

    def get_ui(self, name: str) -> dict | None:
        return self.r.hgetall(keys.ui(name)) or None

    def ui_rows(self, names: list[str], fields: tuple[str, ...]) -> list[dict]:
        """The named fields of each existing UI, in order."""
        return self._rows([keys.ui(n) for n in names], fields)

    def delete_ui(self, name: str, created_ms: int) -> DeleteOutcome:
        outcome, _ = self.scripts.delete_unused(keys=[keys.ui(name), keys.ui_flows(name)])
        outcome = DeleteOutcome(outcome)
        if outcome is DeleteOutcome.DELETED:
            self.r.zrem(keys.UIS, keys.index_member(created_ms, name))
        return outcome

    # ---- workteams ---------------------------------------------------------------------------

    def create_team(self, name: str, created_ms: int, groups: list[str], fields: dict) -> CreateOutcome:
        outcome = CreateOutcome(self.scripts.create_record(
            keys=[keys.team(name)], args=_flat({"name": name, "groups": json.dumps(groups), **fields})))
        if outcome is CreateOutcome.CREATED:
            self._index_team(name, created_ms, groups)
        return outcome

    def _index_team(self, name: str, created_ms: int, groups: list[str]) -> None:
        # separate idempotent steps after the record exists (the indexes live in other slots)
        self.r.zadd(keys.TEAMS, {keys.index_member(created_ms, name): 0})
        self.r.zadd(keys.TEAMS_BY_NAME, {name: 0})
        for g in groups:
            self.r.sadd(keys.group_teams(g), name)

    def get_team(self, name: str) -> dict | None:
        return self.r.hgetall(keys.team(name)) or None

    def update_team(self, name: str, doc: str, groups: list[str], updated_ms: int) -> CreateOutcome:
        old = self.scripts.update_team(keys=[keys.team(name)], args=[doc, json.dumps(groups), updated_ms])
        if old is None:
            return CreateOutcome.MISSING
        for g in set(json.loads(old)) - set(groups):
            self.r.srem(keys.group_teams(g), name)
        for g in groups:
            self.r.sadd(keys.group_teams(g), name)
        return CreateOutcome.UPDATED

    def delete_team(self, name: str, created_ms: int) -> DeleteOutcome:
        outcome, groups = self.scripts.delete_unused(keys=[keys.team(name), keys.team_flows(name)])
        outcome = DeleteOutcome(outcome)
        if outcome is DeleteOutcome.DELETED:
            for g in json.loads(groups or "[]"):
                self.r.srem(keys.group_teams(g), name)
            self.r.zrem(keys.TEAMS, keys.index_member(created_ms, name))
            self.r.zrem(keys.TEAMS_BY_NAME, name)
        return outcome

    def flows_using_ui(self, name: str) -> set[str]:
        """Names of the flow definitions that hold the task UI (Active or Deleting)."""
        return self.r.smembers(keys.ui_flows(name))

    def flows_of_team(self, name: str) -> set[str]:
        """Names of the flow definitions that hold the workteam (Active or Deleting)."""
        return self.r.smembers(keys.team_flows(name))

    def flows_of_teams(self, teams: list[str], fields: tuple[str, ...], limit: int) -> list[dict]:
        """The named fields of up to ``limit`` flow definitions of ``teams`` (taken team by team, by name
        within a team), read through each team's flow set: cost bounded by ``limit``, not by all flows."""
        found: list[tuple[str, str]] = []
        for team in teams:
            names: set[str] = set()
            cursor = 0
            # SSCAN returns about ``count`` members per call (a small set all at once), so a team with
            # many flows is read only until the page is full
            while len(found) + len(names) < limit:
                cursor, batch = self.r.sscan(keys.team_flows(team), cursor, count=limit)
                names.update(batch)
                if not cursor:
                    break
            found += [(team, n) for n in sorted(names)[:limit - len(found)]]
            if len(found) >= limit:
                break
        return self._rows([keys.flow(t, n) for t, n in found], fields)

    def team_names(self) -> list[str]:
        return [keys.member_name(m) for m in self.r.zrange(keys.TEAMS, 0, -1)]

    def teams_of_groups(self, groups: list[str]) -> list[str]:
        """Names of the workteams whose member groups include one of ``groups``."""
        names: set[str] = set()
        for g in groups:
            names |= self.r.smembers(keys.group_teams(g))
        return sorted(names)

    # ---- flow definitions --------------------------------------------------------------------

    def create_flow(self, name: str, team: str, ui: str, created_ms: int, fields: dict) -> CreateOutcome:
        """Reserve the name, attach the UI, create the flow in its team's slot, then index it."""
        held = self.scripts.claim_ref(keys=[keys.flow_ref(name)], args=[team, ""])
        if held != team:
            if self.r.exists(keys.flow(held, name)):
                return CreateOutcome.EXISTS
            held = self.scripts.claim_ref(keys=[keys.flow_ref(name)], args=[team, held])
            if held != team:
                return CreateOutcome.EXISTS
        if self.scripts.attach_flow(keys=[keys.ui(ui), keys.ui_flows(ui)], args=[name]) == CreateOutcome.NO_UI:
            self._undo_flow_ref(name, team, ui=None)
            return CreateOutcome.NO_UI
        if fields.get("escalation_team"):
            # before the flow exists, so its first escalated loop is already visible to the escalation
            # team; idempotent, and a link left by a flow that then failed to be created costs one
            # empty read per claim of that team
            self.r.sadd(keys.escalates_from(fields["escalation_team"]), team)
        outcome = CreateOutcome(self.scripts.create_flow(
            keys=[keys.team(team), keys.team_flows(team), keys.flow(team, name)], args=[name, *_flat(fields)]))
        if outcome is not CreateOutcome.CREATED:
            if outcome is CreateOutcome.NO_TEAM:
                self._undo_flow_ref(name, team, ui=ui)
            return outcome
        self.r.sadd(keys.WORK_TEAMS, team)
        self.r.zadd(keys.FLOWS, {keys.index_member(created_ms, name): 0})
        return outcome

    def _undo_flow_ref(self, name: str, team: str, ui: str | None) -> None:
        if ui is not None:
            self.r.srem(keys.ui_flows(ui), name)
        self.scripts.release_ref(keys=[keys.flow_ref(name)], args=[team])

    def locate_flow(self, name: str, fresh: bool = False) -> FlowLocation | None:
        """The flow's team and id (remembered; ``fresh`` reads them again)."""
        if not fresh:
            loc = self._flow_locations.get(name)
            if loc is not None:
                return loc
        team = self.r.get(keys.flow_ref(name))
        flow_id = self.r.hget(keys.flow(team, name), "id") if team else None
        with self._lock:
            if flow_id is None:
                self._flow_locations.pop(name, None)
                return None
            if len(self._flow_locations) > 10_000:
                self._flow_locations.clear()
            loc = self._flow_locations[name] = FlowLocation(team, flow_id)
        return loc

    def forget_flow(self, name: str) -> None:
        self._flow_locations.pop(name, None)

    def flow_task_fields(self, name: str, flow_id: str) -> dict | None:
        """Title, description and task UI of the flow ``name`` created as ``flow_id``; None when that flow
        is gone or was replaced. Remembered per process: a flow definition is never changed after it is
        created (a new one gets a new id), so this spares every claim two reads (issue 17)."""
        cached = self._flow_task_fields.get((name, flow_id))
        if cached is not None:
            return cached
        flow = self.get_flow(name, ("id", "title", "description", "ui"))
        if not flow or not flow_id or flow["id"] != flow_id:
            return None
        if len(self._flow_task_fields) > 10_000:
            self._flow_task_fields.clear()
        found = self._flow_task_fields[(name, flow_id)] = {"title": flow["title"], "description": flow["description"],
                                                           "ui": flow["ui"]}
        return found

    def get_flow(self, name: str, fields: tuple[str, ...] | None = None) -> dict | None:
        """The flow's record (or the named fields of it); None if there is no such flow."""
        team = self.r.get(keys.flow_ref(name))
        if not team:
            return None
        if fields:
            values = self.r.hmget(keys.flow(team, name), fields)
            return dict(zip(fields, values)) if any(v is not None for v in values) else None
        return self.r.hgetall(keys.flow(team, name)) or None

    def flow_rows(self, names: list[str], fields: tuple[str, ...]) -> list[dict]:
        pipe = self.r.pipeline(transaction=False)
        for n in names:
            pipe.get(keys.flow_ref(n))
        refs = pipe.execute() if names else []
        return self._rows([keys.flow(t, n) for n, t in zip(names, refs) if t], fields)

    def begin_delete_flow(self, name: str, now: int) -> DeleteResult:
        """Mark an Active flow Deleting (its loops are stopped by the retire task); detail is its id."""
        team = self.r.get(keys.flow_ref(name))
        if not team:
            return DeleteResult(DeleteOutcome.MISSING)
        outcome, detail = self.scripts.begin_delete_flow(
            keys=[keys.flow(team, name), keys.outbox_retire(team)], args=[name, now])
        self.forget_flow(name)
        return DeleteResult(DeleteOutcome(outcome), detail)

    def finish_delete_flow(self, name: str, flow_id: str) -> DeleteOutcome:
        """Remove a retired flow, then its UI reference, listing entry and name reservation."""
        team = self.r.get(keys.flow_ref(name))
        if not team:
            return DeleteOutcome.MISSING
        outcome, ui, created = self.scripts.finish_delete_flow(
            keys=[keys.flow(team, name), keys.outbox_retire(team), keys.team_flows(team),
                  keys.flow_loops(team, flow_id), *keys.flow_quality_window(team, flow_id),
                  keys.flow_quality(team, flow_id)], args=[name, flow_id])
        outcome = DeleteOutcome(outcome)
        if outcome is DeleteOutcome.DELETED:
            self.forget_flow(name)
            self.r.srem(keys.ui_flows(ui), name)
            self.r.zrem(keys.FLOWS, keys.index_member(int(created), name))
            self.scripts.release_ref(keys=[keys.flow_ref(name)], args=[team])
        return outcome

    def flow_loops_page(self, team: str, flow_id: str, **kw) -> tuple[list[str], bool]:
        return self.page(keys.flow_loops(team, flow_id), **kw)

    def _rows(self, record_keys: list[str], fields: tuple[str, ...]) -> list[dict]:
        pipe = self.r.pipeline(transaction=False)
        for k in record_keys:
            pipe.hmget(k, fields)
        return [dict(zip(fields, v)) for v in pipe.execute() if any(x is not None for x in v)]


__all__ = ["DeleteResult", "FlowLocation", "FlowStatus", "ResourceStore"]
