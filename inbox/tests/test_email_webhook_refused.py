"""Email webhooks that do not come from the email service, or are for nobody here, store nothing."""

import logging

import pytest

from config.tests.fakes.postmark import delivery_webhook, inbound_webhook
from crm.models import Contact
from inbox.models import Message
from inbox.tests.email_support import email_integration, post_webhook, webhook_secret_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(org, settings):
    webhook_secret_set(settings)
    return email_integration(org)


def _email(to: str) -> dict:
    return inbound_webhook(to=to, from_email="mallory@example.com", subject="Hi", text="Let me in")


def _nothing_stored() -> bool:
    return not Message.objects.exists() and not Contact.objects.exists()


@pytest.mark.parametrize("secret", [None, "postmark-hooks:a-wrong-secret"], ids=["no secret", "wrong secret"])
def test_an_inbound_webhook_without_the_secret_is_refused(client, integration, secret):
    response = post_webhook(client, "inbound", _email(integration.address), secret=secret)

    assert response.status_code == 400
    assert _nothing_stored()


def test_a_tracking_webhook_without_the_secret_is_refused(client, integration):
    response = post_webhook(client, "tracking", delivery_webhook(message_id="x", recipient="a@b.example"), secret=None)

    assert response.status_code == 400


def test_with_no_secret_configured_every_inbound_webhook_is_refused(client, org, settings):
    integration = email_integration(org)
    settings.ANYMAIL = {}

    response = post_webhook(client, "inbound", _email(integration.address), secret=None)

    assert response.status_code == 400
    assert _nothing_stored()


def test_an_email_for_an_unknown_address_stores_nothing(client, integration, caplog):
    with caplog.at_level(logging.INFO, logger="inbox.email_inbound"):
        response = post_webhook(client, "inbound", _email("nobody@" + integration.address.split("@")[1]))

    assert response.status_code == 200  # answered, so the service does not retry it for ever
    assert _nothing_stored()
    assert "for no known inbox" in caplog.text


def test_an_email_for_a_switched_off_integration_stores_nothing(client, integration):
    integration.is_active = False
    integration.save()

    post_webhook(client, "inbound", _email(integration.address))

    assert _nothing_stored()
