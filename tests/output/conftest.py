"""Fixtures for the output package: a real moto S3 server over HTTP and boto3 clients for it."""

from __future__ import annotations

import boto3
import pytest

from hitl_service.config import Settings
from tests.support.procs import MotoServer

REGION = "us-east-1"


def s3_client(endpoint_url: str):
    """A plain boto3 client for test setup (creating buckets, inspecting objects)."""
    return boto3.client(
        "s3", endpoint_url=endpoint_url, region_name=REGION,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


def s3_settings(endpoint_url: str, **overrides) -> Settings:
    """Settings pointing the s3 output backend at ``endpoint_url``."""
    values = dict(
        output_backend="s3", s3_endpoint_url=endpoint_url, s3_region=REGION,
        s3_access_key_id="testing", s3_secret_access_key="testing",
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="module")
def moto():
    server = MotoServer().start()
    yield server
    server.stop()
