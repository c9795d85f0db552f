"""Both output storage backends, against a real moto S3 server over HTTP and a real directory."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import stat
import threading
import urllib.request
import uuid

import pytest

from hitl_service.config import Settings
from hitl_service.output.document import build_output_document, output_key
from hitl_service.output.storage import (
    LocalDirectoryStorage,
    OutputConfigError,
    OutputNotFoundError,
    OutputStorage,
    OutputWriteError,
    S3Storage,
    storage_from_settings,
)
from tests.output.conftest import s3_client, s3_settings
from tests.support.procs import MotoServer

KEY = "a2i-results/fd-nlp/2021/07/06/22/33/08/loop-1/output.json"


def _signer(calls: list):
    def sign(bucket: str, key: str, expires_in: int) -> str:
        calls.append((bucket, key, expires_in))
        return f"http://review.example/files/{bucket}/{key}?exp={expires_in}&sig=x"
    return sign


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    """(storage, bucket) for each backend; S3 gets a fresh bucket on the shared moto server."""
    if request.param == "local":
        return LocalDirectoryStorage(tmp_path, url_signer=_signer([])), "bkt"
    moto = request.getfixturevalue("moto")
    bucket = f"t-{uuid.uuid4().hex[:16]}"
    s3_client(moto.url).create_bucket(Bucket=bucket)
    return S3Storage(s3_settings(moto.url)), bucket


# --- the same contract for both backends ---------------------------------------------------------


def test_put_then_get(backend):
    storage, bucket = backend
    body = '{"humanLoopName":"loop-1","note":"très"}'.encode()
    storage.put(bucket, KEY, body)
    assert storage.get(bucket, KEY) == body


def test_exists(backend):
    storage, bucket = backend
    assert storage.exists(bucket, KEY) is False
    storage.put(bucket, KEY, b"{}")
    assert storage.exists(bucket, KEY) is True
    assert storage.exists(bucket, KEY + ".other") is False
    # a prefix of a stored key is not an object
    assert storage.exists(bucket, KEY.rsplit("/", 1)[0] + "/x") is False


def test_overwrite_same_content_is_fine(backend):
    storage, bucket = backend
    body = build_output_document(
        flow_definition_arn="arn:aws:sagemaker:us-east-1:123456789012:flow-definition/fd-nlp",
        loop_name="loop-1", input_content='{"a": 1}', answers=[],
    )
    storage.put(bucket, KEY, body)
    storage.put(bucket, KEY, body)
    assert storage.get(bucket, KEY) == body
    storage.put(bucket, KEY, b'{"replaced":true}')
    assert storage.get(bucket, KEY) == b'{"replaced":true}'


def test_get_missing_object(backend):
    storage, bucket = backend
    with pytest.raises(OutputNotFoundError):
        storage.get(bucket, "nothing/here/output.json")


def test_key_from_output_key(backend):
    storage, bucket = backend
    from datetime import datetime, timezone

    created = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    _, key = output_key(f"s3://{bucket}/results/", "fd", "loop-9", created)
    storage.put(bucket, key, b"[]")
    assert storage.exists(bucket, "results/fd/2024/01/02/03/04/05/loop-9/output.json")


@pytest.mark.parametrize("expires_in", [0, -5, 7 * 24 * 3600 + 1])
def test_read_url_expiry_bounds(backend, expires_in):
    storage, bucket = backend
    with pytest.raises(ValueError):
        storage.read_url(bucket, KEY, expires_in)


def test_backends_satisfy_protocol(backend):
    storage, _ = backend
    assert isinstance(storage, OutputStorage)


# --- S3 ------------------------------------------------------------------------------------------


def test_s3_read_url_is_fetchable(moto):
    storage = S3Storage(s3_settings(moto.url))
    bucket = f"t-{uuid.uuid4().hex[:16]}"
    s3_client(moto.url).create_bucket(Bucket=bucket)
    storage.put(bucket, KEY, b'{"ok":1}')
    url = storage.read_url(bucket, KEY, 300)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b'{"ok":1}'
    # moto (without its IAM emulation) does not check SigV4 signatures or expiry, so a tampered
    # URL would still work against it; only real S3 proves the signature


def test_s3_put_sends_md5_and_content_type(moto):
    # moto does not verify Content-MD5 (checked by hand: a wrong MD5 is accepted), so check what
    # arrived: a single-part ETag is the MD5 of the stored bytes
    storage = S3Storage(s3_settings(moto.url))
    bucket = f"t-{uuid.uuid4().hex[:16]}"
    client = s3_client(moto.url)
    client.create_bucket(Bucket=bucket)
    body = b'{"x":"' + b"y" * 5000 + b'"}'
    storage.put(bucket, KEY, body)
    head = client.head_object(Bucket=bucket, Key=KEY)
    assert head["ETag"].strip('"') == hashlib.md5(body).hexdigest()
    assert head["ContentType"] == "application/json"


def test_s3_missing_bucket_is_config_error(moto):
    storage = S3Storage(s3_settings(moto.url))
    with pytest.raises(OutputConfigError) as info:
        storage.put("no-such-bucket-here", KEY, b"{}")
    assert info.value.code == "NoSuchBucket"
    with pytest.raises(OutputConfigError):
        storage.get("no-such-bucket-here", KEY)
    # HEAD answers carry no error code, so a missing bucket reads as "no object"
    assert storage.exists("no-such-bucket-here", KEY) is False


def test_s3_outage_raises_write_error_then_recovers():
    server = MotoServer().start()
    try:
        storage = S3Storage(s3_settings(server.url))  # production timeouts and retries
        s3_client(server.url).create_bucket(Bucket="bkt")
        storage.put("bkt", KEY, b"1")

        server.stop()
        with pytest.raises(OutputWriteError) as info:
            storage.put("bkt", KEY, b"2")
        assert info.value.code == "EndpointConnectionError"
        with pytest.raises(OutputWriteError):
            storage.exists("bkt", KEY)
        with pytest.raises(OutputWriteError):
            storage.get("bkt", KEY)

        # a new moto on the same port; it keeps state in memory, so the bucket is gone
        restarted = MotoServer()
        restarted.port = server.port
        server = restarted.start()
        s3_client(server.url).create_bucket(Bucket="bkt")
        storage.put("bkt", KEY, b"2")
        assert storage.get("bkt", KEY) == b"2"
    finally:
        server.stop()


def test_s3_hung_server_times_out():
    # accepts connections (through the listen backlog) and never answers
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        storage = S3Storage(s3_settings(f"http://127.0.0.1:{port}"),
                            connect_timeout=0.5, read_timeout=0.5, max_retries=0)
        with pytest.raises(OutputWriteError) as info:
            storage.put("bkt", KEY, b"{}")
        assert info.value.code == "ReadTimeoutError"


class _S3ErrorServer:
    """A real HTTP server that answers every S3 request with one fixed S3 error."""

    def __init__(self, status: int, code: str):
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                f"<Message>injected {code}</Message><RequestId>r1</RequestId></Error>").encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            # HTTP/1.1 so the server answers botocore's "Expect: 100-continue" instead of making it
            # wait a second before sending the PUT body
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_PUT = do_GET = do_HEAD = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    "status, code, error",
    [
        (503, "SlowDown", OutputWriteError),
        (500, "InternalError", OutputWriteError),
        (503, "ServiceUnavailable", OutputWriteError),
        (400, "RequestTimeout", OutputWriteError),
        (403, "AccessDenied", OutputConfigError),
        (403, "InvalidAccessKeyId", OutputConfigError),
        (403, "SignatureDoesNotMatch", OutputConfigError),
    ],
)
def test_s3_error_classification(status, code, error):
    server = _S3ErrorServer(status, code)
    try:
        storage = S3Storage(s3_settings(server.url), max_retries=0)
        with pytest.raises(error) as info:
            storage.put("bkt", KEY, b"{}")
        assert info.value.code == code
    finally:
        server.close()


def test_s3_needs_both_credentials():
    with pytest.raises(ValueError):
        S3Storage(s3_settings("http://127.0.0.1:1", s3_secret_access_key=None))


# --- local directory -----------------------------------------------------------------------------


def test_local_layout_and_no_temp_files(tmp_path):
    storage = LocalDirectoryStorage(tmp_path)
    storage.put("bkt", KEY, b'{"a":1}')
    target = tmp_path / "s3" / "bkt" / KEY
    assert target.read_bytes() == b'{"a":1}'
    storage.put("bkt", KEY, b'{"a":2}')
    files = [p for p in (tmp_path / "s3").rglob("*") if p.is_file()]
    assert files == [target]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


@pytest.mark.parametrize(
    "bucket, key",
    [
        ("bkt", "../escape.json"),
        ("bkt", "a/../../escape.json"),
        ("bkt", "/etc/passwd"),
        ("bkt", "a/./b.json"),
        ("bkt", "dir/"),
        ("bkt", ""),
        ("bkt", "a\0b"),
        ("..", "x.json"),
        ("a/b", "x.json"),
        ("", "x.json"),
    ],
)
def test_local_rejects_escaping_names(tmp_path, bucket, key):
    storage = LocalDirectoryStorage(tmp_path, url_signer=_signer([]))
    for call in (lambda: storage.put(bucket, key, b"x"), lambda: storage.get(bucket, key),
                 lambda: storage.exists(bucket, key), lambda: storage.read_url(bucket, key, 60)):
        with pytest.raises(ValueError):
            call()
    assert not (tmp_path / "escape.json").exists()
    assert not (tmp_path / "s3").exists()


def test_local_failed_write_leaves_nothing_behind(tmp_path):
    storage = LocalDirectoryStorage(tmp_path)
    # a directory where the file should go makes the final rename fail after the temp file exists
    (tmp_path / "s3" / "bkt" / KEY).mkdir(parents=True)
    with pytest.raises(OutputConfigError) as info:
        storage.put("bkt", KEY, b"{}")
    assert info.value.code == "EISDIR"
    leftovers = [p for p in (tmp_path / "s3").rglob("*") if p.is_file()]
    assert leftovers == []


def test_local_readers_never_see_partial_files(tmp_path):
    storage = LocalDirectoryStorage(tmp_path)
    bodies = [b"A" * 2_000_000, b"B" * 3_000_000]
    storage.put("bkt", KEY, bodies[0])
    seen: set[int] = set()
    bad: list[int] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            data = storage.get("bkt", KEY)
            if data not in bodies:
                bad.append(len(data))
            seen.add(len(data))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(20):
            storage.put("bkt", KEY, bodies[i % 2])
    finally:
        stop.set()
        thread.join(30)
    assert bad == []


def test_local_read_url_delegates_to_signer(tmp_path):
    calls: list = []
    storage = LocalDirectoryStorage(tmp_path, url_signer=_signer(calls))
    url = storage.read_url("bkt", KEY, 120)
    assert calls == [("bkt", KEY, 120)]
    assert url == f"http://review.example/files/bkt/{KEY}?exp=120&sig=x"
    with pytest.raises(OutputConfigError):
        LocalDirectoryStorage(tmp_path).read_url("bkt", KEY, 120)


# --- wiring --------------------------------------------------------------------------------------


def test_storage_from_settings(tmp_path, moto):
    local = storage_from_settings(Settings(output_backend="local", data_dir=str(tmp_path)))
    assert isinstance(local, LocalDirectoryStorage)
    assert local.root == tmp_path / "s3"

    calls: list = []
    signed = storage_from_settings(Settings(output_backend="local", data_dir=str(tmp_path)), _signer(calls))
    signed.read_url("bkt", KEY, 10)
    assert calls == [("bkt", KEY, 10)]

    s3 = storage_from_settings(s3_settings(moto.url))
    assert isinstance(s3, S3Storage)
    assert s3.client.meta.endpoint_url == moto.url
    # botocore turns retries={"max_attempts": 2} into 3 attempts in all
    assert s3.client.meta.config.retries["total_max_attempts"] == 3
    assert s3.client.meta.config.connect_timeout <= 5 and s3.client.meta.config.read_timeout <= 10

    with pytest.raises(ValueError):
        storage_from_settings(Settings(output_backend="gcs"))


def test_settings_from_env_round_trip(tmp_path, moto):
    settings = Settings.from_env({
        "HITL_OUTPUT_BACKEND": "s3", "HITL_S3_ENDPOINT_URL": moto.url, "HITL_S3_REGION": "us-east-1",
        "HITL_S3_ACCESS_KEY_ID": "testing", "HITL_S3_SECRET_ACCESS_KEY": "testing",
    })
    storage = storage_from_settings(settings)
    bucket = f"t-{uuid.uuid4().hex[:16]}"
    s3_client(moto.url).create_bucket(Bucket=bucket)
    storage.put(bucket, KEY, json.dumps({"k": "v"}).encode())
    assert json.loads(storage.get(bucket, KEY)) == {"k": "v"}
