"""checkout.session.completed creates the account, once, whatever Stripe's delivery does."""

import time

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from djstripe.models import WebhookEventTrigger
from rest_framework.test import APIClient

from accounts.models import Membership, Organization, User
from billing.models import Provisioning
from billing.tests.stripe_helpers import deliver, start_checkout, webhook_endpoint
from conftest import run_concurrently

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_checkout(fake_stripe, fake_email):
    """A buyer went through checkout and paid; returns the event Stripe sends about it."""
    endpoint = webhook_endpoint()
    session = fake_stripe.complete_checkout(start_checkout(APIClient()))
    return endpoint, fake_stripe.event("checkout.session.completed", session)


def _deliver_now(client, endpoint, event, capture, **kwargs):
    with capture(execute=True):
        return deliver(client, endpoint, event, **kwargs)


def test_a_paid_checkout_becomes_an_account(paid_checkout, client, django_capture_on_commit_callbacks, fake_email):
    endpoint, event = paid_checkout
    response = _deliver_now(client, endpoint, event, django_capture_on_commit_callbacks)
    assert response.status_code == 200

    organization = Organization.objects.get()
    assert (organization.name, organization.slug, str(organization.timezone)) == (
        "Sparkle Cleaning Co",
        "sparkle-cleaning-co",
        "America/Chicago",
    )
    assert (organization.phone, organization.country, organization.currency, organization.plan) == (
        "+15125550188",
        "US",
        "USD",
        "pro",
    )
    assert organization.subscription_status == "active"
    assert organization.paid_until is not None
    assert organization.industry.profile.key == "cleaner"
    assert organization.signup_details["team_size"] == "4"

    owner = User.objects.get()
    assert (owner.email, owner.first_name, owner.last_name) == ("dana@sparkle.example", "Dana", "Whitfield")
    assert Membership.objects.get().role == "owner"
    assert EmailAddress.objects.get(user=owner).verified

    provisioning = Provisioning.objects.get()
    session = event["data"]["object"]
    assert (provisioning.checkout_session_id, provisioning.stripe_customer_id, provisioning.stripe_subscription_id) == (
        session["id"],
        session["customer"],
        session["subscription"],
    )
    assert provisioning.welcome_email_status == "sent"
    assert len(fake_email.messages_to("dana@sparkle.example")) == 1


def test_the_same_event_five_times_creates_one_of_everything(
    paid_checkout, client, django_capture_on_commit_callbacks, fake_email
):
    endpoint, event = paid_checkout
    statuses = [_deliver_now(client, endpoint, event, django_capture_on_commit_callbacks).status_code for _ in range(5)]
    assert statuses == [200] * 5
    assert (User.objects.count(), Organization.objects.count(), Provisioning.objects.count()) == (1, 1, 1)
    assert len(fake_email.sent) == 1
    assert WebhookEventTrigger.objects.filter(processed=True).count() == 5


def test_a_second_event_for_the_same_session_changes_nothing(
    paid_checkout, fake_stripe, client, django_capture_on_commit_callbacks, fake_email
):
    endpoint, event = paid_checkout
    _deliver_now(client, endpoint, event, django_capture_on_commit_callbacks)
    again = fake_stripe.event("checkout.session.completed", event["data"]["object"])  # a new event id
    _deliver_now(client, endpoint, again, django_capture_on_commit_callbacks)
    assert Organization.objects.count() == 1
    assert len(fake_email.sent) == 1


def test_an_existing_user_gets_a_second_business(
    paid_checkout, fake_stripe, client, django_capture_on_commit_callbacks
):
    endpoint, event = paid_checkout
    _deliver_now(client, endpoint, event, django_capture_on_commit_callbacks)
    second = fake_stripe.complete_checkout(start_checkout(APIClient(), business_name="Sparkle Windows"))
    _deliver_now(
        client, endpoint, fake_stripe.event("checkout.session.completed", second), django_capture_on_commit_callbacks
    )
    owner = User.objects.get()
    assert sorted(m.organization.name for m in owner.memberships.select_related("organization")) == [
        "Sparkle Cleaning Co",
        "Sparkle Windows",
    ]


def test_details_that_do_not_validate_never_block_the_account(
    fake_stripe, fake_email, client, django_capture_on_commit_callbacks
):
    endpoint = webhook_endpoint()
    session = fake_stripe.complete_checkout(start_checkout(APIClient()))
    session["metadata"].update(phone="not a phone", timezone="Nowhere/Land", industry="astronaut", country="ZZ")
    _deliver_now(
        client, endpoint, fake_stripe.event("checkout.session.completed", session), django_capture_on_commit_callbacks
    )
    organization = Organization.objects.get()
    assert (organization.phone, str(organization.timezone), organization.country) == ("", "UTC", "US")
    assert not hasattr(organization, "industry") or organization.industry is None


@pytest.mark.parametrize(
    "tamper",
    [
        {"secret": "whsec_forged"},
        {"timestamp": int(time.time()) - 3600},
    ],
    ids=["forged signature", "stale timestamp"],
)
def test_a_forged_or_stale_delivery_is_refused_and_creates_nothing(
    paid_checkout, client, django_capture_on_commit_callbacks, tamper
):
    endpoint, event = paid_checkout
    response = _deliver_now(client, endpoint, event, django_capture_on_commit_callbacks, **tamper)
    assert response.status_code == 400
    assert (User.objects.count(), Organization.objects.count()) == (0, 0)
    assert not WebhookEventTrigger.objects.filter(valid=True).exists()


def test_an_unknown_endpoint_or_no_signature_is_refused(paid_checkout, client):
    endpoint, event = paid_checkout
    import json
    import uuid

    from billing.providers.stripe import webhook_signature

    payload = json.dumps(event)
    unknown = client.post(
        f"/stripe/webhook/{uuid.uuid4()}/", payload, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=webhook_signature(payload, endpoint.secret),
    )  # fmt: skip
    assert unknown.status_code == 404
    unsigned = client.post(f"/stripe/webhook/{endpoint.djstripe_uuid}/", payload, content_type="application/json")
    assert unsigned.status_code == 400
    assert Organization.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_deliveries_create_one_of_everything(paid_checkout, fake_email):
    endpoint, event = paid_checkout
    statuses = run_concurrently(lambda: deliver(Client(), endpoint, event).status_code, 20)
    assert statuses == [200] * 20
    assert (User.objects.count(), Organization.objects.count(), Provisioning.objects.count()) == (1, 1, 1)
    assert len(fake_email.sent) == 1
