"""An answer in the mailbox joins the thread of the email it answers, whichever address it comes from."""

import pytest

from inbox import tasks
from inbox.models import Message, Thread
from inbox.tests.mailbox_helpers import email_bytes

pytestmark = pytest.mark.django_db


def _poll(org, mailbox) -> None:
    tasks.mailbox_poll.delay(organization_id=org.pk, integration_id=mailbox.config.pk).get()


def test_a_reply_with_in_reply_to_joins_the_earlier_thread(org, mailbox):
    mailbox.deliver(email_bytes(to=mailbox.address, message_id="<first@client.example>"))
    _poll(org, mailbox)
    first = Message.objects.get(integration=mailbox.config)
    # Dana answers from her work address, which no contact has yet.
    mailbox.deliver(
        email_bytes(
            to=mailbox.address,
            sender="Dana Lee <dana.lee@work.example>",
            subject="Re: Leaking tap",
            text="Any time after 3 works.",
            message_id="<second@work.example>",
            in_reply_to="<first@client.example>",
            references="<first@client.example>",
        )
    )

    _poll(org, mailbox)

    reply = Message.objects.get(integration=mailbox.config, provider_message_id="<second@work.example>")
    assert reply.thread_id == first.thread_id
    assert reply.in_reply_to == "<first@client.example>"
    assert Thread.objects.filter(organization=org).count() == 1
    assert Thread.objects.get(pk=first.thread_id).unread_count == 2
