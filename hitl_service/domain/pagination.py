"""Opaque NextToken values for listings ordered by (creation time, name)."""

from __future__ import annotations

import base64
import json

from hitl_service.errors import ValidationError


def encode_token(scope: str, last_member: str) -> str:
    """A NextToken that resumes a listing of ``scope`` after ``last_member``."""
    raw = json.dumps({"s": scope, "a": last_member}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, scope: str) -> str:
    """The member a NextToken resumes after; ValidationException if it is not one of ours for ``scope``."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("a"), str):
            raise ValueError
        return data["a"]
    except (ValueError, TypeError, UnicodeError):
        raise ValidationError("Invalid pagination token: NextToken was not returned by this listing.") from None
