"""Fixtures for the labeling-job tests: a moto S3 server and an S3 storage backend on it."""

from __future__ import annotations

import boto3
import pytest

from hitl_service.config import Settings
from hitl_service.output.storage import S3Storage
from tests.support.procs import MotoServer


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer().start()
    yield server
    server.stop()


def s3_client(url: str):
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture
def moto_s3(moto_server):
    settings = Settings(output_backend="s3", s3_endpoint_url=moto_server.url, s3_region="us-east-1",
                        s3_access_key_id="testing", s3_secret_access_key="testing")
    return S3Storage(settings), s3_client(moto_server.url)
