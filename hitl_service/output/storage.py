"""Where output.json is stored: S3 (or any S3-compatible server) through boto3, or a local directory.

Both backends raise the same two errors so the Celery task that writes output can retry without
knowing which backend it has: ``OutputWriteError`` for transient trouble (network, timeouts, 5xx,
throttling, full disk) and ``OutputConfigError`` for problems an operator has to fix (missing bucket,
access denied, bad credentials). The caller retries both; the split is for metrics and logs.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Protocol, runtime_checkable

import boto3
import botocore.exceptions
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

if TYPE_CHECKING:
    from hitl_service.config import Settings

log = logging.getLogger(__name__)

# SigV4 presigned URLs cannot live longer than seven days.
MAX_URL_EXPIRY_SECONDS = 7 * 24 * 3600

# (bucket, key, expires_in) -> URL; the web app owns the signing key for local download links.
LocalUrlSigner = Callable[[str, str, int], str]


class OutputError(Exception):
    """Base of the storage errors; ``code`` is a short machine-readable reason for metrics labels."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.code = code


class OutputWriteError(OutputError):
    """A transient storage failure (connection, timeout, 5xx, throttling): retry later."""


class OutputConfigError(OutputError):
    """A storage failure an operator must fix (no such bucket, access denied, bad credentials)."""


class OutputNotFoundError(OutputError, LookupError):
    """``get`` of an object that does not exist."""


@runtime_checkable
class OutputStorage(Protocol):
    """What the output writer and the review app need from a storage backend."""

    def put(self, bucket: str, key: str, body: bytes, content_type: str = "application/json") -> None:
        """Store ``body`` at bucket/key, replacing any object there (same bytes again is a no-op)."""

    def put_stream(self, bucket: str, key: str, chunks: Iterable[bytes],
                   content_type: str = "application/octet-stream") -> int:
        """Store the concatenated ``chunks`` at bucket/key without holding them all in memory; the
        object appears whole or not at all. Returns the bytes written."""

    def exists(self, bucket: str, key: str) -> bool:
        """Whether an object is stored at bucket/key."""

    def get(self, bucket: str, key: str) -> bytes:
        """The bytes stored at bucket/key; ``OutputNotFoundError`` if there are none."""

    def read_url(self, bucket: str, key: str, expires_in: int) -> str:
        """A URL a reviewer's browser can GET for ``expires_in`` seconds."""

    def iter_lines(self, bucket: str, key: str) -> Iterator[bytes]:
        """The object's lines (without line endings) read as a stream, never the whole object at once."""


def _check_expiry(expires_in: int) -> None:
    if not 1 <= int(expires_in) <= MAX_URL_EXPIRY_SECONDS:
        raise ValueError(f"expires_in must be 1..{MAX_URL_EXPIRY_SECONDS} seconds, got {expires_in}")


# --- local directory -----------------------------------------------------------------------------

# errnos that will not go away by retrying: someone has to fix permissions or the layout
_PERMANENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG}


def _os_error(exc: OSError, action: str, bucket: str, key: str) -> OutputError:
    code = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    message = f"local storage {action} failed bucket={bucket} key={key}: {exc}"
    if exc.errno in _PERMANENT_ERRNOS:
        return OutputConfigError(message, code=code)
    return OutputWriteError(message, code=code)


def _fsync_dir(directory: Path) -> None:
    # the rename is only durable once the directory entry itself reaches the disk
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories; the data itself is already synced
    finally:
        os.close(fd)


