"""The B1/B3 baseline: a bare Flask endpoint that parses the same JSON and does one Redis pipeline.

It runs under the same gunicorn command as the service (gthread, 2 workers x 8 threads),
so the difference between the two is what the service does on top: SigV4, validation against the
botocore model, the start script (and its occasional drain publish) and logging.
"""

from __future__ import annotations

import json
import os

import redis
from flask import Flask, Response, request

app = Flask(__name__)
_r = redis.Redis.from_url(os.environ["HITL_REDIS_URL"], decode_responses=True)
_ARN = "arn:aws:sagemaker:us-east-1:123456789012:human-loop/"


@app.post("/human-loops")
def start_human_loop():
    req = json.loads(request.get_data())
    name = req["HumanLoopName"]
    pipe = _r.pipeline(transaction=False)
    pipe.hset(f"bench:loop:{name}", mapping={"name": name, "flow_arn": req["FlowDefinitionArn"],
                                              "input": req["HumanLoopInput"]["InputContent"]})
    pipe.zadd("bench:loops", {name: 0})
    pipe.execute()
    return Response(json.dumps({"HumanLoopArn": _ARN + name}), content_type="application/json")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
