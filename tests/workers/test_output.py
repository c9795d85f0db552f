"""output.json end to end: boto3 StartHumanLoop -> reviewers answer over HTTP -> a real Celery worker
writes the object to moto (S3 over real HTTP) or to the local directory backend, exactly once, through
S3 outages and a worker killed mid-write."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from datetime import timezone
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.support.procs import MotoServer
from tests.workers.conftest import BUCKET, metrics, s3_client, start_loop, worker_settings

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
PREFIX = "results/a2i"
TERMINAL = ("Completed", "Failed", "Stopped")


class Output:
    """Reads what a backend stored: moto over boto3, or files under {data_dir}/s3/{bucket}/{key}."""

    def __init__(self, backend: str, data_dir: Path, endpoint_url: str | None = None):
        self.backend = backend
        self.data_dir = Path(data_dir)
        self.s3 = s3_client(endpoint_url) if endpoint_url else None

    def keys(self, prefix: str) -> list[str]:
        if self.backend == "s3":
            listing = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
            return [o["Key"] for o in listing.get("Contents", [])]
        root = self.data_dir / "s3" / BUCKET
        found = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        return sorted(k for k in found if k.startswith(prefix))

    def exists(self, key: str) -> bool:
        return key in self.keys(key)

    def read(self, key: str) -> dict:
        if self.backend == "s3":
            obj = self.s3.get_object(Bucket=BUCKET, Key=key)
            assert obj["ContentType"] == "application/json"
            return json.loads(obj["Body"].read())
        return json.loads((self.data_dir / "s3" / BUCKET / key).read_bytes())


def expected_key(describe: dict, flow_name: str, loop_name: str) -> str:
    created = describe["CreationTime"].astimezone(timezone.utc)
    return f"{PREFIX}/{flow_name}/{created:%Y/%m/%d/%H/%M/%S}/{loop_name}/output.json"


def wait_terminal(a2i, name: str, output: Output | None = None, timeout: float = 30.0) -> dict:
    """Poll DescribeHumanLoop until the loop is terminal; every poll checks that a loop that says it has
    output really has it once it is terminal (the status never runs ahead of the object)."""
    def check():
        d = a2i.describe_human_loop(HumanLoopName=name)
        uri = d.get("HumanLoopOutput", {}).get("OutputS3Uri")
        if d["HumanLoopStatus"] not in TERMINAL:
            # A2I reports the deterministic key from the start, before the object exists
            assert uri is not None
            return None
        if uri and output is not None:
            assert output.exists(uri.split("/", 3)[3]), f"{name} reports {uri} before the object exists"
        return d
    return wait_until(check, timeout=timeout, interval=0.1, message=f"{name} to finish")


def check_answer(answer: dict, reviewer, content: dict, submitted: dict, claimed: dict, service) -> None:
    assert list(answer) == ["acceptanceTime", "answerContent", "submissionTime", "timeSpentInSeconds",
                            "workerId", "workerMetadata"]
    assert answer["answerContent"] == content
    assert ISO_MS.match(answer["acceptanceTime"]) and ISO_MS.match(answer["submissionTime"])
    assert answer["acceptanceTime"] == claimed["acceptedAt"]
    assert answer["submissionTime"] == submitted["submissionTime"]
    assert answer["acceptanceTime"] <= answer["submissionTime"]
    assert isinstance(answer["timeSpentInSeconds"], float) and answer["timeSpentInSeconds"] >= 0
    assert answer["workerId"] == reviewer.worker_id and re.fullmatch(r"[0-9a-f]{16}", answer["workerId"])
    assert answer["workerMetadata"] == {"identityData": {
        "identityProviderType": "Oidc", "issuer": service.settings.public_url, "sub": reviewer.sub}}


def answer_loop(wait_until, reviewer, loop_name: str, content: dict) -> tuple[dict, dict]:
    claimed = reviewer.claim_wait(wait_until, loop_name)
    return claimed, reviewer.submit(claimed["token"], content)


def check_document(doc: dict, *, flow_arn: str, loop_name: str, input_content: dict) -> None:
    assert list(doc) == ["flowDefinitionArn", "humanAnswers", "humanLoopName", "inputContent"]
    assert doc["flowDefinitionArn"] == flow_arn
    assert doc["humanLoopName"] == loop_name
    assert doc["inputContent"] == input_content
    assert isinstance(doc["humanAnswers"], list)


@pytest.mark.parametrize("backend", ["s3", "local"])
def test_completed_loop_writes_a2i_output_json(backend, request, service, a2i, flow, reviewers, worker_factory,
                                               tmp_path):
    moto = None
    if backend == "s3":
        request.getfixturevalue("bucket")
        moto = request.getfixturevalue("moto")
    worker_factory(worker_settings(service, tmp_path, backend=backend, moto=moto), beat=True)
    output = Output(backend, tmp_path, moto.url if moto else None)
    flow_name, flow_arn = flow()
    (reviewer,) = reviewers(1)
    content = {"text": "Is this invoice total right?", "nested": {"amount": 12.5, "tags": ["a", "ü"]}}
    name = start_loop(a2i, flow_arn, content)
    answer = {"answer": "yes", "confidence": {"value": 0.9}}
    claimed, submitted = answer_loop(wait_until, reviewer, name, answer)

    describe = wait_terminal(a2i, name, output)
    assert describe["HumanLoopStatus"] == "Completed"
    key = expected_key(describe, flow_name, name)
    assert describe["HumanLoopOutput"]["OutputS3Uri"] == f"s3://{BUCKET}/{key}"
    assert output.keys(f"{PREFIX}/{flow_name}/") == [key]
    doc = output.read(key)
    check_document(doc, flow_arn=flow_arn, loop_name=name, input_content=content)
    assert len(doc["humanAnswers"]) == 1
    check_answer(doc["humanAnswers"][0], reviewer, answer, submitted, claimed, service)


def test_task_count_three_keeps_answers_in_submission_order(service, a2i, flow, reviewers, worker_factory, tmp_path,
                                                             moto, bucket):
    worker_factory(worker_settings(service, tmp_path, backend="s3", moto=moto), beat=True)
    output = Output("s3", tmp_path, moto.url)
    flow_name, flow_arn = flow(task_count=3)
    crew = reviewers(3)
    content = {"text": "three opinions"}
    name = start_loop(a2i, flow_arn, content)
    # all three claim first, then submit in reverse claim order: submission order is what counts
    claims = [r.claim_wait(wait_until, name) for r in crew]
    order = [2, 0, 1]
    submits = {}
    for i in order:
        submits[i] = crew[i].submit(claims[i]["token"], {"answer": f"from reviewer {i}"})
        if len(submits) < 3:
            assert a2i.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "InProgress"

    describe = wait_terminal(a2i, name, output)
    assert describe["HumanLoopStatus"] == "Completed"
    key = expected_key(describe, flow_name, name)
    assert output.keys(f"{PREFIX}/{flow_name}/") == [key]
    doc = output.read(key)
    check_document(doc, flow_arn=flow_arn, loop_name=name, input_content=content)
    assert len(doc["humanAnswers"]) == 3
    for answer, i in zip(doc["humanAnswers"], order):
        check_answer(answer, crew[i], {"answer": f"from reviewer {i}"}, submits[i], claims[i], service)
    assert len({a["workerId"] for a in doc["humanAnswers"]}) == 3


def test_s3_outage_before_last_submit_writes_output_once_after_recovery(service, a2i, flow, reviewers,
                                                                          worker_factory, tmp_path):
    s3server = MotoServer().start()
    try:
        s3 = s3_client(s3server.url)
        s3.create_bucket(Bucket=BUCKET)
        worker_factory(worker_settings(service, tmp_path, backend="s3", moto=s3server), beat=True)
        output = Output("s3", tmp_path, s3server.url)
        flow_name, flow_arn = flow(task_count=2)
        first, second = reviewers(2)
        content = {"text": "survive the outage"}
        name = start_loop(a2i, flow_arn, content)
        c1, s1 = answer_loop(wait_until, first, name, {"answer": "one"})
        c2 = second.claim_wait(wait_until, name)

        s3server.stop()
        s2 = second.submit(c2["token"], {"answer": "two"})

        # while S3 is down: still InProgress, one output pending, failed writes counted and retried
        def failures_seen():
            d = a2i.describe_human_loop(HumanLoopName=name)
            assert d["HumanLoopStatus"] == "InProgress"  # (its OutputS3Uri is known, the object is not there)
            m = metrics(service)
            assert m["hitl_outputs_pending"] == 1
            return m.get("hitl_output_write_failures_total", 0) >= 3
        wait_until(failures_seen, timeout=30, interval=0.2, message="three failed output writes")
        for _ in range(5):
            assert a2i.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "InProgress"
            assert metrics(service)["hitl_outputs_pending"] == 1
            time.sleep(0.2)
        # the pending age counts from the last submit, not from the latest retry
        assert metrics(service)["hitl_outputs_pending_oldest_age_seconds"] >= 1.0

        s3server.start()  # same port; moto starts empty
        s3.create_bucket(Bucket=BUCKET)

        describe = wait_terminal(a2i, name, output)
        assert describe["HumanLoopStatus"] == "Completed"
        key = expected_key(describe, flow_name, name)
        assert describe["HumanLoopOutput"]["OutputS3Uri"] == f"s3://{BUCKET}/{key}"
        assert output.keys(f"{PREFIX}/") == [key]
        doc = output.read(key)
        check_document(doc, flow_arn=flow_arn, loop_name=name, input_content=content)
        assert len(doc["humanAnswers"]) == 2
        check_answer(doc["humanAnswers"][0], first, {"answer": "one"}, s1, c1, service)
        check_answer(doc["humanAnswers"][1], second, {"answer": "two"}, s2, c2, service)
        m = metrics(service)
        assert m["hitl_outputs_pending"] == 0
        assert m["hitl_output_write_failures_total"] >= 3
    finally:
        s3server.stop()


class StallingProxy:
    """A TCP proxy in front of S3 that first swallows requests (the writer hangs mid-put_object), then
    forwards everything once ``forward()`` is called."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.forwarding = threading.Event()
        self.stalled: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stalled_count(self) -> int:
        with self.lock:
            return len(self.stalled)

    def forward(self) -> None:
        self.forwarding.set()
        with self.lock:
            for conn in self.stalled:
                conn.close()

    def close(self) -> None:
        self.listener.close()
        self.forward()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            if self.forwarding.is_set():
                threading.Thread(target=self._pipe_both, args=(conn,), daemon=True).start()
            else:
                with self.lock:
                    self.stalled.append(conn)

    def _pipe_both(self, conn: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        threading.Thread(target=self._pipe, args=(upstream, conn), daemon=True).start()
        self._pipe(conn, upstream)

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def test_worker_killed_while_writing_output_a_new_worker_completes_the_loop(service, a2i, flow, reviewers,
                                                                            worker_factory, tmp_path, moto, bucket):
    proxy = StallingProxy(moto.port)
    try:
        settings = worker_settings(service, tmp_path, backend="s3", s3_endpoint_url=proxy.url)
        first_worker = worker_factory(settings, beat=True)
        output = Output("s3", tmp_path, moto.url)
        flow_name, flow_arn = flow()
        (reviewer,) = reviewers(1)
        content = {"text": "crash mid-write"}
        name = start_loop(a2i, flow_arn, content)
        claimed, submitted = answer_loop(wait_until, reviewer, name, {"answer": "kept"})

        # the worker is inside put_object, waiting on S3 that never answers
        wait_until(lambda: proxy.stalled_count() >= 1, timeout=20, message="the output write to reach S3")
        assert a2i.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "InProgress"
        first_worker.kill()
        assert a2i.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == "InProgress"
        assert metrics(service)["hitl_outputs_pending"] == 1

        proxy.forward()
        worker_factory(settings, beat=True)
        describe = wait_terminal(a2i, name, output, timeout=40)
        assert describe["HumanLoopStatus"] == "Completed"
        key = expected_key(describe, flow_name, name)
        assert output.keys(f"{PREFIX}/{flow_name}/") == [key]
        doc = output.read(key)
        check_document(doc, flow_arn=flow_arn, loop_name=name, input_content=content)
        assert len(doc["humanAnswers"]) == 1
        check_answer(doc["humanAnswers"][0], reviewer, {"answer": "kept"}, submitted, claimed, service)
        assert metrics(service)["hitl_outputs_pending"] == 0
    finally:
        proxy.close()


@pytest.mark.parametrize("how", ["stop", "expire"])
def test_stop_and_expiry_write_output_only_with_answers(how, service, a2i, flow, reviewers, worker_factory, tmp_path,
                                                        moto, bucket):
    worker_factory(worker_settings(service, tmp_path, backend="s3", moto=moto), beat=True)
    output = Output("s3", tmp_path, moto.url)
    # expiry: long enough for the reviewer to claim and answer first (submit fails loudly otherwise)
    flow_name, flow_arn = flow(task_count=2, lifetime=10 if how == "expire" else None)
    (reviewer,) = reviewers(1)
    partial = start_loop(a2i, flow_arn, {"text": "half done"})
    claimed, submitted = answer_loop(wait_until, reviewer, partial, {"answer": "only one"})
    empty = start_loop(a2i, flow_arn, {"text": "untouched"})

    if how == "stop":
        a2i.stop_human_loop(HumanLoopName=partial)
        a2i.stop_human_loop(HumanLoopName=empty)
        expected_status, failure_code = "Stopped", None
    else:
        expected_status, failure_code = "Failed", "Expired"

    done = wait_terminal(a2i, partial, output)
    assert done["HumanLoopStatus"] == expected_status
    assert done.get("FailureCode") == failure_code
    key = expected_key(done, flow_name, partial)
    assert done["HumanLoopOutput"]["OutputS3Uri"] == f"s3://{BUCKET}/{key}"
    doc = output.read(key)
    check_document(doc, flow_arn=flow_arn, loop_name=partial, input_content={"text": "half done"})
    assert len(doc["humanAnswers"]) == 1
    check_answer(doc["humanAnswers"][0], reviewer, {"answer": "only one"}, submitted, claimed, service)

    nothing = wait_terminal(a2i, empty, output)
    assert nothing["HumanLoopStatus"] == expected_status
    assert "HumanLoopOutput" not in nothing
    # the worker's sweep would have written any pending output by now; only the partial loop has one
    wait_until(lambda: metrics(service)["hitl_outputs_pending"] == 0, message="no pending outputs")
    assert output.keys(f"{PREFIX}/{flow_name}/") == [key]
