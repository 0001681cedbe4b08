"""Reading a mailbox again stores nothing twice: not on the next poll, not after a poll that
died before it remembered where it stopped, not when the server renumbers its messages."""

import pytest

from inbox import tasks
from inbox.models import Message
from inbox.tests.mailbox_helpers import email_bytes

pytestmark = pytest.mark.django_db


def _poll(org, mailbox) -> int:
    return tasks.mailbox_poll.delay(organization_id=org.pk, integration_id=mailbox.config.pk).get()


def test_polling_twice_stores_the_message_once(org, mailbox):
    mailbox.deliver(email_bytes(to=mailbox.address))

    assert _poll(org, mailbox) == 1
    assert _poll(org, mailbox) == 0

    assert Message.objects.filter(integration=mailbox.config).count() == 1


def test_mail_read_again_after_a_lost_position_is_stored_once(org, mailbox):
    mailbox.deliver(email_bytes(to=mailbox.address, message_id="<one@client.example>"))
    _poll(org, mailbox)
    mailbox.deliver(email_bytes(to=mailbox.address, message_id="<two@client.example>", subject="Also the shower"))
    # As if the last poll had stored its messages and died before it moved last_uid on.
    mailbox.config.refresh_from_db()
    mailbox.config.sync_state = {**mailbox.config.sync_state, "last_uid": 0}
    mailbox.config.save()

    assert _poll(org, mailbox) == 1

    ids = Message.objects.filter(integration=mailbox.config).values_list("provider_message_id", flat=True)
    assert sorted(ids) == ["<one@client.example>", "<two@client.example>"]
    mailbox.config.refresh_from_db()
    assert mailbox.config.sync_state["last_uid"] == 2


def test_a_changed_uidvalidity_reads_the_mailbox_again_without_duplicates(org, mailbox):
    mailbox.deliver(email_bytes(to=mailbox.address))
    _poll(org, mailbox)
    mailbox.config.refresh_from_db()
    real_uidvalidity = mailbox.config.sync_state["uidvalidity"]
    # What we remember no longer matches the server: its UIDs may mean other messages now.
    mailbox.config.sync_state = {"uidvalidity": real_uidvalidity + 1, "last_uid": 99}
    mailbox.config.save()
    mailbox.deliver(email_bytes(to=mailbox.address, message_id="<second@client.example>"))

    assert _poll(org, mailbox) == 1

    assert Message.objects.filter(integration=mailbox.config).count() == 2
    mailbox.config.refresh_from_db()
    assert mailbox.config.sync_state == {"uidvalidity": real_uidvalidity, "last_uid": 2}
