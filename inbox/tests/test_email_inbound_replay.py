"""Postmark retries a webhook until it hears 200: the same email posted again changes nothing."""

import pytest

from config.tests.fakes.postmark import inbound_webhook
from crm.models import Contact
from inbox.models import Message, Thread
from inbox.tests.email_support import email_integration, post_webhook, webhook_secret_set

pytestmark = pytest.mark.django_db


def test_the_same_email_five_times_is_one_message(client, org, settings):
    webhook_secret_set(settings)
    integration = email_integration(org)
    payload = inbound_webhook(
        to=integration.address,
        from_email="dana@example.com",
        subject="Quote please",
        text="How much for a boiler service?",
        headers={"Message-ID": "<once@mail.example.com>"},
    )

    statuses = [post_webhook(client, "inbound", payload).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert Message.objects.filter(organization=org).count() == 1
    assert Contact.objects.filter(organization=org).count() == 1
    assert Thread.objects.get(organization=org).unread_count == 1
