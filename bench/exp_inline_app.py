"""Experiment only (``python -m bench.experiments``), never part of `make bench`.

The shipped WSGI app with one change: StartHumanLoop routes the loop itself, by running the routing
script in the request, instead of publishing a Celery task. It measures what the fix proposed in
docs/benchmarks.md (B1/B2/B3/B7 analysis) would gain. The numbers quoted there were measured at
commit ba40683, where the start published one `route_loop` task per loop; with the batched
`route_pending_loops` drain that followed, the request runs the drain script inline instead.
"""

from __future__ import annotations

from hitl_service.wsgi import app
from workers.dispatch import CeleryDispatcher

_ctx = app.extensions["hitl"]


def _route_inline(self, loop_name: str) -> None:
    _ctx.store.loops.route(loop_name)


def _route_pending_inline(self) -> None:
    for team in _ctx.store.work_teams():
        _ctx.store.loops.route_pending(team, max(1, getattr(_ctx.settings, "route_batch_size", 100)))


CeleryDispatcher.route = _route_inline
if hasattr(CeleryDispatcher, "route_pending"):
    CeleryDispatcher.route_pending = _route_pending_inline
