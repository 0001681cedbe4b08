"""Reads of accounts. Lookups made before an organization is known run in the system scope."""

import hashlib
from datetime import timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import ApiToken, IndustryProfile, Membership, Organization, SubscriptionStatus, User
from accounts.tenancy import system_scope


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_by_key(key: str) -> ApiToken | None:
    """The active token with this key, its user and organization loaded, or None.

    The owner's membership comes in the same query (``token.membership``, None
    when they left the organization): every API call by token needs both.
    """
    member = Membership.objects.filter(user=OuterRef("user_id"), organization=OuterRef("organization_id"))
    with system_scope():
        token = (
            ApiToken.objects.select_related("user", "organization")
            .filter(key_hash=api_token_hash(key), revoked_at__isnull=True)
            .annotate(member_id=Subquery(member.values("id")[:1]), member_role=Subquery(member.values("role")[:1]))
            .first()
        )
    if token is not None:
        token.membership = (
            Membership(id=token.member_id, organization=token.organization, user=token.user, role=token.member_role)
            if token.member_id is not None
            else None
        )
    return token


def memberships_of_user(user: User) -> list[Membership]:
    """Every organization the user belongs to, across tenants (the user's own view)."""
    with system_scope():
        return list(Membership.objects.filter(user=user).select_related("organization").order_by("organization__name"))


def membership_of_user_in(user: User, organization: Organization) -> Membership | None:
    with system_scope():
        return Membership.objects.filter(user=user, organization=organization).select_related("organization").first()


def _as_primary_key(reference: str) -> int | None:
    # isdigit() alone also passes "²", which int() refuses, and numbers past a bigint, which PostgreSQL refuses.
    if reference.isascii() and reference.isdigit() and int(reference) < 2**63:
        return int(reference)
    return None


def membership_for_reference(user: User, reference: str) -> Membership | None:
    """The user's membership in the organization named by id or slug, or None."""
    organization_id = _as_primary_key(reference)
    lookup = {"organization_id": organization_id} if organization_id is not None else {"organization__slug": reference}
    with system_scope():
        return Membership.objects.filter(user=user, **lookup).select_related("organization").first()


def industry_profiles_active():
    return IndustryProfile.objects.filter(is_active=True).order_by("name")


# How long a business whose payment failed keeps working normally, while Stripe retries the card.
PAST_DUE_GRACE = timedelta(days=14)


def organization_is_read_only(organization: Organization) -> bool:
    """A canceled subscription, or one unpaid past the grace period, leaves the business read-only."""
    if organization.subscription_status == SubscriptionStatus.CANCELED:
        return True
    if organization.subscription_status == SubscriptionStatus.PAST_DUE:
        return organization.paid_until is None or organization.paid_until + PAST_DUE_GRACE < timezone.now()
    return False
