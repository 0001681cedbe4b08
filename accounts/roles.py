"""Roles of a membership and what each may do: the one place this is written down.

Views name the permission they need; a membership has it when its role lists
it. Reading the organization's records needs only membership.
"""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    STAFF = "staff", "Staff"
    VIEWER = "viewer", "Viewer"


class Permission:
    RECORDS_VIEW = "records.view"
    RECORDS_CHANGE = "records.change"
    ORGANIZATION_CHANGE = "organization.change"
    MEMBERS_MANAGE = "members.manage"
    BILLING_MANAGE = "billing.manage"
    OWN_TOKENS_MANAGE = "tokens.manage_own"
    ALL_TOKENS_MANAGE = "tokens.manage_all"
    ACTIVITY_VIEW = "activity.view"


_EVERYONE = {Permission.RECORDS_VIEW, Permission.OWN_TOKENS_MANAGE}
_STAFF = _EVERYONE | {Permission.RECORDS_CHANGE}
_ADMIN = _STAFF | {
    Permission.ORGANIZATION_CHANGE,
    Permission.MEMBERS_MANAGE,
    Permission.ALL_TOKENS_MANAGE,
    Permission.ACTIVITY_VIEW,
}
_OWNER = _ADMIN | {Permission.BILLING_MANAGE}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(_OWNER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.STAFF: frozenset(_STAFF),
    Role.VIEWER: frozenset(_EVERYONE),
}


def role_has_permission(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
