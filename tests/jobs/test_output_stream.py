"""output.manifest is streamed to storage: memory flat in its size, the object whole or absent."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from hitl_service.config import Settings
from hitl_service.jobs import output as gt
from hitl_service.output.storage import LocalDirectoryStorage, OutputError, S3Storage
from tests.jobs.conftest import s3_client
from tests.support import resources as R


def lines(n: int):
    for i in range(n):
        yield json.dumps({"source": f"sentence number {i} " + "x" * 60, "label": {"class": i % 3}})


def same_line(n: int):
    line = json.dumps({"source": "the same sentence " + "x" * 100, "label": {"class": 1}})
    for _ in range(n):
        yield line


def peak_bytes(n: int, storage, bucket: str) -> int:
    tracemalloc.start()
    try:
        gt.write_manifest(storage, bucket, f"m-{n}/output.manifest", same_line(n))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_local_write_keeps_memory_flat_in_the_number_of_lines(tmp_path):
    storage = LocalDirectoryStorage(tmp_path)
    small, large = peak_bytes(40_000, storage, "b"), peak_bytes(160_000, storage, "b")
    # 6 and 24 MB, both several chunks long: four times the lines take no more memory
    assert large < small + gt.STREAM_CHUNK_BYTES // 4
    written = (tmp_path / "s3" / "b" / "m-160000" / "output.manifest").read_text().splitlines()
    assert len(written) == 160_000 and json.loads(written[-1])["label"] == {"class": 1}
    assert not [p for p in (tmp_path / "s3" / "b" / "m-160000").iterdir() if p.name.endswith(".tmp")]


def test_a_failing_source_leaves_no_manifest_behind(tmp_path):
    storage = LocalDirectoryStorage(tmp_path)

    def broken():
        yield from lines(10)
        raise RuntimeError("the results went away")

    with pytest.raises(RuntimeError):
        gt.write_manifest(storage, "b", "out/output.manifest", broken())
    assert list((tmp_path / "s3" / "b" / "out").iterdir()) == []


def test_s3_upload_is_multipart_above_the_part_size_and_byte_exact(moto_server):
    settings = Settings(output_backend="s3", s3_endpoint_url=moto_server.url, s3_region="us-east-1",
                        s3_access_key_id="testing", s3_secret_access_key="testing")
    storage = S3Storage(settings, multipart_bytes=5 * 1024 * 1024)  # S3's smallest part
    client = s3_client(moto_server.url)
    bucket = R.unique("stream")
    client.create_bucket(Bucket=bucket)
    n = 130_000  # about 13 MB: three parts
    size = gt.write_manifest(storage, bucket, "job/output.manifest", lines(n))
    head = client.head_object(Bucket=bucket, Key="job/output.manifest")
    assert head["ContentLength"] == size and head["ETag"].strip('"').endswith("-3")
    body = client.get_object(Bucket=bucket, Key="job/output.manifest")["Body"].read()
    assert body == b"".join(x.encode() + b"\n" for x in lines(n))


def test_s3_upload_to_a_missing_bucket_is_an_output_error(moto_server):
    settings = Settings(output_backend="s3", s3_endpoint_url=moto_server.url, s3_region="us-east-1",
                        s3_access_key_id="testing", s3_secret_access_key="testing")
    with pytest.raises(OutputError) as excinfo:
        gt.write_manifest(S3Storage(settings), R.unique("no-such-bucket"), "job/output.manifest", lines(5))
    assert excinfo.value.code == "NoSuchBucket"
