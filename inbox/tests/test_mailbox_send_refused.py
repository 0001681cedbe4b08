"""What the mailbox's SMTP server refuses: a recipient it will never take fails the message
at once; one it asks to try later leaves the message queued for the next attempt."""

import pytest

from accounts.tenancy import organization_scope
from inbox import services, tasks
from inbox.models import Message, MessageStatus
from inbox.tests.mailbox_helpers import email_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(org, mailbox):
    mailbox.deliver(email_bytes(to=mailbox.address))
    tasks.mailbox_poll.delay(organization_id=org.pk, integration_id=mailbox.config.pk).get()
    return Message.objects.get(integration=mailbox.config).thread


def test_a_refused_recipient_fails_the_message_for_good(
    org, owner, thread, fake_smtp, django_capture_on_commit_callbacks
):
    fake_smtp.refused.add("dana@client.example")

    with django_capture_on_commit_callbacks(execute=True), organization_scope(org.pk):
        message = services.message_send(thread=thread, actor=owner, body="We can come on Tuesday.", channel="email")

    message.refresh_from_db()
    assert (message.status, message.error_code, message.attempts) == (MessageStatus.FAILED, "recipient_refused", 1)
    assert "550 5.1.1" in message.error_message
    assert fake_smtp.received == []


def test_a_temporary_refusal_leaves_the_message_queued_for_a_retry(org, owner, thread, fake_smtp):
    fake_smtp.deferred.add("dana@client.example")
    with organization_scope(org.pk):
        message = services.message_send(thread=thread, actor=owner, body="We can come on Tuesday.", channel="email")

        status = services.message_deliver(message_id=message.pk, final_attempt=False)

    message.refresh_from_db()
    assert status == MessageStatus.QUEUED
    assert (message.status, message.attempts, message.error_code) == (MessageStatus.QUEUED, 1, "smtp_451")
    assert fake_smtp.received == []
