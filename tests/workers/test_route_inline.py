"""As shipped, StartHumanLoop routes the loop itself: claimable at once, with no worker running."""

from __future__ import annotations

from tests.workers.test_routing import assert_routed_exactly_once, broker_route_messages, start_many


def test_started_loops_are_claimable_without_any_worker_and_no_route_task_is_sent(service, flow, reviewers):
    flow_name, flow_arn = flow(task_count=2)
    names = [f"inline-{i:03d}" for i in range(40)]
    start_many(service, flow_arn, names, threads=4)
    team = service.ctx.store.loops.team_of(names[0])
    assert_routed_exactly_once(service, team, names, 2)
    assert broker_route_messages(service) == 0
    first, second = reviewers(2)
    claimed = first.claim()["humanLoopName"]
    assert claimed in names
    assert second.claim()["humanLoopName"] == claimed   # TaskCount 2: the oldest loop for another reviewer too
