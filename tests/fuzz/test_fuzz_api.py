"""Property-based fuzzing of every operation of both API protocols and of the reviewer API.

Inputs come from the botocore models (tests/fuzz/strategies.py) and go over real HTTP, signed with
SigV4 like boto3's, to the real app with a real Redis and a real Celery worker. Properties: no
answer is a 5xx, no request hangs (each has a timeout), and every loop the service accepted can
still finish. The budget (examples per test, a per-request timeout) keeps the whole module to
about a minute on a busy 2-core machine; raise FUZZ_EXAMPLES to search longer.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote, urlencode

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hitl_service.api.control import OPERATIONS
from hitl_service.output.document import build_output_document
from hitl_service.services.reviewers import add_reviewer
from schemas.botocore_model import CONTROL, RUNTIME, service_model
from tests.conftest import ACCESS_KEY, REGION, SECRET_KEY, CeleryWorker, Service, make_settings, wait_until
from tests.fuzz.strategies import HOSTILE_TEXT, JSON_VALUES, value_for
from tests.support import resources as R

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
TIMEOUT = 15  # seconds; a request that takes longer counts as a hang
BUDGET = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
PASSWORD = "fuzz-password-123"
CONTENT_TYPES = st.sampled_from(["application/x-amz-json-1.1", "application/json", "text/plain",
                                 "application/x-www-form-urlencoded", None])


class Env:
    """The service under fuzz, the names it knows, and the loops it accepted."""

    def __init__(self, svc: Service):
        self.svc = svc
        sm = svc.client("sagemaker")
        self.team, team_arn = R.create_team(sm, name="fuzz-team", groups=("fuzzers",))
        self.ui, ui_arn = R.create_ui(sm, name="fuzz-ui")
        self.flow, self.flow_arn = R.create_flow(sm, name="fuzz-flow", team_arn=team_arn, ui_arn=ui_arn)
        self.known = {"Name": [self.team, self.ui, self.flow, "loop-a", "Loop-B"],
                      "Arn": [team_arn, ui_arn, self.flow_arn], "FlowDefinitionArn": [self.flow_arn]}
        self.accepted: set[str] = set()
        self.answered: set[str] = set()
        add_reviewer(svc.ctx, "fuzzer", PASSWORD, ["fuzzers"])

    def send(self, method: str, path: str, body: bytes = b"", headers: dict | None = None,
             sign: bool = True) -> requests.Response:
        url = self.svc.url + path
        headers = dict(headers or {})
        if sign:
            req = AWSRequest(method=method, url=url, data=body, headers=headers)
            SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sagemaker", REGION).add_auth(req)
            headers = dict(req.headers)
        resp = requests.request(method, url, data=body or None, headers=headers, timeout=TIMEOUT)
        assert resp.status_code < 500, f"{method} {path} -> {resp.status_code}: {resp.text[:500]}"
        return resp


@pytest.fixture(scope="module")
def env(redis_server, session_data_dir):
    redis_server.flush()
    svc = Service(make_settings(redis_server.url, session_data_dir))
    worker = CeleryWorker(svc.settings, beat=True, concurrency=2).start()
    yield Env(svc)
    worker.stop()
    svc.stop()


def _q(text: str) -> str:
    # a lone surrogate has no UTF-8 form; send the bytes Python would (the service must cope)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _encode(body) -> bytes:
    # allow_nan: the fuzzer also sends the NaN/Infinity tokens Python's encoder writes
    return json.dumps(body, allow_nan=True).encode()


BODIES = st.one_of(st.just(b""), st.binary(max_size=40),
                   st.sampled_from([b"[]", b"null", b"{", b'{"a":' * 40, b"[" * 3000, b'{"a":' * 2000 + b"1" + b"}" * 2000,
                                    b'{"MaxResults": NaN}', b'{"CreationTimeAfter": 1e400}']))


# ---- the control plane (json protocol): every operation the service dispatches ------------------


@st.composite
def control_requests(draw):
    op = draw(st.sampled_from(sorted(OPERATIONS)))
    shape = service_model(CONTROL).operation_model(op).input_shape
    modelled = value_for(shape, KNOWN).map(_encode) if shape is not None else BODIES
    body = draw(st.one_of(modelled, BODIES))
    return op, body, draw(CONTENT_TYPES)


# names and ARNs of the resources the env fixture made; the strategies read it when they draw
KNOWN: dict[str, list[str]] = {}


def test_control_plane_never_fails_with_5xx(env):
    KNOWN.update(env.known)

    @BUDGET
    @given(control_requests())
    def run(request):
        op, body, ctype = request
        headers = {"X-Amz-Target": f"SageMaker.{op}"}
        if ctype:
            headers["Content-Type"] = ctype
        env.send("POST", "/", body, headers)

    run()
    # the fixtures the fuzzer aimed at still answer (nothing was left half-written)
    sm = env.svc.client("sagemaker")
    for page in (sm.list_flow_definitions(), sm.list_human_task_uis(), sm.list_workteams()):
        assert page["ResponseMetadata"]["HTTPStatusCode"] == 200


# ---- the runtime API (rest-json): requests laid out by the model's http bindings ----------------


def _runtime_request(op: str, params: dict) -> tuple[str, str, bytes]:
    model = service_model(RUNTIME).operation_model(op)
    path, query, body = model.http["requestUri"], {}, {}
    for name, value in params.items():
        where = model.input_shape.members[name].serialization.get("location")
        if where == "uri":
            path = path.replace("{" + name + "}", _q(str(value)) or "%20")
        elif where == "querystring":
            text = value if isinstance(value, str) else json.dumps(value)
            query[name] = text.encode("utf-8", "surrogatepass")
        else:
            body[name] = value
    path = path.replace("{HumanLoopName}", "missing-name")
    if query:
        path += "?" + urlencode(query)
    return model.http["method"], path, _encode(body) if body or model.http["method"] == "POST" else b""


LOOP_NAMES = st.from_regex(r"[a-zA-Z0-9](-?[a-zA-Z0-9]){0,20}", fullmatch=True)


@st.composite
def starts(draw):
    """StartHumanLoop aimed at the real flow: valid names, InputContent that is any JSON text
    (NaN and Infinity included), deeply nested, or hostile."""
    content = draw(st.one_of(
        JSON_VALUES.map(lambda v: json.dumps(v, allow_nan=True)),
        st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4).map(lambda v: json.dumps(v, allow_nan=True)),
        st.integers(1, 3000).map(lambda n: "[" * n + "]" * n), HOSTILE_TEXT))
    return {"HumanLoopName": draw(LOOP_NAMES), "FlowDefinitionArn": KNOWN["FlowDefinitionArn"][0],
            "HumanLoopInput": {"InputContent": content}}


@st.composite
def runtime_requests(draw):
    op = draw(st.sampled_from(sorted(service_model(RUNTIME).operation_names) + ["StartHumanLoop"] * 3))
    shape = service_model(RUNTIME).operation_model(op).input_shape
    params = draw(st.one_of(value_for(shape, KNOWN), starts()) if op == "StartHumanLoop" else value_for(shape, KNOWN))
    return op, params, draw(st.sampled_from(["application/json", "application/json", "text/plain", None]))


def test_runtime_api_never_fails_with_5xx_and_every_accepted_loop_can_finish(env):
    KNOWN.update(env.known)

    @BUDGET
    @given(runtime_requests())
    def run(request):
        op, params, ctype = request
        method, path, body = _runtime_request(op, params if isinstance(params, dict) else {})
        resp = env.send(method, path, body, {"Content-Type": ctype} if ctype and body else {})
        if op == "StartHumanLoop" and resp.status_code == 200 and "HumanLoopArn" in resp.json():
            env.accepted.add(params["HumanLoopName"])

    run()
    assert env.accepted, "the fuzzer never reached an accepted StartHumanLoop"
    _assert_accepted_loops_can_finish(env)


def _assert_accepted_loops_can_finish(env):
    a2i = env.svc.client("sagemaker-a2i-runtime")
    store = env.svc.ctx.store
    for name in sorted(env.accepted):
        loop = store.loops.get(name)
        if loop is None:
            continue  # the fuzzer deleted it again
        # what finalize will write for it: its stored input and a reviewer's answer as output.json
        build_output_document(flow_definition_arn=env.flow_arn, loop_name=name, input_content=loop["input"],
                              answers=[{"answerContent": {"ok": True}, "submissionTime": "2020-01-01T00:00:00.000Z",
                                        "workerId": "w"}])
        if loop["status"] == "InProgress":
            a2i.stop_human_loop(HumanLoopName=name)
    terminal = ("Completed", "Failed", "Stopped")
    for name in sorted(env.accepted):
        wait_until(lambda: store.loops.get(name) is None or store.loops.get(name)["status"] in terminal,
                   timeout=30, message=f"loop {name} to finish")


# ---- the reviewer API ----------------------------------------------------------------------------


@st.composite
def reviewer_calls(draw):
    kind = draw(st.sampled_from(["login", "claim", "claim", "submit", "submit", "heartbeat", "release", "show",
                                 "read"]))
    token = draw(st.one_of(st.just("<held>"), HOSTILE_TEXT.filter(lambda t: "/" not in t and t.strip())))
    # mostly objects (the only answerContent accepted), with NaN/Infinity and odd strings inside
    answer = draw(st.one_of(JSON_VALUES, st.dictionaries(st.text(max_size=8), JSON_VALUES, min_size=1, max_size=4),
                            st.dictionaries(st.sampled_from(["a", "b"]), JSON_VALUES, min_size=1, max_size=2)))
    login = draw(st.fixed_dictionaries({}, optional={"username": st.one_of(st.just("fuzzer"), HOSTILE_TEXT),
                                                     "password": st.one_of(st.just(PASSWORD), HOSTILE_TEXT,
                                                                           st.integers())}))
    return kind, token, answer, login, draw(st.booleans())


def test_reviewer_api_never_fails_with_5xx_and_answered_loops_finish(env):
    http = requests.Session()
    resp = http.post(env.svc.url + "/review/api/login", json={"username": "fuzzer", "password": PASSWORD},
                     timeout=TIMEOUT)
    http.headers["X-CSRF-Token"] = resp.json()["csrfToken"]
    a2i = env.svc.client("sagemaker-a2i-runtime")
    for i in range(12):
        a2i.start_human_loop(HumanLoopName=f"review-fuzz-{i}", FlowDefinitionArn=env.flow_arn,
                             HumanLoopInput={"InputContent": json.dumps({"text": i})})
    held: dict[str, str] = {}
    base = env.svc.url + "/review/api"

    def post(path, body: bytes):
        r = http.post(base + path, data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
        assert r.status_code < 500, f"POST {path} -> {r.status_code}: {r.text[:300]}"
        return r

    @BUDGET
    @given(reviewer_calls())
    def run(call):
        kind, token, answer, login, well_formed = call
        if token == "<held>":
            token = next(iter(held), "no-token")
        if kind == "login":
            fresh = requests.post(base + "/login", data=_encode(login), timeout=TIMEOUT,
                                  headers={"Content-Type": "application/json"})
            assert fresh.status_code < 500, fresh.text
        elif kind == "claim":
            r = post("/assignments/claim", _encode({"workteam": env.team} if well_formed else answer))
            if r.status_code == 200 and r.json().get("assignment"):
                a = r.json()["assignment"]
                held[a["token"]] = a["humanLoopName"]
        elif kind == "submit":
            r = post(f"/assignments/{_q(token)}/submit", _encode({"answerContent": answer}))
            if r.status_code == 200 and token in held:
                env.answered.add(held.pop(token))
        elif kind in ("heartbeat", "release"):
            r = post(f"/assignments/{_q(token)}/{kind}", b"{}")
            if kind == "release" and r.status_code == 200:
                held.pop(token, None)
        else:
            path = f"/assignments/{_q(token)}" if kind == "show" else "/queues"
            r = http.get(base + path, timeout=TIMEOUT)
            assert r.status_code < 500, r.text

    run()
    # every loop that took an answer finishes: its output.json was written (or it failed with a reason)
    for name in sorted(env.answered):
        d = wait_until(lambda: (x := a2i.describe_human_loop(HumanLoopName=name))["HumanLoopStatus"]
                       in ("Completed", "Failed", "Stopped") and x, timeout=30, message=f"{name} to finish")
        assert d["HumanLoopStatus"] == "Completed", d
