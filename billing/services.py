"""Writes of billing: starting a checkout, provisioning an account from it, keeping the
subscription's status on the organization, and the welcome email."""

import logging
from datetime import UTC, datetime

from allauth.account.models import EmailAddress
from anymail.exceptions import AnymailError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from djstripe.models import Session, Subscription

from accounts import services as account_services
from accounts import validators
from accounts.magic_links import magic_link_url
from accounts.models import IndustryProfile, Organization, SubscriptionStatus, User
from accounts.services import TransientEmailError, email_failure_is_permanent
from billing import plans
from billing.models import Provisioning, ProvisioningSource, WelcomeEmailStatus
from billing.providers import stripe as stripe_provider

logger = logging.getLogger(__name__)

SIGNUP_FIELDS = (
    "email",
    "business_name",
    "industry",
    "phone",
    "country",
    "timezone",
    "team_size",
    "owner_name",
    "plan",
)

STRIPE_STATUSES = {
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "incomplete": SubscriptionStatus.PAST_DUE,
    "paused": SubscriptionStatus.PAST_DUE,
    "canceled": SubscriptionStatus.CANCELED,
    "incomplete_expired": SubscriptionStatus.CANCELED,
}


def checkout_start(*, plan: plans.Plan, email: str, **details: str) -> stripe_provider.CheckoutSession:
    """A Stripe Checkout Session for ``plan`` that carries what the buyer told us."""
    metadata = {
        key: str(value)
        for key, value in {"plan": plan.key, "email": email, **details}.items()
        if value not in (None, "")
    }
    success = f"{settings.SITE_URL}{reverse('checkout-success')}?session_id={{CHECKOUT_SESSION_ID}}"
    return stripe_provider.checkout_session_create(
        price_id=plan.price_id,
        email=email,
        metadata=metadata,
        success_url=success,
        cancel_url=f"{settings.SITE_URL}{reverse('checkout-cancel')}",
    )


