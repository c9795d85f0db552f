"""create_record, update_team, delete_unused, attach_flow, create_flow, begin/finish_delete_flow,
claim_ref and release_ref: the resource scripts and the separate steps around them."""

from __future__ import annotations

import json

from hitl_service.domain.states import CreateOutcome, DeleteOutcome
from hitl_service.store import keys
from tests.store.conftest import FLOW_FIELDS, make_flow


def flow_fields(name, team, ui, created=5, flow_id="fid"):
    return dict(FLOW_FIELDS, name=name, arn=f"arn:{name}", id=flow_id, status="Active", created_ms=created,
                team=team, ui=ui)


def test_records_are_created_once_and_indexed(store):
    res = store.resources
    assert res.create_ui("u", 7, {"arn": "a", "created_ms": 7, "content": "x"}) is CreateOutcome.CREATED
    assert res.create_ui("u", 8, {"arn": "b", "created_ms": 8, "content": "y"}) is CreateOutcome.EXISTS
    assert res.get_ui("u")["arn"] == "a"
    assert res.ui_rows(["u", "nope"], ("name", "arn")) == [{"name": "u", "arn": "a"}]
    assert res.create_team("t", 3, ["g1", "g2"], {"arn": "ta", "created_ms": 3}) is CreateOutcome.CREATED
    assert res.create_team("t", 4, ["g3"], {"arn": "tb", "created_ms": 4}) is CreateOutcome.EXISTS
    assert res.team_names() == ["t"]
    assert res.teams_of_groups(["g2", "zz"]) == ["t"]
    members, more = res.page(keys.UIS, descending=False, after_member=None, min_ms=None, max_ms=None, limit=10)
    assert members == [keys.index_member(7, "u")] and not more


def test_update_team_moves_its_group_memberships(store):
    res = store.resources
    res.create_team("t", 3, ["g1", "g2"], {"arn": "ta", "created_ms": 3})
    assert res.update_team("t", "{}", ["g2", "g3"], 9) is CreateOutcome.UPDATED
    assert res.teams_of_groups(["g1"]) == []
    assert res.teams_of_groups(["g3"]) == ["t"]
    assert json.loads(res.get_team("t")["groups"]) == ["g2", "g3"]
    assert res.update_team("missing", "{}", ["g"], 9) is CreateOutcome.MISSING


def test_a_flow_needs_its_team_and_ui_and_keeps_them_in_use(store):
    res = store.resources
    res.create_ui("u", 1, {"arn": "a", "created_ms": 1})
    assert res.create_flow("f", "t", "u", 5, flow_fields("f", "t", "u")) is CreateOutcome.NO_TEAM
    # the failed attempt left no reservation behind: the name can go to another team's slot
    assert store.client.get(keys.flow_ref("f")) is None
    assert store.client.scard(keys.ui_flows("u")) == 0
    res.create_team("t", 1, ["g"], {"arn": "ta", "created_ms": 1})
    assert res.create_flow("f", "t", "nope", 5, flow_fields("f", "t", "nope")) is CreateOutcome.NO_UI
    assert res.create_flow("f", "t", "u", 5, flow_fields("f", "t", "u")) is CreateOutcome.CREATED
    assert res.create_flow("f", "t", "u", 6, flow_fields("f", "t", "u")) is CreateOutcome.EXISTS
    assert res.locate_flow("f").team == "t" and res.locate_flow("f").flow_id == "fid"
    assert res.flow_rows(["f", "g"], ("name", "status")) == [{"name": "f", "status": "Active"}]
    assert res.delete_ui("u", 1) is DeleteOutcome.IN_USE
    assert res.delete_team("t", 1) is DeleteOutcome.IN_USE
    assert "t" in store.work_teams()


def test_deleting_a_flow_is_two_steps_and_frees_everything(store):
    res = store.resources
    make_flow(store, "f", created_ms=5)
    result = res.begin_delete_flow("f", 100)
    assert result.outcome is DeleteOutcome.DELETED and result.detail == "id-f-5"
    assert res.get_flow("f", ("status",)) == {"status": "Deleting"}
    again = res.begin_delete_flow("f", 101)
    assert again.outcome is DeleteOutcome.IN_USE and again.detail == "Deleting"
    assert store.client.zrange(keys.outbox_retire("t"), 0, -1) == ["f|id-f-5"]
    assert res.finish_delete_flow("f", "other-id") is DeleteOutcome.MISSING
    assert res.finish_delete_flow("f", "id-f-5") is DeleteOutcome.DELETED
    assert res.finish_delete_flow("f", "id-f-5") is DeleteOutcome.MISSING   # a repeated retire
    assert res.get_flow("f") is None
    assert store.client.zcard(keys.outbox_retire("t")) == 0
    assert res.delete_ui("u", 5) is DeleteOutcome.DELETED
    assert res.delete_team("t", 5) is DeleteOutcome.DELETED
    assert res.teams_of_groups(["reviewers"]) == [] and res.team_names() == []
    assert store.client.zcard(keys.UIS) == 0
    assert res.delete_team("t", 5) is DeleteOutcome.MISSING
    # the name is free again, in another team's slot
    make_flow(store, "f", team="t2", ui="u2", created_ms=9)
    assert res.locate_flow("f", fresh=True).team == "t2"


def test_name_references_are_claimed_idempotently(store):
    s = store.resources.scripts
    ref = [keys.loop_ref("n")]
    assert s.claim_ref(keys=ref, args=["a", ""]) == "a"
    assert s.claim_ref(keys=ref, args=["a", ""]) == "a"       # repeated by its holder
    assert s.claim_ref(keys=ref, args=["b", ""]) == "a"       # held elsewhere
    assert s.claim_ref(keys=ref, args=["b", "x"]) == "a"      # a stale value that is not the current one
    assert s.claim_ref(keys=ref, args=["b", "a"]) == "b"      # taken over from a slot with no record
    assert s.release_ref(keys=ref, args=["a"]) == 0
    assert s.release_ref(keys=ref, args=["b"]) == 1
    assert store.client.get(ref[0]) is None
