"""Answering by email: through the platform's email service, from the business's inbound
address, threaded under the email it answers."""

import pytest

from accounts.tenancy import organization_scope
from inbox import services
from inbox.models import MessageStatus
from inbox.providers.base import InboundMessage
from inbox.tests.email_support import email_integration

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(org, fake_email):
    integration = email_integration(org)
    with organization_scope(org.pk):
        received = services.inbound_record(
            config=integration,
            inbound=InboundMessage(
                provider_message_id="pm-1",
                from_address="dana@example.com",
                to_address=integration.address,
                subject="Leaking tap",
                body="It drips.",
                sender_name="Dana Lee",
                email_message_id="<first@mail.example.com>",
                references="<zero@mail.example.com>",
            ),
        )
    return received.thread


def _headers(sent: dict) -> dict[str, str]:
    return {header["Name"]: header["Value"] for header in sent.get("Headers", [])}


def test_a_reply_reaches_the_email_service_threaded_and_becomes_sent(
    org, owner, thread, fake_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), organization_scope(org.pk):
        message = services.message_send(thread=thread, actor=owner, body="Tomorrow at 9?", channel="email")

    [sent] = fake_email.messages_to("dana@example.com")
    assert sent["Subject"] == "Re: Leaking tap"
    assert sent["TextBody"] == "Tomorrow at 9?"
    assert sent["From"] == "Bizbox <alpha-plumbing@inbound.bizbox.localhost>"
    assert sent["ReplyTo"] == "alpha-plumbing@inbound.bizbox.localhost"
    headers = _headers(sent)
    assert headers["In-Reply-To"] == "<first@mail.example.com>"
    assert headers["References"] == "<zero@mail.example.com> <first@mail.example.com>"
    message.refresh_from_db()
    assert headers["Message-ID"] == message.email_message_id
    assert message.status == MessageStatus.SENT
    assert message.provider_message_id == sent["MessageID"]
    assert list(message.events.order_by("id").values_list("status", flat=True)) == ["queued", "sent"]


def test_a_refused_address_fails_the_message_at_once(
    org, owner, thread, fake_email, django_capture_on_commit_callbacks
):
    fake_email.rejected_addresses.add("dana@example.com")

    with django_capture_on_commit_callbacks(execute=True), organization_scope(org.pk):
        message = services.message_send(thread=thread, actor=owner, body="Tomorrow at 9?", channel="email")

    message.refresh_from_db()
    assert (message.status, message.error_code, message.attempts) == (MessageStatus.FAILED, "recipient_refused", 1)
    assert fake_email.sent == []
