"""The store is the only door to Redis, its scripts take every key through KEYS, and each script's
keys share one Redis Cluster slot."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from redis.crc import key_slot

from hitl_service.store import keys, luafiles

ROOT = Path(__file__).resolve().parents[2]
LUA = ROOT / "hitl_service" / "store" / "lua"


def _python_outside_store():
    for base in (ROOT / "hitl_service", ROOT / "workers"):
        for path in base.rglob("*.py"):
            if "store" not in path.relative_to(ROOT).parts[1:2]:
                yield path


def test_no_code_outside_the_store_talks_to_redis():
    offenders = []
    for path in _python_outside_store():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "redis" for a in node.names):
                offenders.append(f"{path}:{node.lineno} imports redis")
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "redis":
                offenders.append(f"{path}:{node.lineno} imports from redis")
            # the raw client of the store, or a script called around the store's typed methods
            owner = node.value if isinstance(node, ast.Attribute) else None
            owner_name = getattr(owner, "attr", None) or getattr(owner, "id", None)
            if isinstance(node, ast.Attribute) and node.attr in ("client", "r", "scripts") and owner_name == "store":
                offenders.append(f"{path}:{node.lineno} uses store.{node.attr}")
    assert offenders == []


def test_scripts_build_no_keys_and_every_script_is_used():
    store_src = "\n".join(p.read_text() for p in (ROOT / "hitl_service" / "store").glob("*.py"))
    for path in LUA.glob("*.lua"):
        text = path.read_text()
        assert "hitl:" not in text, f"{path.name} names a key"
        if not path.name.startswith("lib_"):
            assert re.search(rf"scripts\.{path.stem}\b", store_src), f"{path.name} has no store method"
            assert luafiles.source(path.stem).count("-- use:") == 0


def test_each_scripts_keys_share_one_slot():
    team, member, worker, lease = "team-a", "loop:l1", "w1", "team-a.tok"
    team_slot = {key_slot(k.encode()) for k in [
        *keys.team_keys(team), *keys.team_keys(team, "job"), keys.team(team), keys.team_flows(team),
        keys.flow(team, "f"), keys.flow_loops(team, "id"), keys.item(team, member), keys.item_answers(team, member),
        keys.item_workers(team, member), keys.lease(team, lease), keys.lease_ended(team, lease),
        keys.worker_leases(team, worker), keys.worked(team, worker), keys.released(team, worker), keys.cursors(team), keys.outbox_retire(team),
        keys.deleted_loop_event(team, "l1"), keys.event_state(team, "l1"), keys.finalize_attempts(team)]}
    assert len(team_slot) == 1
    assert key_slot(keys.ui("u").encode()) == key_slot(keys.ui_flows("u").encode())
    # different teams spread over the slots (so over a cluster's masters)
    assert len({key_slot(keys.queue(f"team-{i}").encode()) for i in range(50)}) > 40
