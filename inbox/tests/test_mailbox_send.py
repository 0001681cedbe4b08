"""Answering a contact who wrote to the business's mailbox: the reply leaves through the
mailbox's SMTP server, from the mailbox's address, threaded under the email it answers."""

from email.utils import parseaddr

import pytest

from accounts.tenancy import organization_scope
from inbox import services, tasks
from inbox.models import Message, MessageStatus
from inbox.tests.mailbox_helpers import email_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(org, mailbox):
    mailbox.deliver(
        email_bytes(
            to=mailbox.address,
            subject="Leaking tap",
            message_id="<first@client.example>",
            references="<zero@client.example>",
        )
    )
    tasks.mailbox_poll.delay(organization_id=org.pk, integration_id=mailbox.config.pk).get()
    return Message.objects.get(integration=mailbox.config).thread


def test_a_reply_goes_out_through_smtp_threaded_and_becomes_sent(
    org, owner, mailbox, thread, fake_smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), organization_scope(org.pk):
        message = services.message_send(thread=thread, actor=owner, body="We can come on Tuesday.", channel="email")

    [mail] = fake_smtp.received
    headers = mail.message
    assert (mail.login, mail.mail_from, mail.rcpt_tos) == (mailbox.address, mailbox.address, ["dana@client.example"])
    assert parseaddr(headers["From"]) == ("Alpha Plumbing", mailbox.address)
    assert headers["To"] == "dana@client.example"
    assert headers["Subject"] == "Re: Leaking tap"
    assert headers["In-Reply-To"] == "<first@client.example>"
    assert headers["References"] == "<zero@client.example> <first@client.example>"
    assert headers.get_content().strip() == "We can come on Tuesday."
    message.refresh_from_db()
    assert headers["Message-ID"] == message.email_message_id
    assert message.integration_id == mailbox.config.pk
    assert (message.status, message.provider_message_id) == (MessageStatus.SENT, message.email_message_id)
    assert list(message.events.values_list("status", flat=True)) == [MessageStatus.QUEUED, MessageStatus.SENT]
