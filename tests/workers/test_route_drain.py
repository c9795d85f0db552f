"""The route drain alone routes a burst of starts: no loop waits in the route outbox for the sweeper."""

from __future__ import annotations

import pytest

from tests.conftest import wait_until
from tests.support import resources as R
from tests.workers.test_routing import assert_routed_exactly_once, start_many

# these tests exercise the route outbox and its drain task: starts do not route inline here
pytestmark = pytest.mark.usefixtures("deferred_routing")



def test_a_burst_of_starts_is_routed_without_the_outbox_sweeper(service, sm, worker_factory):
    team, team_arn = R.create_team(sm)
    _, flow_arn = R.create_flow(sm, team_arn=team_arn)
    # no beat, so no sweeper: a loop is routed only by a drain that its start woke or that was under way;
    # starts arriving while a drain routes a partial batch must not be left behind its wake flag
    worker_factory(service.settings, beat=False, concurrency=2)
    names = [f"burst-{i:04d}" for i in range(600)]
    start_many(service, flow_arn, names, threads=8)
    store = service.ctx.store
    wait_until(lambda: store.stats.read().route_backlog == 0, timeout=90, interval=0.2,
               message="every started loop routed by the drain")
    assert_routed_exactly_once(service, team, names, 1)
