"""Enqueue Celery tasks by name so the API process never imports task code or does their work."""

from __future__ import annotations

from hitl_service.config import Settings


class CeleryDispatcher:
    """The ServiceContext dispatcher backed by Celery's send_task."""

    def __init__(self, settings: Settings, app=None):
        self._settings = settings
        self._app = app

    @property
    def app(self):
        if self._app is None:
            from celery import Celery

            from workers.celery_app import make_celery

            self._app = make_celery(self._settings)
            assert isinstance(self._app, Celery)
        return self._app

    def route(self, loop_name: str) -> None:
        self.app.send_task("hitl.route_loop", args=[loop_name])

    def route_pending(self) -> None:
        self.app.send_task("hitl.route_pending_loops")

    def finalize(self, loop_name: str) -> None:
        self.app.send_task("hitl.finalize_loop", args=[loop_name])

    def finalize_pending(self, team: str) -> None:
        self.app.send_task("hitl.finalize_pending_loops", args=[team])

    def retire_flow(self, flow_name: str, flow_id: str) -> None:
        self.app.send_task("hitl.retire_flow", args=[flow_name, flow_id])

    def deliver_events(self) -> None:
        self.app.send_task("hitl.deliver_events")

    def job_work(self, job_name: str) -> None:
        self.app.send_task("hitl.jobs.work", args=[job_name])
