"""End-to-end demo: a sentiment model routes only its unsure answers to a human reviewer.

Run ``make run`` in one terminal and ``make demo`` in another. The demo

1. creates (or reuses) a workteam, a reviewer account, the sentiment task UI and a flow definition
   whose activation condition is "model confidence below 0.90";
2. runs the model in examples/sentiment_model.py on "I enjoy this product" (confident: no loop)
   and "It is okay" (unsure: a human loop);
3. prints the review page and the reviewer's login, and waits until the loop is answered
   (``--auto-answer`` lets a bot answer through the reviewers' JSON API instead, for CI);
4. prints each input with the model's answer and the human answer read from output.json.

Settings come from ``var/hitl.env`` (written by ``make run``) and HITL_* environment variables;
flags override both. The reviewer is created directly in Redis (as ``hitl reviewers add`` does),
so the demo needs the Redis URL of the service it talks to.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sentiment_model  # noqa: E402
from hitl_service.launcher import load_env_file  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROLE = "arn:aws:iam::123456789012:role/hitl-demo-unused"
THRESHOLD = 0.9
TEXTS = ("I enjoy this product", "It is okay")
CONDITIONS = json.dumps({"Conditions": [{
    "ConditionType": "ModelConfidenceCheck",
    "ConditionParameters": {"ScorePath": "$.prediction.confidence", "LessThan": THRESHOLD},
}]})
TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier
    name="sentiment"
    categories="['-1', '0', '1']"
    initial-value="{{ task.input.initialValue }}"
    header="What sentiment does this sentence express?"
  >
    <classification-target>
      <p style="font-size: 1.3em">{{ task.input.taskObject }}</p>
    </classification-target>
    <short-instructions>
      <p>Pick <strong>-1</strong> for negative, <strong>0</strong> for neutral, <strong>1</strong> for positive.</p>
      <p>The model's guess is preselected; change it if you disagree.</p>
    </short-instructions>
    <full-instructions header="How to rate sentiment">
      <p>Read the sentence and choose the feeling its writer expresses about the product.</p>
      <ul>
        <li><strong>-1 (negative)</strong>: unhappy, disappointed, angry. "It broke after a day."</li>
        <li><strong>0 (neutral)</strong>: lukewarm, mixed or purely factual. "It is okay."</li>
        <li><strong>1 (positive)</strong>: pleased, happy, recommending. "I enjoy this product."</li>
      </ul>
      <p>Judge what is written, not what you think of the product.</p>
    </full-instructions>
  </crowd-classifier>
</crowd-form>
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env-file", default=str(ROOT / "var" / "hitl.env"),
                   help="settings written by `make run` (default var/hitl.env)")
    p.add_argument("--endpoint", help="service URL (default HITL_PUBLIC_URL, else http://127.0.0.1:8080)")
    p.add_argument("--access-key", help="access key id (default: the first pair of HITL_ACCESS_KEYS)")
    p.add_argument("--secret-key", help="secret access key (default: the first pair of HITL_ACCESS_KEYS)")
    p.add_argument("--redis-url", help="the service's Redis (default HITL_REDIS_URL)")
    p.add_argument("--data-dir", help="local output folder (default HITL_DATA_DIR, else var/data)")
    p.add_argument("--output-path", default="s3://hitl-demo/sentiment", help="the flow's S3OutputPath")
    p.add_argument("--prefix", default="sentiment-demo", help="name prefix of the demo's resources")
    p.add_argument("--auto-answer", action="store_true",
                   help="let a bot reviewer answer (claim + submit over the review API) instead of a person")
    p.add_argument("--answer", default="0", choices=["-1", "0", "1"], help="the label --auto-answer submits")
    p.add_argument("--timeout", type=float, default=0,
                   help="give up waiting for the review after this many seconds "
                        "(default: wait forever; 120 with --auto-answer)")
    args = p.parse_args(argv)
    if args.auto_answer and not args.timeout:
        args.timeout = 120.0
    return args


def build_settings(args: argparse.Namespace):
    """Settings as the running service sees them: var/hitl.env, then the environment, then flags."""
    from hitl_service.config import Settings

    env = load_env_file(Path(args.env_file))
    env.update({k: v for k, v in os.environ.items() if k.startswith("HITL_")})
    env.setdefault("HITL_DATA_DIR", str(ROOT / "var" / "data"))
    overrides = {}
    if args.endpoint:
        overrides["public_url"] = args.endpoint.rstrip("/")
    if args.redis_url:
        overrides["redis_url"] = args.redis_url
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    settings = Settings.from_env(env, **overrides)
    access_key, secret_key = args.access_key, args.secret_key
    if not (access_key and secret_key):
        if not settings.access_keys:
            raise SystemExit(f"no access keys: start the service with `make run` (it writes {args.env_file}) "
                             "or pass --access-key and --secret-key")
        access_key, secret_key = next(iter(settings.access_keys.items()))
    return settings, access_key, secret_key


def service_context(settings):
    """The same ServiceContext `hitl` (the CLI) builds, for adding the reviewer."""
    from hitl_service.domain.names import ArnFactory
    from hitl_service.services.context import ServiceContext
    from hitl_service.store.redis_store import Store, connect
    from workers.dispatch import CeleryDispatcher

    return ServiceContext(settings=settings, store=Store(connect(settings.redis_url)),
                          arns=ArnFactory(settings.region, settings.account_id),
                          dispatcher=CeleryDispatcher(settings))


def error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def ensure_workteam(sm, name: str, group: str) -> str:
    try:
        return sm.create_workteam(
            WorkteamName=name, Description="Reviewers for the sentiment demo",
            MemberDefinitions=[{"OidcMemberDefinition": {"Groups": [group]}}])["WorkteamArn"]
    except ClientError as exc:
        if error_code(exc) != "ResourceInUse":
            raise
    return sm.describe_workteam(WorkteamName=name)["Workteam"]["WorkteamArn"]


def ensure_task_ui(sm, name: str) -> str:
    try:
        return sm.create_human_task_ui(HumanTaskUiName=name, UiTemplate={"Content": TEMPLATE})["HumanTaskUiArn"]
    except ClientError as exc:
        if error_code(exc) != "ResourceInUse":
            raise
    return sm.describe_human_task_ui(HumanTaskUiName=name)["HumanTaskUiArn"]


def ensure_flow(sm, name: str, team_arn: str, ui_arn: str, output_path: str) -> str:
    try:
        flow = sm.describe_flow_definition(FlowDefinitionName=name)
    except ClientError as exc:
        if error_code(exc) not in ("ResourceNotFound", "ResourceNotFoundException"):
            raise
    else:
        if flow["FlowDefinitionStatus"] == "Active":
            return flow["FlowDefinitionArn"]
        raise SystemExit(f"flow definition {name} is {flow['FlowDefinitionStatus']}; wait a moment and retry, "
                         "or pass another --prefix")
    return sm.create_flow_definition(
        FlowDefinitionName=name, RoleArn=ROLE, OutputConfig={"S3OutputPath": output_path},
        HumanLoopActivationConfig={"HumanLoopActivationConditionsConfig": {
            "HumanLoopActivationConditions": CONDITIONS}},
        HumanLoopConfig={"WorkteamArn": team_arn, "HumanTaskUiArn": ui_arn, "TaskCount": 1,
                         "TaskTitle": "Sentiment check",
                         "TaskDescription": "The model was unsure: what sentiment does this sentence express?",
                         "TaskTimeLimitInSeconds": 600},
    )["FlowDefinitionArn"]


def reset_reviewer(ctx, name: str, group: str) -> str:
    """Create the demo reviewer with a fresh password (re-created when it exists: passwords are hashed)."""
    from hitl_service.services import reviewers

    password = secrets.token_urlsafe(12)
    reviewers.remove_reviewer(ctx, name)
    reviewers.add_reviewer(ctx, name, password, [group])
    return password


class ReviewBot:
    """A reviewer that answers through the JSON API with HTTP Basic, as a script or CI would."""

    def __init__(self, endpoint: str, name: str, password: str, team: str, label: str):
        self.base = endpoint.rstrip("/") + "/review/api"
        self.auth = "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()
        self.team, self.label = team, label

    def _post(self, path: str, body: dict) -> dict:
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": self.auth, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"POST {path} -> {exc.code}: {exc.read().decode(errors='replace')}") from None

    def answer_one(self) -> str | None:
        """Claim the next assignment of the demo team and answer it; the loop's name, or None if none waits."""
        assignment = self._post("/assignments/claim", {"workteam": self.team}).get("assignment")
        if not assignment:
            return None
        self._post(f"/assignments/{assignment['token']}/submit",
                   {"answerContent": {"sentiment": {"label": self.label}}})
        return assignment["humanLoopName"]


