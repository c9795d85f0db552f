"""Fixtures: a private redis-server, the app over real HTTP, real boto3 clients, Celery workers."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from hitl_service import create_app
from hitl_service.config import Settings
from tests.support.procs import RedisServer, ThreadedHTTPApp

ACCESS_KEY = "AKIDTESTHITL0000001"
SECRET_KEY = "test-secret-key-for-hitl-service-0000"
REGION = "us-east-1"
ACCOUNT = "123456789012"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def session_data_dir():
    d = tempfile.mkdtemp(prefix="hitl-data-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def make_settings(redis_url: str, data_dir: str, **overrides) -> Settings:
    values = dict(redis_url=redis_url, access_keys={ACCESS_KEY: SECRET_KEY}, region=REGION, account_id=ACCOUNT,
                  secret_key="test-flask-secret", testing=True, data_dir=data_dir, log_level="WARNING",
                  outbox_grace_seconds=2.0, reaper_interval_seconds=0.5, broker_visibility_timeout=5)
    values.update(overrides)
    return Settings(**values)


class Service:
    """One running app (real HTTP) plus clients for it."""

    def __init__(self, settings: Settings):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.settings = settings
        self.app = create_app(settings)
        self.http = ThreadedHTTPApp(self.app).start()
        self.url = self.http.url
        self.ctx = self.app.extensions["hitl"]

    def client(self, service: str, **kw):
        return boto3.client(service, endpoint_url=self.url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY,
                            config=Config(retries={"max_attempts": 2, "mode": "standard"}), **kw)

    def stop(self):
        self.http.stop()


@pytest.fixture(scope="session")
def base_service(redis_server, session_data_dir):
    svc = Service(make_settings(redis_server.url, session_data_dir))
    yield svc
    svc.stop()


@pytest.fixture
def service(base_service, redis_server):
    redis_server.flush()
    return base_service


@pytest.fixture
def a2i(service):
    return service.client("sagemaker-a2i-runtime")


@pytest.fixture
def sm(service):
    return service.client("sagemaker")


class CeleryWorker:
    """A real `celery worker` process (optionally with embedded beat) against the test Redis."""

    def __init__(self, settings: Settings, beat: bool = False, concurrency: int = 4, extra_env: dict | None = None,
                 pool: str = "threads"):
        self.settings = settings
        self.pool = pool
        self.beat = beat
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None
        self.logdir = tempfile.mkdtemp(prefix="hitl-worker-")

    def env(self) -> dict:
        s = self.settings
        env = dict(os.environ)
        env.update({
            "HITL_REDIS_URL": s.redis_url, "HITL_BROKER_URL": s.broker_url, "HITL_REGION": s.region,
            "HITL_ACCOUNT_ID": s.account_id, "HITL_DATA_DIR": s.data_dir,
            "HITL_OUTPUT_BACKEND": s.output_backend,
            "HITL_REAPER_INTERVAL_SECONDS": str(s.reaper_interval_seconds),
            "HITL_OUTBOX_GRACE_SECONDS": str(s.outbox_grace_seconds),
            "HITL_BROKER_VISIBILITY_TIMEOUT": str(s.broker_visibility_timeout),
            "HITL_FINALIZE_BACKOFF_MAX_SECONDS": str(s.finalize_backoff_max_seconds),
            "HITL_WEBHOOK_BACKOFF_MAX_SECONDS": str(s.webhook_backoff_max_seconds),
            "HITL_ROUTE_BATCH_SIZE": str(s.route_batch_size), "HITL_ROUTE_WAKE_TTL_MS": str(s.route_wake_ttl_ms),
            "HITL_REDIS_MIN_REPLICAS": str(s.redis_min_replicas),
            "HITL_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
        })
        for name, value in (("HITL_S3_ENDPOINT_URL", s.s3_endpoint_url), ("HITL_S3_REGION", s.s3_region),
                            ("HITL_S3_ACCESS_KEY_ID", s.s3_access_key_id),
                            ("HITL_S3_SECRET_ACCESS_KEY", s.s3_secret_access_key),
                            ("HITL_WEBHOOK_SECRET", s.webhook_secret)):
            if value:
                env[name] = value
        if s.webhook_urls:
            env["HITL_WEBHOOK_URLS"] = ",".join(s.webhook_urls)
        env.update(self.extra_env)
        return env

    def start(self) -> "CeleryWorker":
        cmd = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", f"--pool={self.pool}",
               f"--concurrency={self.concurrency}", "--without-gossip", "--without-mingle", "--without-heartbeat",
               "-Q", "hitl", "--loglevel=INFO"]
        if self.beat:
            cmd += ["-B", "--schedule", os.path.join(self.logdir, "beat-schedule")]
        self.log = open(os.path.join(self.logdir, "worker.log"), "ab")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env(), stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("celery worker exited:\n" + self.output())
            if b"ready." in Path(self.logdir, "worker.log").read_bytes():
                return self
            time.sleep(0.1)
        raise TimeoutError("celery worker did not become ready:\n" + self.output())

    def output(self) -> str:
        return Path(self.logdir, "worker.log").read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """SIGKILL the whole worker process group (no chance to ack or clean up)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "log", None):
            self.log.close()


@pytest.fixture
def worker_factory():
    started: list[CeleryWorker] = []

    def make(settings: Settings, **kw) -> CeleryWorker:
        w = CeleryWorker(settings, **kw).start()
        started.append(w)
        return w

    yield make
    for w in started:
        w.stop()


@pytest.fixture
def worker(service, worker_factory):
    """A Celery worker with beat, serving the default test service."""
    return worker_factory(service.settings, beat=True)


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
