"""The email service reports on what we sent: delivered, bounced (with why), opened."""

import pytest

from accounts.tenancy import organization_scope
from config.tests.fakes.postmark import bounce_webhook, delivery_webhook, open_webhook
from crm.tests.factories import ContactFactory
from inbox import services
from inbox.models import MessageStatus
from inbox.tests.email_support import email_integration, post_webhook, webhook_secret_set
from inbox.tests.factories import ThreadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(org, owner, fake_email, settings, django_capture_on_commit_callbacks):
    """An email the inbox sent, and what the email service received."""
    webhook_secret_set(settings)
    email_integration(org)
    thread = ThreadFactory(organization=org, contact=ContactFactory(organization=org, email="dana@example.com"))
    with django_capture_on_commit_callbacks(execute=True), organization_scope(org.pk):
        message = services.message_send(thread=thread, actor=owner, body="See you Friday.", channel="email")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    return message, fake_email.sent[0]


def _report(client, build, email: dict, **fields):
    payload = build(message_id=email["MessageID"], recipient=email["To"], metadata=email.get("Metadata"), **fields)
    return post_webhook(client, "tracking", payload)


def test_a_delivery_report_marks_the_email_delivered(client, sent):
    message, email = sent

    assert _report(client, delivery_webhook, email).status_code == 200

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_a_bounce_fails_the_email_with_the_reason(client, sent):
    message, email = sent

    _report(client, bounce_webhook, email, details="smtp;550 5.1.1 No such user here")

    message.refresh_from_db()
    assert (message.status, message.error_code) == (MessageStatus.FAILED, "bounced")
    assert "unable to deliver" in message.error_message
    assert "550 5.1.1 No such user here" in message.error_message
    assert message.events.order_by("-id").first().status == MessageStatus.FAILED


def test_an_open_marks_the_email_read_and_a_late_delivery_does_not_move_it_back(client, sent):
    message, email = sent

    _report(client, open_webhook, email)
    _report(client, delivery_webhook, email)

    message.refresh_from_db()
    assert message.status == MessageStatus.READ
    assert list(message.events.order_by("id").values_list("status", flat=True)) == ["queued", "sent", "read"]


def test_a_repeated_report_changes_nothing(client, sent):
    message, email = sent

    for _ in range(3):
        _report(client, delivery_webhook, email)

    assert message.events.filter(status=MessageStatus.DELIVERED).count() == 1


def test_a_report_on_an_email_the_inbox_did_not_send_is_ignored(client, sent):
    message, email = sent

    response = _report(client, bounce_webhook, {**email, "MessageID": "not-ours", "Metadata": {}})

    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