def wait_for_loop(a2i, name: str, bot: ReviewBot | None, timeout: float) -> dict:
    deadline = time.monotonic() + timeout if timeout else None
    while True:
        loop = a2i.describe_human_loop(HumanLoopName=name)
        if loop["HumanLoopStatus"] != "InProgress":
            return loop
        if bot is not None:
            answered = bot.answer_one()
            if answered:
                print(f"  bot reviewer answered {answered} with label {bot.label}", flush=True)
                continue
        if deadline is not None and time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f}s waiting for {name} (is a worker running?)")
        time.sleep(0.5 if bot is not None else 2.0)


def storage_for(settings):
    """The output backend the service writes to (local folder or S3), as the service configures it."""
    from hitl_service.output.storage import storage_from_settings

    return storage_from_settings(settings)


def read_output(settings, uri: str) -> dict:
    if not uri.startswith("s3://"):
        raise SystemExit(f"unexpected OutputS3Uri {uri}")
    bucket, _, key = uri[len("s3://"):].partition("/")
    return json.loads(storage_for(settings).get(bucket, key))


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings, access_key, secret_key = build_settings(args)
    endpoint = settings.public_url
    kw = dict(endpoint_url=endpoint, region_name=settings.region,
              aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    sm = boto3.client("sagemaker", **kw)
    a2i = boto3.client("sagemaker-a2i-runtime", **kw)

    team_name, group = f"{args.prefix}-team", f"{args.prefix}-reviewers"
    reviewer = f"{args.prefix}-reviewer"
    print(f"hitl-service at {endpoint}")
    team_arn = ensure_workteam(sm, team_name, group)
    ui_arn = ensure_task_ui(sm, f"{args.prefix}-ui")
    flow_arn = ensure_flow(sm, f"{args.prefix}-flow", team_arn, ui_arn, args.output_path)
    password = reset_reviewer(service_context(settings), reviewer, group)
    print(f"workteam   {team_name} (reviewer group {group})")
    print(f"flow       {flow_arn}")
    print(f"           a human reviews when the model's confidence is below {THRESHOLD:.2f}")
    print()

    run = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(2)
    results = []
    for i, text in enumerate(TEXTS):
        result = sentiment_model.review_if_unsure(a2i, flow_arn, text, f"{args.prefix}-{run}-{i}")
        results.append(result)
        verdict = (f"created human loop {result['humanLoopArn'].rsplit('/', 1)[1]}" if result["humanLoopArn"]
                   else "created no loop (confident enough)")
        print(f"model: {text!r} -> label {result['label']}, confidence {result['confidence']:.2f}: {verdict}")
        for reason in (result["activation"] or {}).get("Reasons", []):
            print(f"       why: {reason}")
    print()

    pending = [r for r in results if r["humanLoopArn"]]
    bot = None
    if pending:
        print(f"Review page: {endpoint}/review/")
        print(f"  login:     {reviewer}")
        print(f"  password:  {password}")
        if args.auto_answer:
            bot = ReviewBot(endpoint, reviewer, password, team_name, args.answer)
            print("  (--auto-answer: a bot reviewer answers instead of you)")
        else:
            print("  Sign in, take the task and submit an answer; this demo waits for it (Ctrl-C to quit).")
        print(flush=True)
    for r in pending:
        name = r["humanLoopArn"].rsplit("/", 1)[1]
        loop = wait_for_loop(a2i, name, bot, args.timeout)
        r["status"] = loop["HumanLoopStatus"]
        if loop["HumanLoopStatus"] != "Completed":
            print(f"loop {name} ended {loop['HumanLoopStatus']}: {loop.get('FailureReason', '')}")
            continue
        uri = loop["HumanLoopOutput"]["OutputS3Uri"]
        output = read_output(settings, uri)
        labels = [a["answerContent"].get("sentiment", {}).get("label", "?") for a in output["humanAnswers"]]
        r["human"] = ", ".join(str(x) for x in labels)
        r["output"] = uri
        print(f"loop {name} completed; output {uri}")
        local = getattr(storage_for(settings), "path_for", None)
        if local is not None:
            bucket, _, key = uri[len("s3://"):].partition("/")
            print(f"  (local output backend: {local(bucket, key)})")
    print()

    rows = []
    for r in results:
        human = r.get("human") or ("(no review: model was confident)" if not r["humanLoopArn"]
                                   else f"(loop {r.get('status', 'unfinished')})")
        rows.append([r["text"], str(r["label"]), f"{r['confidence']:.2f}", human])
    print(table(rows, ["input content", "model label", "confidence", "human answer"]))
    return 0 if all(r.get("human") for r in pending) else 1


if __name__ == "__main__":
    from botocore.exceptions import EndpointConnectionError

    try:
        sys.exit(main())
    except EndpointConnectionError as exc:
        sys.exit(f"cannot reach hitl-service ({exc}); start it with `make run` in another terminal")
    except KeyboardInterrupt:
        sys.exit("interrupted; the loop stays open and can still be reviewed at /review/")
