"""The organization follows its subscription: status, paid period, and read-only when it lapses."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organization
from billing.tests.stripe_helpers import deliver, start_checkout, webhook_endpoint
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_world(fake_stripe, fake_email, client, django_capture_on_commit_callbacks):
    endpoint = webhook_endpoint()
    session = fake_stripe.complete_checkout(start_checkout(APIClient()))
    subscription = fake_stripe.objects[session["subscription"]]

    def send(event_type: str, obj: dict):
        with django_capture_on_commit_callbacks(execute=True):
            response = deliver(client, endpoint, fake_stripe.event(event_type, obj))
        assert response.status_code == 200
        return Organization.objects.filter(provisioning__checkout_session_id=session["id"]).first()

    return send, session, subscription


def test_status_follows_the_subscription(stripe_world, fake_stripe):
    send, session, subscription = stripe_world
    assert send("checkout.session.completed", session).subscription_status == "active"

    fake_stripe.update_subscription(subscription["id"], status="past_due")
    assert send("customer.subscription.updated", subscription).subscription_status == "past_due"

    fake_stripe.update_subscription(subscription["id"], status="canceled", canceled_at=int(time.time()))
    assert send("customer.subscription.deleted", subscription).subscription_status == "canceled"


def test_a_late_or_out_of_order_event_ends_in_stripes_current_state(stripe_world, fake_stripe):
    send, session, subscription = stripe_world
    stale = dict(subscription, status="active")
    fake_stripe.update_subscription(subscription["id"], status="past_due")
    # The subscription's update arrives before the checkout that created the account...
    assert send("customer.subscription.updated", subscription) is None
    organization = send("checkout.session.completed", session)
    assert organization.subscription_status == "past_due"
    # ...and an old "active" event arriving late does not undo what Stripe says now.
    assert send("customer.subscription.updated", stale).subscription_status == "past_due"


def test_invoice_outcomes_reread_the_subscription(stripe_world, fake_stripe):
    send, session, subscription = stripe_world
    send("checkout.session.completed", session)
    invoice = {
        "id": "in_test_1",
        "object": "invoice",
        "customer": session["customer"],
        "subscription": subscription["id"],
        "status": "open",
    }
    fake_stripe.objects[invoice["id"]] = invoice
    renewed_until = int(time.time()) + 60 * 86400
    fake_stripe.update_subscription(subscription["id"], status="past_due")
    assert send("invoice.payment_failed", invoice).subscription_status == "past_due"
    subscription["items"]["data"][0]["current_period_end"] = renewed_until
    fake_stripe.update_subscription(subscription["id"], status="active")
    organization = send("invoice.paid", dict(invoice, status="paid"))
    assert organization.subscription_status == "active"
    assert int(organization.paid_until.timestamp()) == renewed_until


@pytest.mark.parametrize(
    ("status", "paid_days_ago", "read_only"),
    [("active", 0, False), ("past_due", 3, False), ("past_due", 30, True), ("canceled", 0, True), ("none", 0, False)],
)
def test_a_lapsed_business_is_read_only_through_the_api(org, owner, status, paid_days_ago, read_only):
    org.subscription_status = status
    org.paid_until = timezone.now() - timedelta(days=paid_days_ago)
    org.save()
    client = client_for(owner)
    assert client.get("/api/v1/organization/").status_code == 200
    response = client.patch("/api/v1/organization/", {"city": "Austin"}, format="json")
    if read_only:
        assert response.status_code == 402
        assert response.json()["error"]["code"] == "subscription_inactive"
    else:
        assert response.status_code == 200
    # Revoking a token keeps working whatever the billing state.
    created = client.post("/api/v1/api-tokens/", {"name": "ci"}, format="json")
    assert created.status_code == 201
