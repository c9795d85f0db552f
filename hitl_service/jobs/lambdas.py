"""Custom pre- and post-annotation functions, invoked through boto3's ``lambda`` client.

By default the call goes to AWS Lambda; ``HITL_LAMBDA_ENDPOINT_URL`` points every call at another
Invoke-compatible server (the Lambda Runtime Interface Emulator in AWS's base images), and
``HITL_LAMBDA_ENDPOINTS`` (``arn=url,arn=url``) overrides the URL for single functions.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import time
from typing import Callable

import boto3
import botocore.exceptions
from botocore.config import Config

log = logging.getLogger(__name__)

EVENT_VERSION = "2018-10-16"


class LambdaFailed(Exception):
    """The function kept failing (errors, timeouts or bad answers) after every retry."""


@dataclasses.dataclass(frozen=True)
class PreAnnotation:
    """A pre-annotation function's answer for one object."""

    task_input: dict
    human_required: bool


def pre_event(job_arn: str, data_object: dict) -> dict:
    """GT's pre-annotation event for one data object."""
    return {"version": EVENT_VERSION, "labelingJobArn": job_arn, "dataObject": data_object}


def post_event(job_arn: str, *, label_attribute: str, label_categories: list[str] | None, role_arn: str,
               request_uri: str, output_prefix_uri: str) -> dict:
    """GT's annotation-consolidation event: the answers are in the file ``request_uri`` names."""
    return {
        "version": EVENT_VERSION,
        "labelingJobArn": job_arn,
        "labelCategories": label_categories,
        "labelAttributeName": label_attribute,
        "roleArn": role_arn,
        "payload": {"s3Uri": request_uri},
        "outputConfig": output_prefix_uri,
    }


def _truthy(value) -> bool:
    # GT's examples answer "true"/"false" strings; accept real booleans too
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def parse_pre_response(body) -> PreAnnotation:
    """Check a pre-annotation answer: ``taskInput`` (an object) and ``isHumanAnnotationRequired``."""
    if not isinstance(body, dict) or not isinstance(body.get("taskInput"), dict):
        raise ValueError("the pre-annotation function must answer a JSON object with a 'taskInput' object")
    return PreAnnotation(body["taskInput"], _truthy(body.get("isHumanAnnotationRequired", "true")))


def parse_post_response(body, attribute: str) -> dict[str, object]:
    """datasetObjectId -> the consolidated label value for ``attribute`` from a consolidation answer."""
    if not isinstance(body, list):
        raise ValueError("the consolidation function must answer a JSON list")
    out: dict[str, object] = {}
    for i, item in enumerate(body):
        if not isinstance(item, dict) or "datasetObjectId" not in item:
            raise ValueError(f"answer item {i} has no datasetObjectId")
        content = (item.get("consolidatedAnnotation") or {}).get("content")
        if not isinstance(content, dict) or attribute not in content:
            raise ValueError(f"answer item {i} has no consolidatedAnnotation.content.{attribute}")
        out[str(item["datasetObjectId"])] = content[attribute]
    return out


class LambdaInvoker:
    """Invokes functions with retries and backoff; one boto3 client per endpoint URL."""

    def __init__(self, *, region: str, endpoint_url: str | None, overrides: dict[str, str],
                 attempts: int = 4, backoff_base: float = 0.5, timeout: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.region = region
        self.endpoint_url = endpoint_url
        self.overrides = overrides
        self.attempts = max(1, attempts)
        self.backoff_base = backoff_base
        self.timeout = timeout
        self._sleep = sleep
        self._clients: dict[str | None, object] = {}

    def _client(self, arn: str):
        url = self.overrides.get(arn) or self.overrides.get(arn.split(":function:")[-1]) or self.endpoint_url
        client = self._clients.get(url)
        if client is None:
            session = boto3.session.Session(region_name=self.region)
            creds = {}
            if url and session.get_credentials() is None:
                # an emulator or self-hosted Invoke server does not check signatures; AWS itself does
                creds = {"aws_access_key_id": "hitl", "aws_secret_access_key": "hitl"}
            client = session.client("lambda", endpoint_url=url, region_name=self.region,
                                    config=Config(retries={"max_attempts": 1}, read_timeout=self.timeout,
                                                  connect_timeout=5), **creds)
            self._clients[url] = client
        return client

    def invoke(self, arn: str, event: dict):
        """The function's JSON answer; retries errors and timeouts, then raises LambdaFailed."""
        last = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._client(arn).invoke(FunctionName=arn, InvocationType="RequestResponse",
                                                    Payload=json.dumps(event).encode())
                payload = response["Payload"].read()
                if response.get("FunctionError"):
                    last = f"function error {response['FunctionError']}: {payload[:300]!r}"
                else:
                    return json.loads(payload)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, ValueError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            log.warning("lambda invoke failed arn=%s attempt=%s error=%s", arn, attempt, last)
            if attempt < self.attempts:
                ceiling = self.backoff_base * 2 ** (attempt - 1)
                self._sleep(random.uniform(ceiling / 2, ceiling))
        raise LambdaFailed(f"{arn} failed {self.attempts} times; last error: {last}"[:900])

    def pre_annotate(self, arn: str, job_arn: str, data_object: dict) -> PreAnnotation:
        """Run a custom pre-annotation function for one object."""
        body = self.invoke(arn, pre_event(job_arn, data_object))
        try:
            return parse_pre_response(body)
        except ValueError as exc:
            raise LambdaFailed(f"{arn}: {exc}") from None
