"""Mail from the mailbox's own address (a copy of what the business sent) is not a message from a contact."""

import pytest

from crm.models import Contact
from inbox import tasks
from inbox.models import Message
from inbox.tests.mailbox_helpers import email_bytes

pytestmark = pytest.mark.django_db


def test_our_own_sent_copy_is_skipped_and_passed_over(org, mailbox):
    mailbox.deliver(
        email_bytes(
            to="dana@client.example",
            sender=f"Alpha Plumbing <{mailbox.address.upper()}>",
            subject="Re: Leaking tap",
            message_id="<ours@alpha-plumbing.example>",
        )
    )
    mailbox.deliver(email_bytes(to=mailbox.address, message_id="<theirs@client.example>"))

    stored = tasks.mailbox_poll.delay(organization_id=org.pk, integration_id=mailbox.config.pk).get()

    assert stored == 1
    assert list(Message.objects.filter(integration=mailbox.config).values_list("provider_message_id", flat=True)) == [
        "<theirs@client.example>"
    ]
    assert not Contact.objects.filter(organization=org, email=mailbox.address).exists()
    mailbox.config.refresh_from_db()
    assert mailbox.config.sync_state["last_uid"] == 2
