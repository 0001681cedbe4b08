"""A body that is not Postmark's webhook gets a 400 that says so, and stores nothing."""

import pytest
from django.urls import reverse

from config.tests.fakes.postmark import delivery_webhook, inbound_webhook
from inbox.models import Message
from inbox.tests.email_support import (
    WEBHOOK_SECRET,
    basic_auth,
    email_integration,
    post_webhook,
    webhook_secret_set,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(org, settings):
    webhook_secret_set(settings)
    return email_integration(org)


@pytest.mark.parametrize("body", ["not json", "[]", '{"FromFull": 5}'], ids=["not json", "a list", "bad field"])
def test_a_malformed_inbound_body_is_a_400_naming_the_problem(client, integration, body):
    response = client.post(
        reverse("anymail:postmark_inbound_webhook"),
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(WEBHOOK_SECRET),
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert "is not a Postmark inbound webhook" in response.json()["error"]["message"]
    assert not Message.objects.exists()


def test_a_tracking_event_at_the_inbound_url_is_a_400(client, integration):
    response = post_webhook(client, "inbound", delivery_webhook(message_id="abc", recipient="dana@example.com"))

    assert response.status_code == 400
    assert "Delivery" in response.json()["error"]["message"]


def test_an_inbound_email_at_the_tracking_url_is_a_400(client, integration):
    email = inbound_webhook(to=integration.address, from_email="dana@example.com", text="Hi")

    response = post_webhook(client, "tracking", email)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert not Message.objects.exists()


def test_a_malformed_body_without_the_secret_is_refused_before_it_is_read(client, integration):
    response = post_webhook(client, "inbound", {"FromFull": 5}, secret=None)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")  # anymail's own refusal, not our parse error