class LocalDirectoryStorage:
    """Stores ``s3://bucket/key`` as the file ``{data_dir}/s3/{bucket}/{key}`` (single-machine setups)."""

    backend = "local"

    def __init__(self, data_dir: str | os.PathLike, url_signer: LocalUrlSigner | None = None):
        self.root = Path(data_dir) / "s3"
        self._url_signer = url_signer

    def path_for(self, bucket: str, key: str) -> Path:
        """The file that holds bucket/key; ``ValueError`` for names that would leave the data directory."""
        if not bucket or "/" in bucket or "\\" in bucket or "\0" in bucket or bucket in (".", ".."):
            raise ValueError(f"invalid bucket name {bucket!r}")
        if not key or "\0" in key or key.startswith("/") or key.endswith("/"):
            raise ValueError(f"invalid object key {key!r}")
        # a lexical check is enough: keys are the only attacker-influenced part, and symlinks the
        # operator put inside data_dir are theirs to use
        segments = key.split("/")
        if any(seg in (".", "..") for seg in segments):
            raise ValueError(f"object key {key!r} may not contain '.' or '..' segments")
        return self.root.joinpath(bucket, *[s for s in segments if s])

    def put(self, bucket: str, key: str, body: bytes, content_type: str = "application/json") -> None:
        """Write atomically (temp file in the same directory, fsync, rename); content_type is not kept."""
        self.put_stream(bucket, key, (body,), content_type)

    def put_stream(self, bucket: str, key: str, chunks: Iterable[bytes],
                   content_type: str = "application/octet-stream") -> int:
        """Write the chunks to a temp file beside the target, fsync, rename: whole or not at all."""
        path = self.path_for(bucket, key)
        tmp = None
        size = 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # same directory as the target so os.replace is an atomic rename, never a copy
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                # mkstemp creates 0600; output files are ordinary readable files like S3 objects
                os.fchmod(f.fileno(), 0o644)
                for chunk in chunks:
                    f.write(chunk)
                    size += len(chunk)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            tmp = None
            _fsync_dir(path.parent)
        except OSError as exc:
            err = _os_error(exc, "put", bucket, key)
            log.warning("output put failed backend=local bucket=%s key=%s code=%s error=%s",
                        bucket, key, err.code, exc)
            raise err from exc
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        log.info("output stored backend=local bucket=%s key=%s bytes=%d", bucket, key, size)
        return size

    def exists(self, bucket: str, key: str) -> bool:
        """Whether the file for bucket/key exists."""
        return self.path_for(bucket, key).is_file()

    def get(self, bucket: str, key: str) -> bytes:
        """The bytes of the file for bucket/key."""
        path = self.path_for(bucket, key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise OutputNotFoundError(f"no object bucket={bucket} key={key}", code="NoSuchKey") from None
        except OSError as exc:
            raise _os_error(exc, "get", bucket, key) from exc

    def iter_lines(self, bucket: str, key: str) -> Iterator[bytes]:
        """The file's lines, read through a buffered file object."""
        path = self.path_for(bucket, key)
        try:
            f = path.open("rb")
        except FileNotFoundError:
            raise OutputNotFoundError(f"no object bucket={bucket} key={key}", code="NoSuchKey") from None
        except OSError as exc:
            raise _os_error(exc, "get", bucket, key) from exc
        with f:
            for line in f:
                yield line.rstrip(b"\r\n")

    def read_url(self, bucket: str, key: str, expires_in: int) -> str:
        """A download URL from the web app's signer (the app serves the file when the URL checks out)."""
        _check_expiry(expires_in)
        self.path_for(bucket, key)  # same name validation as every other access
        if self._url_signer is None:
            raise OutputConfigError("local storage has no URL signer configured", code="NoUrlSigner")
        return self._url_signer(bucket, key, int(expires_in))


# --- S3 ------------------------------------------------------------------------------------------

# Error codes that say "try again later" even though some come with a 4xx status.
_TRANSIENT_CODES = {
    "RequestTimeout", "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded",
    "TooManyRequestsException", "ServiceUnavailable", "InternalError", "BadDigest", "IncompleteBody",
    "OperationAborted", "ExpiredToken", "RequestTimeTooSkewed",
}
# Client-side failures that no retry fixes.
_PERMANENT_BOTO_ERRORS = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.NoRegionError,
    botocore.exceptions.ParamValidationError,
    botocore.exceptions.SSLError,
)


