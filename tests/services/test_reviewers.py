"""Reviewer accounts: hashing, and the remembered HTTP Basic verification."""

from __future__ import annotations

import pytest

from hitl_service.errors import ResourceInUseError, ReviewerAuthError, ValidationError
from hitl_service.services import reviewers


def test_password_is_stored_hashed_and_checked(service):
    ctx = service.ctx
    view = reviewers.add_reviewer(ctx, "hana", "first-password", ["g1"])
    assert len(view["workerId"]) == 16 and int(view["workerId"], 16) >= 0
    stored = reviewers.get_reviewer(ctx, "hana")["password_hash"]
    assert "first-password" not in stored and stored.startswith("$argon2")
    assert reviewers.authenticate(ctx, "hana", "first-password")["worker_id"] == view["workerId"]
    with pytest.raises(ReviewerAuthError):
        reviewers.authenticate(ctx, "hana", "wrong-password")
    with pytest.raises(ReviewerAuthError):
        reviewers.authenticate(ctx, "nobody", "first-password")
    with pytest.raises(ResourceInUseError):
        reviewers.add_reviewer(ctx, "hana", "another-password", ["g1"])
    with pytest.raises(ValidationError):
        reviewers.add_reviewer(ctx, "short", "1234567", ["g1"])


def test_remembered_basic_credentials_never_accept_a_wrong_or_old_password(service):
    ctx = service.ctx
    reviewers.add_reviewer(ctx, "ivo", "first-password", ["g1"])
    assert reviewers.authenticate_repeated(ctx, "ivo", "first-password")["name"] == "ivo"
    assert reviewers.authenticate_repeated(ctx, "ivo", "first-password")["name"] == "ivo"
    with pytest.raises(ReviewerAuthError):
        reviewers.authenticate_repeated(ctx, "ivo", "first-passwordX")
    reviewers.remove_reviewer(ctx, "ivo")
    with pytest.raises(ReviewerAuthError):
        reviewers.authenticate_repeated(ctx, "ivo", "first-password")
    reviewers.add_reviewer(ctx, "ivo", "second-password", ["g1"])
    with pytest.raises(ReviewerAuthError):
        reviewers.authenticate_repeated(ctx, "ivo", "first-password")
    assert reviewers.authenticate_repeated(ctx, "ivo", "second-password")["name"] == "ivo"