def _lock(key: str) -> None:
    """Serialise work on ``key`` until the transaction ends (PostgreSQL); SQLite has one writer anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def _signup_details(session: Session) -> dict[str, str]:
    metadata = session.metadata or {}
    details = {key: str(metadata[key]) for key in SIGNUP_FIELDS if metadata.get(key)}
    customer_details = session.stripe_data.get("customer_details") or {}
    details["email"] = (
        (customer_details.get("email") or session.customer_email or details.get("email", "")).strip().lower()
    )
    return details


def _organization_fields(details: dict[str, str], currency: str | None) -> dict:
    """What the checkout tells about the business, keeping only what is valid: provisioning never fails on it."""
    country = details.get("country", "").upper()
    fields = {"country": country if country in dict(validators.COUNTRY_CHOICES) else "US"}
    if validators.is_time_zone_name(details.get("timezone", "")):
        fields["timezone"] = details["timezone"]
    if currency and currency.upper() in dict(validators.CURRENCY_CHOICES):
        fields["currency"] = currency.upper()
    try:
        fields["phone"] = validators.normalize_phone(details.get("phone", ""), country=fields["country"])
    except ValidationError:
        logger.info("Checkout phone %r is not valid; leaving it for onboarding", details.get("phone"))
    return fields


def _period_end(subscription: Subscription) -> datetime | None:
    data = subscription.stripe_data
    ends = [data.get("current_period_end")] + [
        item.get("current_period_end") for item in (data.get("items") or {}).get("data", [])
    ]
    ends = [end for end in ends if end]
    return datetime.fromtimestamp(max(ends), tz=UTC) if ends else None


def _apply_subscription(organization: Organization, subscription: Subscription | None) -> None:
    if subscription is None:
        return
    organization.subscription_status = STRIPE_STATUSES.get(
        subscription.stripe_data.get("status"), SubscriptionStatus.PAST_DUE
    )
    organization.paid_until = _period_end(subscription)


def checkout_provision(*, session_id: str) -> Provisioning | None:
    """Create the account a completed checkout paid for, once per checkout session.

    Runs in the system scope after dj-stripe has synced the session, its
    customer and subscription from Stripe. The user may already exist (a second
    business for the same owner).
    """
    session = Session.objects.select_related("subscription").filter(id=session_id).first()
    if session is None or session.mode != "subscription":
        logger.info("Checkout session %s is not a subscription checkout; nothing to provision", session_id)
        return None
    with transaction.atomic():
        _lock(f"checkout:{session_id}")
        existing = Provisioning.objects.filter(checkout_session_id=session_id).first()
        if existing is not None:
            return existing
        details = _signup_details(session)
        _lock(f"user:{details['email']}")
        provisioning = _provision(session, details)
        organization_id = provisioning.organization_id
        transaction.on_commit(lambda: _enqueue_welcome_email(organization_id))
    return provisioning


def _provision(session: Session, details: dict[str, str]) -> Provisioning:
    owner_first, _, owner_last = details.get("owner_name", "").partition(" ")
    user, _ = User.objects.get_or_create(
        email=details["email"], defaults={"first_name": owner_first, "last_name": owner_last}
    )
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    organization = account_services.organization_create(
        name=details.get("business_name") or user.email.split("@")[-1],
        owner=user,
        plan=details.get("plan", ""),
        signup_details=details,
        **_organization_fields(details, session.currency),
    )
    _apply_subscription(organization, session.subscription)
    organization.save(update_fields=["subscription_status", "paid_until"])
    profile = IndustryProfile.objects.filter(key=details.get("industry", "")).first()
    if profile is not None:
        account_services.organization_industry_set(organization=organization, profile=profile, actor=user)
    return Provisioning.objects.create(
        organization=organization,
        source=ProvisioningSource.CHECKOUT,
        checkout_session_id=session.id,
        stripe_customer_id=session.customer_id or "",
        stripe_subscription_id=session.subscription_id or "",
    )


def _enqueue_welcome_email(organization_id: int) -> None:
    from billing.tasks import welcome_email_send

    welcome_email_send.delay(organization_id=organization_id)


def subscription_sync(*, subscription: Subscription) -> Organization | None:
    """Mirror a subscription's status and paid period onto its organization.

    Reads the subscription as dj-stripe last fetched it from Stripe, so events
    that arrive twice, late or out of order all end in Stripe's current state.
    A subscription whose checkout is not provisioned yet is left for
    provisioning, which reads the same state.
    """
    provisioning = (
        Provisioning.objects.select_related("organization").filter(stripe_subscription_id=subscription.id).first()
        or Provisioning.objects.select_related("organization")
        .filter(stripe_customer_id=subscription.customer_id, stripe_customer_id__gt="")
        .first()
    )
    if provisioning is None:
        logger.info("Subscription %s has no organization yet; provisioning will read it", subscription.id)
        return None
    organization = provisioning.organization
    _apply_subscription(organization, subscription)
    organization.save(update_fields=["subscription_status", "paid_until", "updated_at"])
    if provisioning.stripe_subscription_id != subscription.id:
        provisioning.stripe_subscription_id = subscription.id
        provisioning.save(update_fields=["stripe_subscription_id"])
    return organization


def welcome_email_send(*, organization_id: int, final_attempt: bool = False) -> Provisioning:
    """Send the welcome email once; a row lock keeps two runs of the task from both sending.

    A transient failure is recorded and raised as TransientEmailError for the
    task to retry; a permanent one (or the last attempt) marks it failed.
    """
    with transaction.atomic():
        provisioning = (
            Provisioning.objects.select_for_update().select_related("organization").get(organization_id=organization_id)
        )
        if provisioning.welcome_email_status == WelcomeEmailStatus.SENT:
            return provisioning
        owner = (
            provisioning.organization.membership_set.filter(role="owner").select_related("user").earliest("created_at")
        )
        provisioning.welcome_email_attempts += 1
        try:
            _welcome_message(provisioning.organization, owner.user).send()
        except (AnymailError, OSError) as error:
            failure = error
            provisioning.welcome_email_error = f"{type(error).__name__}: {error}"[:2000]
            if email_failure_is_permanent(error) or final_attempt:
                provisioning.welcome_email_status = WelcomeEmailStatus.FAILED
                logger.warning("Welcome email for %s failed for good: %s", provisioning.organization, error)
        else:
            failure = None
            provisioning.welcome_email_status = WelcomeEmailStatus.SENT
            provisioning.welcome_email_sent_at = timezone.now()
            provisioning.welcome_email_error = ""
        provisioning.save()
    if failure is not None and provisioning.welcome_email_status != WelcomeEmailStatus.FAILED:
        raise TransientEmailError(str(failure)) from failure
    return provisioning


def _welcome_message(organization: Organization, owner: User) -> EmailMultiAlternatives:
    context = {
        "organization": organization,
        "owner": owner,
        "link": magic_link_url(owner),
        "link_minutes": settings.SESAME_MAX_AGE // 60,
        "site_url": settings.SITE_URL,
        "login_url": f"{settings.SITE_URL}{reverse('login')}",
    }
    message = EmailMultiAlternatives(
        subject=f"Welcome to Bizbox, {organization.name}",
        body=render_to_string("emails/welcome.txt", context),
        to=[owner.email],
    )
    message.attach_alternative(render_to_string("emails/welcome.html", context), "text/html")
    return message


@transaction.atomic
def welcome_email_resend(*, organization: Organization) -> None:
    """Staff's resend: the next send goes out even if one already did."""
    Provisioning.objects.filter(organization=organization).update(
        welcome_email_status=WelcomeEmailStatus.PENDING, welcome_email_error=""
    )
    organization_id = organization.id
    transaction.on_commit(lambda: _enqueue_welcome_email(organization_id))