def _s3_error(exc: Exception, action: str, bucket: str, key: str) -> OutputError:
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "Unknown")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        message = (f"s3 {action} failed bucket={bucket} key={key} status={status} code={code}: "
                   f"{error.get('Message', '')}")
        if code in _TRANSIENT_CODES or status >= 500 or status == 429:
            return OutputWriteError(message, code=code)
        # remaining 4xx: NoSuchBucket, AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, ...
        return OutputConfigError(message, code=code)
    code = type(exc).__name__
    message = f"s3 {action} failed bucket={bucket} key={key} code={code}: {exc}"
    if isinstance(exc, _PERMANENT_BOTO_ERRORS):
        return OutputConfigError(message, code=code)
    # connection refused/reset, connect/read timeouts, truncated bodies, credential-provider hiccups
    return OutputWriteError(message, code=code)


class S3Storage:
    """Stores output in S3 or an S3-compatible server (MinIO, Ceph, moto) through one boto3 client."""

    backend = "s3"

    def __init__(
        self,
        settings: "Settings",
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 5.0,
        max_retries: int = 2,
        multipart_bytes: int = 16 * 1024 * 1024,
    ):
        if bool(settings.s3_access_key_id) != bool(settings.s3_secret_access_key):
            raise ValueError("set both s3_access_key_id and s3_secret_access_key, or neither")
        config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # few quick retries: the Celery task's own retry loop rides out long outages, so a
            # worker is never parked inside botocore's backoff
            retries={"max_attempts": max_retries, "mode": "standard"},
            signature_version="s3v4",
            # S3-compatible servers rarely understand virtual-hosted bucket names on a custom endpoint
            s3={"addressing_style": "path"} if settings.s3_endpoint_url else {},
            # only the checksums S3 requires; we send Content-MD5 ourselves, which every
            # S3-compatible server verifies, unlike the newer flexible-checksum headers
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # explicit credentials when configured, else boto3's default chain (env, profile, IAM role)
        session = boto3.session.Session(
            aws_access_key_id=settings.s3_access_key_id or None,
            aws_secret_access_key=settings.s3_secret_access_key or None,
            region_name=settings.s3_region or None,
        )
        self.client = session.client("s3", endpoint_url=settings.s3_endpoint_url or None, config=config)
        # streamed uploads: parts of multipart_bytes, two at a time, so memory stays a few parts
        self._transfer = TransferConfig(multipart_threshold=multipart_bytes, multipart_chunksize=multipart_bytes,
                                        max_concurrency=2, use_threads=True)

    def put(self, bucket: str, key: str, body: bytes, content_type: str = "application/json") -> None:
        """put_object with Content-MD5 so the server rejects a body damaged in transit."""
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode("ascii")
        try:
            response = self.client.put_object(
                Bucket=bucket, Key=key, Body=body, ContentType=content_type, ContentMD5=md5,
            )
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            err = _s3_error(exc, "put", bucket, key)
            log.warning("output put failed backend=s3 bucket=%s key=%s code=%s error_class=%s",
                        bucket, key, err.code, type(err).__name__)
            raise err from exc
        log.info("output stored backend=s3 bucket=%s key=%s bytes=%d etag=%s",
                 bucket, key, len(body), response.get("ETag", ""))

    def put_stream(self, bucket: str, key: str, chunks: Iterable[bytes],
                   content_type: str = "application/octet-stream") -> int:
        """Spool the chunks to a temp file, then upload it with boto3's managed transfer (multipart
        above ``multipart_bytes``, each part checksummed; S3 shows the object only once it is whole)."""
        from boto3.exceptions import S3UploadFailedError

        size = 0
        with tempfile.TemporaryFile(prefix="hitl-upload-") as f:
            try:
                for chunk in chunks:
                    f.write(chunk)
                    size += len(chunk)
                f.seek(0)
            except OSError as exc:
                raise _os_error(exc, "spool", bucket, key) from exc
            try:
                self.client.upload_fileobj(f, bucket, key, ExtraArgs={"ContentType": content_type},
                                           Config=self._transfer)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
                err = _s3_error(exc, "put", bucket, key)
                log.warning("output put failed backend=s3 bucket=%s key=%s code=%s", bucket, key, err.code)
                raise err from exc
            except S3UploadFailedError as exc:
                # the managed transfer wraps the ClientError of the part that failed in its message
                code = "NoSuchBucket" if "NoSuchBucket" in str(exc) else "UploadFailed"
                log.warning("output put failed backend=s3 bucket=%s key=%s code=%s", bucket, key, code)
                err_type = OutputConfigError if code == "NoSuchBucket" or "AccessDenied" in str(exc) else OutputWriteError
                raise err_type(f"s3 put failed bucket={bucket} key={key} code={code}: {exc}", code=code) from exc
        log.info("output streamed backend=s3 bucket=%s key=%s bytes=%d", bucket, key, size)
        return size

    def exists(self, bucket: str, key: str) -> bool:
        """HEAD the object; a missing bucket also reads as False (HEAD responses carry no error code)."""
        try:
            self.client.head_object(Bucket=bucket, Key=key)
            return True
        except botocore.exceptions.ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                return False
            raise _s3_error(exc, "head", bucket, key) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise _s3_error(exc, "head", bucket, key) from exc

    def _get_object(self, bucket: str, key: str) -> dict:
        """get_object with the backend's errors (OutputNotFoundError for a missing key)."""
        try:
            return self.client.get_object(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise OutputNotFoundError(f"no object bucket={bucket} key={key}", code="NoSuchKey") from None
            raise _s3_error(exc, "get", bucket, key) from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise _s3_error(exc, "get", bucket, key) from exc

    def get(self, bucket: str, key: str) -> bytes:
        """GET the object's bytes."""
        response = self._get_object(bucket, key)
        try:
            with response["Body"] as stream:
                return stream.read()
        except botocore.exceptions.BotoCoreError as exc:
            raise _s3_error(exc, "get", bucket, key) from exc
        except OSError as exc:
            # a connection dropped mid-body surfaces from urllib3 as a plain OSError subclass
            raise OutputWriteError(f"s3 get failed bucket={bucket} key={key}: {exc}",
                                   code=type(exc).__name__) from exc

    def iter_lines(self, bucket: str, key: str) -> Iterator[bytes]:
        """GET the object and yield its lines as the body arrives (botocore's StreamingBody chunks)."""
        # the StreamingBody itself: its context manager hands out the raw stream, which lacks iter_lines
        body = self._get_object(bucket, key)["Body"]
        try:
            for line in body.iter_lines(chunk_size=1 << 16):
                yield line.rstrip(b"\r")
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            raise OutputWriteError(f"s3 get failed bucket={bucket} key={key}: {exc}",
                                   code=type(exc).__name__) from exc
        finally:
            body.close()

    def read_url(self, bucket: str, key: str, expires_in: int) -> str:
        """A SigV4 presigned GET URL (no network call; it is reachable wherever the endpoint is)."""
        _check_expiry(expires_in)
        try:
            return self.client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=int(expires_in),
            )
        except botocore.exceptions.BotoCoreError as exc:
            raise _s3_error(exc, "presign", bucket, key) from exc


def storage_from_settings(
    settings: "Settings", local_url_signer: LocalUrlSigner | None = None
) -> OutputStorage:
    """The backend ``settings.output_backend`` names: ``local`` or ``s3``."""
    backend = (settings.output_backend or "").strip().lower()
    if backend == "local":
        return LocalDirectoryStorage(settings.data_dir, url_signer=local_url_signer)
    if backend == "s3":
        return S3Storage(settings)
    raise ValueError(f"output_backend must be 'local' or 's3', got {settings.output_backend!r}")
