"""Roles: what a signed-in person may see and do, decided by their groups at each request."""

from __future__ import annotations

import enum
import json

from hitl_service.config import Settings


class Role(enum.Enum):
    """reviewer < team lead < admin; each role may do everything the one before it may."""

    REVIEWER = "reviewer"
    TEAM_LEAD = "team-lead"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: "Role") -> bool:
        return self.rank >= other.rank


def groups_of(record: dict) -> list[str]:
    groups = record.get("groups") or "[]"
    return json.loads(groups) if isinstance(groups, str) else list(groups)


def role_of(settings: Settings, record: dict) -> Role:
    """ADMIN for a member of HITL_ADMIN_GROUPS, TEAM_LEAD for HITL_LEAD_GROUPS, else REVIEWER."""
    groups = set(groups_of(record))
    if groups & set(settings.admin_groups):
        return Role.ADMIN
    if groups & set(settings.lead_groups):
        return Role.TEAM_LEAD
    return Role.REVIEWER
