"""Writes of accounts: organizations, memberships, industries, API tokens, the activity log."""

import json
import logging
import secrets
import smtplib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from sesame.utils import get_user as sesame_user

from accounts import validators
from accounts.magic_links import magic_link_url
from accounts.models import (
    ActivityEntry,
    ApiToken,
    IdempotencyRecord,
    IndustryProfile,
    Membership,
    Organization,
    OrganizationIndustry,
    User,
)
from accounts.roles import Role
from accounts.selectors import api_token_hash
from accounts.tenancy import system_scope

logger = logging.getLogger(__name__)

INDUSTRY_PROFILES_FILE = Path(__file__).resolve().parent / "data" / "industry_profiles.json"
API_TOKEN_PREFIX = "bbx_"

ORGANIZATION_EDITABLE_FIELDS = (
    "name",
    "timezone",
    "currency",
    "country",
    "phone",
    "email",
    "website",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
)


def activity_record(
    *,
    organization: Organization,
    actor: User | None,
    verb: str,
    target: Any = None,
    summary: str = "",
    data: dict | None = None,
) -> ActivityEntry:
    return ActivityEntry.objects.create(
        organization=organization,
        actor=actor,
        verb=verb,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        summary=summary[:300],
        data=data or {},
    )


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "business"
    slug, suffix = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def _clean_organization_fields(fields: dict[str, Any], *, country: str) -> dict[str, Any]:
    if "phone" in fields:
        try:
            fields["phone"] = validators.normalize_phone(fields["phone"], country=fields.get("country", country))
        except ValidationError as error:
            raise ValidationError({"phone": error.messages}) from error
    return fields


@transaction.atomic
def organization_create(*, name: str, owner: User, slug: str = "", **fields: Any) -> Organization:
    """A new business with its owner. The caller runs in the system scope (no tenant yet)."""
    fields = _clean_organization_fields(fields, country=fields.get("country", "US"))
    organization = Organization(name=name, slug=slug or _unique_slug(name), **fields)
    organization.full_clean()
    organization.save()
    membership_create(organization=organization, user=owner, role=Role.OWNER, actor=owner)
    activity_record(organization=organization, actor=owner, verb="organization.created", target=organization)
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, actor: User, **fields: Any) -> Organization:
    unknown = set(fields) - set(ORGANIZATION_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: ["This field cannot be changed."] for field in unknown})
    fields = _clean_organization_fields(fields, country=organization.country)
    changed = {}
    for field, value in fields.items():
        if getattr(organization, field) != value:
            changed[field] = str(value)
            setattr(organization, field, value)
    if not changed:
        return organization
    organization.full_clean()
    organization.save()
    activity_record(
        organization=organization,
        actor=actor,
        verb="organization.updated",
        target=organization,
        summary=f"Changed {', '.join(sorted(changed))}",
        data={"changed": changed},
    )
    return organization


@transaction.atomic
def organization_industry_set(
    *, organization: Organization, profile: IndustryProfile, actor: User | None
) -> OrganizationIndustry:
    industry, _ = OrganizationIndustry.objects.update_or_create(
        organization=organization, defaults={"profile": profile}
    )
    activity_record(
        organization=organization, actor=actor, verb="organization.industry_set", target=industry, summary=profile.name
    )
    return industry


def membership_create(*, organization: Organization, user: User, role: str, actor: User | None) -> Membership:
    membership, created = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    if created:
        activity_record(
            organization=organization,
            actor=actor,
            verb="membership.created",
            target=membership,
            summary=f"{user} as {role}",
        )
    return membership


@transaction.atomic
def api_token_create(*, organization: Organization, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token and its key; the key is shown this once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the token a name, e.g. the script that will use it."]})
    key = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization, user=user, name=name, prefix=key[:12], key_hash=api_token_hash(key)
    )
    activity_record(organization=organization, actor=user, verb="api_token.created", target=token, summary=name)
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        activity_record(
            organization=token.organization, actor=actor, verb="api_token.revoked", target=token, summary=token.name
        )
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once a minute, so a busy script does not write on every call."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        with system_scope():  # before the request's organization scope exists
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


def idempotency_records_prune(*, now: datetime | None = None) -> int:
    """Forget Idempotency-Keys older than a day, as payment APIs do; returns how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEY_LIFETIME
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def industry_profiles_load(*, path: Path = INDUSTRY_PROFILES_FILE, overwrite: bool = False) -> int:
    """Create the shipped industry profiles; existing ones keep the admin's edits unless ``overwrite``."""
    created = 0
    for entry in json.loads(path.read_text()):
        fields = {key: value for key, value in entry.items() if key != "key"}
        profile = IndustryProfile.objects.filter(key=entry["key"]).first()
        if profile is not None and not overwrite:
            continue
        profile = profile or IndustryProfile(key=entry["key"])
        for field, value in fields.items():
            setattr(profile, field, value)
        profile.full_clean()
        created += profile.pk is None
        profile.save()
    return created


# Magic links ------------------------------------------------------------------


class TransientEmailError(Exception):
    """The email service failed in a way that may pass: the task tries again later."""


def magic_link_email_send(*, email: str) -> bool:
    """Email a sign-in link to the active user with this address; False when there is none.

    Asking for a link answers the same whoever asks, so this runs in a task
    after the answer and is the only place that learns whether the address is
    known. A failure that may pass raises TransientEmailError for a retry.
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return False
    try:
        _magic_link_message(user).send()
    except (AnymailError, OSError) as error:
        if not email_failure_is_permanent(error):
            raise TransientEmailError(f"{type(error).__name__}: {error}") from error
        logger.warning("Magic link email to user %s failed for good: %s", user.pk, error)
        return False
    return True


def _magic_link_message(user: User) -> EmailMultiAlternatives:
    context = {
        "user": user,
        "link": magic_link_url(user),
        "link_minutes": max(1, settings.SESAME_MAX_AGE // 60),
        "login_url": f"{settings.SITE_URL}{reverse('login')}",
    }
    message = EmailMultiAlternatives(
        subject="Your Bizbox sign-in link",
        body=render_to_string("emails/magic_link.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("emails/magic_link.html", context), "text/html")
    return message


def email_failure_is_permanent(error: Exception) -> bool:
    """A refused address or a 4xx from the email service will fail again; retrying only spams the log."""
    if isinstance(error, AnymailRecipientsRefused | smtplib.SMTPRecipientsRefused):
        return True
    status = getattr(error, "status_code", None)
    return status is not None and 400 <= status < 500 and status not in (408, 429)


def magic_link_user(*, token: str) -> User | None:
    """Whom a magic link signs in, without spending it: mail scanners open links too."""
    return sesame_user(token, update_last_login=False)


def magic_link_redeem(*, token: str) -> User | None:
    """Spend a magic link and return its user, ready for ``login()``; None if expired, used or forged.

    A token is bound to its user's last login, so recording a login spends it.
    The user's row is locked first so that two presses of one link (a double
    click, two tabs) sign in once: the second sees the new last login and fails.
    """
    user = magic_link_user(token=token)
    if user is None:
        return None
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        return sesame_user(token, update_last_login=True)
