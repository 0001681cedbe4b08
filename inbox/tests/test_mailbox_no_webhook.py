"""A mailbox is polled, never pushed to: its kind has no webhook, and a request there stores nothing."""

import pytest
from django.test import Client

from inbox.models import Message

pytestmark = pytest.mark.django_db


def test_posting_to_the_mailbox_kind_s_webhook_is_not_found(mailbox):
    response = Client().post(
        "/webhooks/inbox/mailbox/", data={"From": "dana@client.example", "To": mailbox.address, "Body": "Hi"}
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Message.objects.exists()
