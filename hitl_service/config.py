"""Typed settings. This module is the only reader of ``os.environ``."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path


def _keys(raw: str) -> dict[str, str]:
    """Parse ``AKID:SECRET,AKID2:SECRET2`` into a mapping."""
    pairs = {}
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        akid, _, secret = item.partition(":")
        if not akid or not secret:
            raise ValueError("HITL_ACCESS_KEYS entries must look like ACCESS_KEY_ID:SECRET")
        pairs[akid] = secret
    return pairs


def _lambda_endpoints(raw: str) -> dict[str, str]:
    """``arn-or-function-name=url,...`` (ARNs hold ':' but never '=' or ',')."""
    out = {}
    for entry in filter(None, (e.strip() for e in raw.split(","))):
        target, sep, url = entry.partition("=")
        if not sep or not target.strip() or not url.strip():
            raise ValueError("HITL_LAMBDA_ENDPOINTS entries must look like FUNCTION_ARN=URL")
        out[target.strip()] = url.strip()
    return out
def _list(raw: str) -> list[str]:
    """Parse a comma-separated setting into its non-empty items."""
    return [item.strip() for item in raw.split(",") if item.strip()]


def _broker_from(redis_url: str) -> str:
    """Default broker: the same Redis server (or Sentinel group), the next database."""
    from hitl_service.store import sentinel

    if sentinel.is_sentinel_url(redis_url):
        target = sentinel.parse(redis_url)
        return target.broker_url(target.db + 1)
    if redis_url.startswith("redis+cluster://"):
        raise ValueError("HITL_BROKER_URL must be set with a Redis Cluster store (Celery cannot use a cluster as "
                         "its broker): e.g. amqp://user:password@rabbitmq:5672/hitl")
    base, _, tail = redis_url.rpartition("/")
    if tail.isdigit() and base.count("/") >= 2:
        return f"{base}/{int(tail) + 1}"
    return redis_url.rstrip("/") + "/1"


@dataclasses.dataclass
class Settings:
    """Everything the app, workers and CLI can be configured with."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    broker_url: str = ""
    region: str = "us-east-1"
    account_id: str = "123456789012"
    access_keys: dict[str, str] = dataclasses.field(default_factory=dict)
    secret_key: str = "dev-insecure-secret-change-me"
    public_url: str = "http://127.0.0.1:8080"
    # the address `hitl run` binds the API to; loopback unless the operator opens it (HITL_BIND_HOST)
    bind_host: str = "127.0.0.1"
    data_dir: str = "var/data"
    max_clock_skew_seconds: int = 300
    # output storage: "local" (files under data_dir/s3/<bucket>/<key>) or "s3"
    output_backend: str = "local"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    webhook_urls: list[str] = dataclasses.field(default_factory=list)
    webhook_secret: str | None = None
    max_answer_bytes: int = 1_048_576
    lease_heartbeat_seconds: int = 300
    # StartHumanLoop routes the loop in its own script (issue 17); off, loops wait in the route outbox
    # for the batched drain task (which stays as the fallback for anything left in the outbox)
    route_inline: bool = True
    route_batch_size: int = 200
    route_wake_ttl_ms: int = 5000
    # the finalize drain: loops taken per batch, output writes in flight at once (S3 puts wait on the
    # network, so a batch writes concurrently), and how long a wake flag whose drain never ran stays up
    finalize_batch_size: int = 200
    finalize_write_threads: int = 8
    finalize_wake_ttl_ms: int = 5000
    broker_visibility_timeout: int = 300
    # the Sentinel master name for a sentinel:// broker (default: the store's, from HITL_REDIS_URL)
    broker_sentinel_master: str = ""
    # acknowledge a start or an answer only once this many replicas have it (Sentinel deployments)
    redis_min_replicas: int = 0
    redis_wait_timeout_ms: int = 1000
    reaper_interval_seconds: float = 5.0
    outbox_grace_seconds: float = 10.0
    # caps of the jittered exponential backoff between retries of an output.json write and of a
    # webhook delivery (attempt n waits between cap/2 and cap once 2**n passes the cap)
    finalize_backoff_max_seconds: float = 300.0
    webhook_backoff_max_seconds: float = 300.0
    log_level: str = "INFO"
    testing: bool = False
    # forced on when public_url is https (create_app); this turns it on behind a TLS proxy on http
    session_cookie_secure: bool = False
    # the review task frame: False lets templates load scripts, styles, fonts and media from any https
    # origin (as AWS does); True keeps them to this service only
    task_frame_strict_csp: bool = False
    # labeling jobs: where custom PRE/POST functions are invoked (None: AWS Lambda itself), per-ARN
    # (or per function name) Invoke URLs, attempts before an object counts FailedNonRetryableError
    lambda_endpoint_url: str | None = None
    lambda_endpoints: dict[str, str] = dataclasses.field(default_factory=dict)
    lambda_attempts: int = 4
    lambda_backoff_seconds: float = 0.5
    job_ingest_batch: int = 5000
    # sign-in throttling: failures before a lockout, per reviewer name and per client address; the
    # first lockout lasts login_lockout_seconds and each further failure doubles it (up to 15 min)
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_lockout_seconds: float = 30.0
    # when set, GET /metrics requires "Authorization: Bearer <token>" (Prometheus: authorization.credentials)
    metrics_token: str | None = None
    # workforce (docs/workforce.md): key for secrets at rest (default: derived from secret_key),
    # proxies whose X-Forwarded-For is believed, the IdP's TLS trust, groups that grant roles
    workforce_secret_key: str = ""
    trusted_proxies: list[str] = dataclasses.field(default_factory=list)
    oidc_ca_bundle: str | None = None
    oidc_clock_skew_seconds: int = 60
    admin_groups: list[str] = dataclasses.field(default_factory=list)
    lead_groups: list[str] = dataclasses.field(default_factory=list)
    audit_max_len: int = 100_000

    def __post_init__(self):
        if not self.broker_url:
            self.broker_url = _broker_from(self.redis_url)
        if len(self.account_id) != 12 or not self.account_id.isdigit():
            raise ValueError("account_id must be 12 digits")

    def broker_transport_options(self) -> dict:
        """Celery's broker_transport_options for the configured broker."""
        options: dict = {}
        if self.broker_url.startswith(("redis://", "rediss://", "sentinel://", "unix://")):
            options["visibility_timeout"] = self.broker_visibility_timeout
        if self.broker_url.startswith("sentinel://"):
            from hitl_service.store import sentinel

            master = self.broker_sentinel_master
            if not master and sentinel.is_sentinel_url(self.redis_url):
                master = sentinel.parse(self.redis_url).master
            if not master:
                raise ValueError("HITL_BROKER_SENTINEL_MASTER must name the Sentinel master of a sentinel:// broker")
            options["master_name"] = master
        if self.broker_url.startswith(("amqp://", "amqps://", "pyamqp://")):
            options["confirm_publish"] = True
        return options

    @property
    def broker_is_amqp(self) -> bool:
        return self.broker_url.startswith(("amqp://", "amqps://", "pyamqp://"))

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "Settings":
        """Build settings from HITL_* environment variables, then apply overrides."""
        env = os.environ if environ is None else environ
        values: dict = {}

        def put(field, var, convert=str):
            if var in env and env[var] != "":
                values[field] = convert(env[var])

        put("redis_url", "HITL_REDIS_URL")
        put("broker_url", "HITL_BROKER_URL")
        put("region", "HITL_REGION")
        put("account_id", "HITL_ACCOUNT_ID")
        put("access_keys", "HITL_ACCESS_KEYS", _keys)
        put("secret_key", "HITL_SECRET_KEY")
        put("public_url", "HITL_PUBLIC_URL", lambda v: v.rstrip("/"))
        put("bind_host", "HITL_BIND_HOST")
        put("data_dir", "HITL_DATA_DIR")
        put("max_clock_skew_seconds", "HITL_MAX_CLOCK_SKEW_SECONDS", int)
        put("output_backend", "HITL_OUTPUT_BACKEND")
        put("s3_endpoint_url", "HITL_S3_ENDPOINT_URL")
        put("s3_region", "HITL_S3_REGION")
        put("s3_access_key_id", "HITL_S3_ACCESS_KEY_ID")
        put("s3_secret_access_key", "HITL_S3_SECRET_ACCESS_KEY")
        put("webhook_urls", "HITL_WEBHOOK_URLS", lambda v: [u.strip() for u in v.split(",") if u.strip()])
        put("webhook_secret", "HITL_WEBHOOK_SECRET")
        put("max_answer_bytes", "HITL_MAX_ANSWER_BYTES", int)
        put("lease_heartbeat_seconds", "HITL_LEASE_HEARTBEAT_SECONDS", int)
        put("route_inline", "HITL_ROUTE_INLINE", lambda v: v.lower() in ("1", "true", "yes"))
        put("route_batch_size", "HITL_ROUTE_BATCH_SIZE", int)
        put("route_wake_ttl_ms", "HITL_ROUTE_WAKE_TTL_MS", int)
        put("finalize_batch_size", "HITL_FINALIZE_BATCH_SIZE", int)
        put("finalize_write_threads", "HITL_FINALIZE_WRITE_THREADS", int)
        put("finalize_wake_ttl_ms", "HITL_FINALIZE_WAKE_TTL_MS", int)
        put("broker_visibility_timeout", "HITL_BROKER_VISIBILITY_TIMEOUT", int)
        put("broker_sentinel_master", "HITL_BROKER_SENTINEL_MASTER")
        put("redis_min_replicas", "HITL_REDIS_MIN_REPLICAS", int)
        put("redis_wait_timeout_ms", "HITL_REDIS_WAIT_TIMEOUT_MS", int)
        put("reaper_interval_seconds", "HITL_REAPER_INTERVAL_SECONDS", float)
        put("outbox_grace_seconds", "HITL_OUTBOX_GRACE_SECONDS", float)
        put("finalize_backoff_max_seconds", "HITL_FINALIZE_BACKOFF_MAX_SECONDS", float)
        put("webhook_backoff_max_seconds", "HITL_WEBHOOK_BACKOFF_MAX_SECONDS", float)
        put("log_level", "HITL_LOG_LEVEL")
        put("lambda_endpoint_url", "HITL_LAMBDA_ENDPOINT_URL")
        put("lambda_endpoints", "HITL_LAMBDA_ENDPOINTS", _lambda_endpoints)
        put("lambda_attempts", "HITL_LAMBDA_ATTEMPTS", int)
        put("lambda_backoff_seconds", "HITL_LAMBDA_BACKOFF_SECONDS", float)
        put("job_ingest_batch", "HITL_JOB_INGEST_BATCH", int)
        put("session_cookie_secure", "HITL_SESSION_COOKIE_SECURE", lambda v: v.lower() in ("1", "true", "yes"))
        put("task_frame_strict_csp", "HITL_TASK_FRAME_STRICT_CSP", lambda v: v.lower() in ("1", "true", "yes"))
        put("login_max_failures_per_account", "HITL_LOGIN_MAX_FAILURES_PER_ACCOUNT", int)
        put("login_max_failures_per_address", "HITL_LOGIN_MAX_FAILURES_PER_ADDRESS", int)
        put("login_lockout_seconds", "HITL_LOGIN_LOCKOUT_SECONDS", float)
        put("metrics_token", "HITL_METRICS_TOKEN")
        put("workforce_secret_key", "HITL_WORKFORCE_SECRET_KEY")
        put("trusted_proxies", "HITL_TRUSTED_PROXIES", _list)
        put("oidc_ca_bundle", "HITL_OIDC_CA_BUNDLE")
        put("oidc_clock_skew_seconds", "HITL_OIDC_CLOCK_SKEW_SECONDS", int)
        put("admin_groups", "HITL_ADMIN_GROUPS", _list)
        put("lead_groups", "HITL_LEAD_GROUPS", _list)
        put("audit_max_len", "HITL_AUDIT_MAX_LEN", int)
        values.update(overrides)
        return cls(**values)
