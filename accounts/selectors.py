"""Reads of accounts. Lookups made before an organization is known run in the system scope."""

import hashlib

from accounts.models import ApiToken, IndustryProfile, Membership, Organization, User
from accounts.tenancy import system_scope


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_by_key(key: str) -> ApiToken | None:
    """The active token with this key, its user and organization loaded, or None."""
    with system_scope():
        return (
            ApiToken.objects.select_related("user", "organization")
            .filter(key_hash=api_token_hash(key), revoked_at__isnull=True)
            .first()
        )


def memberships_of_user(user: User) -> list[Membership]:
    """Every organization the user belongs to, across tenants (the user's own view)."""
    with system_scope():
        return list(Membership.objects.filter(user=user).select_related("organization").order_by("organization__name"))


def membership_of_user_in(user: User, organization: Organization) -> Membership | None:
    with system_scope():
        return Membership.objects.filter(user=user, organization=organization).select_related("organization").first()


def membership_for_reference(user: User, reference: str) -> Membership | None:
    """The user's membership in the organization named by id or slug, or None."""
    lookup = {"organization_id": int(reference)} if reference.isdigit() else {"organization__slug": reference}
    with system_scope():
        return Membership.objects.filter(user=user, **lookup).select_related("organization").first()


def industry_profiles_active():
    return IndustryProfile.objects.filter(is_active=True).order_by("name")
