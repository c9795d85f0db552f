"""Reviewer accounts: hashed passwords (argon2), groups, a stable workerId and identity data."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hitl_service.domain.timefmt import now_ms
from hitl_service.errors import ResourceInUseError, ReviewerAuthError, ValidationError
from hitl_service.services.context import ServiceContext

log = logging.getLogger(__name__)

_hasher = PasswordHasher()
# verifying against this keeps a login for an unknown name as slow as one with a wrong password
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _check_name(name: str) -> None:
    if not name or len(name) > 128 or any(c.isspace() or c in ":/" for c in name):
        raise ValidationError("Reviewer name must be 1-128 characters without spaces, ':' or '/'")


def add_reviewer(ctx: ServiceContext, name: str, password: str, groups: list[str]) -> dict:
    """Create a reviewer in ``groups``; the password is stored as an argon2 hash."""
    _check_name(name)
    if len(password) < 8:
        raise ValidationError("Password must be at least 8 characters")
    if not groups:
        raise ValidationError("A reviewer needs at least one group (the groups a workteam's MemberDefinitions name)")
    worker_id = secrets.token_hex(8)
    record = {"name": name, "password_hash": _hasher.hash(password), "worker_id": worker_id,
              "sub": str(uuid.uuid4()), "groups": json.dumps(sorted(set(groups))), "created_ms": now_ms()}
    if not ctx.store.reviewers.add(name, record):
        raise ResourceInUseError(f"Reviewer {name} already exists")
    log.info("reviewer added worker=%s name=%s groups=%s", worker_id, name, ",".join(groups))
    return public_view(record)


def public_view(record: dict) -> dict:
    groups = record["groups"]
    return {"name": record["name"], "workerId": record["worker_id"], "sub": record["sub"],
            "groups": json.loads(groups) if isinstance(groups, str) else groups}


def get_reviewer(ctx: ServiceContext, name: str) -> dict | None:
    return ctx.store.reviewers.get(name)


def list_reviewers(ctx: ServiceContext) -> list[dict]:
    names = ctx.store.reviewers.names()
    return [public_view(r) for r in (get_reviewer(ctx, n) for n in names) if r]


def remove_reviewer(ctx: ServiceContext, name: str) -> bool:
    record = get_reviewer(ctx, name)
    if record is None:
        return False
    ctx.store.queues.forget_worker(record["worker_id"])
    ctx.store.reviewers.remove(name, record["worker_id"])
    log.info("reviewer removed worker=%s name=%s", record["worker_id"], name)
    return True


def authenticate(ctx: ServiceContext, name: str, password: str) -> dict:
    """The reviewer record for a correct name and password, else ReviewerAuthError."""
    record = get_reviewer(ctx, name) if name else None
    try:
        _hasher.verify(record["password_hash"] if record else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        record = None
    if record is None:
        raise ReviewerAuthError("Unknown reviewer or wrong password")
    return record


_verified: dict[tuple[str, str], float] = {}
_VERIFIED_TTL_SECONDS = 60.0
_VERIFIED_MAX = 4096


def _verified_key(name: str, record: dict, password: str) -> tuple[str, str]:
    # includes the stored hash, so a changed password or a re-created reviewer is verified afresh
    return name, hashlib.sha256(f"{record['password_hash']}\0{password}".encode()).hexdigest()


def authenticate_repeated(ctx: ServiceContext, name: str, password: str) -> dict:
    """authenticate() for credentials sent with every request (HTTP Basic): a correct pair is
    remembered for a minute, so repeated calls cost a hash lookup instead of an argon2 verification."""
    record = get_reviewer(ctx, name) if name else None
    if record is not None:
        seen = _verified.get(_verified_key(name, record, password))
        if seen is not None and time.monotonic() - seen < _VERIFIED_TTL_SECONDS:
            return record
    record = authenticate(ctx, name, password)
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[_verified_key(name, record, password)] = time.monotonic()
    return record


def identity_data(ctx: ServiceContext, record: dict) -> dict:
    """A2I's workerMetadata.identityData; this service acts as the reviewers' OIDC issuer."""
    return {"identityData": {"identityProviderType": "Oidc", "issuer": ctx.settings.public_url,
                             "sub": record["sub"]}}


def teams_of(ctx: ServiceContext, record: dict) -> list[str]:
    """Names of the workteams whose member groups include one of the reviewer's groups."""
    groups = json.loads(record["groups"])
    if not groups:
        return []
    return ctx.store.resources.teams_of_groups(groups)
