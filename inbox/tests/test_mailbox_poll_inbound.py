"""Mail that arrives in the business's own mailbox reaches the inbox through the minute's poll:
a contact, their thread, and the message with its email headers and attachments."""

import pytest

from inbox import tasks
from inbox.models import Attachment, Channel, ContactIdentity, Direction, Message, MessageStatus, Thread
from inbox.tests.mailbox_helpers import email_bytes

pytestmark = pytest.mark.django_db

PHOTO = b"\x89PNG\r\n\x1a\n" + b"tap" * 100


def test_the_poll_records_new_mail_as_a_message_from_a_new_contact(org, mailbox, django_capture_on_commit_callbacks):
    mailbox.deliver(
        email_bytes(
            to=mailbox.address,
            subject="Leaking tap",
            text="The kitchen tap drips all night.",
            message_id="<first@client.example>",
            references="<earlier@client.example>",
            attachments=(("tap.png", "image/png", PHOTO),),
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        enqueued = tasks.mailboxes_poll.delay().get()

    assert enqueued == 1
    message = Message.objects.get(integration=mailbox.config)
    assert (message.channel, message.direction, message.status) == (
        Channel.EMAIL,
        Direction.INBOUND,
        MessageStatus.RECEIVED,
    )
    assert message.provider_message_id == "<first@client.example>"
    assert message.email_message_id == "<first@client.example>"
    assert message.references == "<earlier@client.example>"
    assert message.in_reply_to == ""
    assert (message.from_address, message.to_address) == ("dana@client.example", mailbox.address)
    assert message.subject == "Leaking tap"
    assert message.body == "The kitchen tap drips all night."
    contact = message.thread.contact
    assert (contact.first_name, contact.last_name, contact.email) == ("Dana", "Lee", "dana@client.example")
    assert ContactIdentity.objects.filter(
        contact=contact, channel=Channel.EMAIL, address="dana@client.example"
    ).exists()
    thread = Thread.objects.get(pk=message.thread_id)
    assert (thread.unread_count, thread.last_inbound_integration_id) == (1, mailbox.config.pk)
    attachment = Attachment.objects.get(message=message)
    assert (attachment.filename, attachment.content_type, attachment.size) == ("tap.png", "image/png", len(PHOTO))
    assert attachment.file.read() == PHOTO
    mailbox.config.refresh_from_db()
    assert mailbox.config.sync_state["last_uid"] == 1


def test_reading_leaves_the_mail_unread_for_the_team_s_own_mail_program(org, mailbox):
    mailbox.deliver(email_bytes(to=mailbox.address))

    tasks.mailbox_poll.delay(organization_id=org.pk, integration_id=mailbox.config.pk).get()

    assert Message.objects.filter(integration=mailbox.config).count() == 1
    assert mailbox.unseen_uids() == [1]


def test_an_html_only_email_is_kept_as_its_readable_text(org, mailbox):
    html = "<html><head><style>p {color: red}</style></head><body><p>Hello,</p><p>The boiler is <b>out</b>.</p></body></html>"
    mailbox.deliver(email_bytes(to=mailbox.address, text=None, html=html))

    tasks.mailbox_poll.delay(organization_id=org.pk, integration_id=mailbox.config.pk).get()

    assert Message.objects.get(integration=mailbox.config).body == "Hello,\n\nThe boiler is out."


def test_an_email_without_message_id_is_named_by_its_place_in_the_mailbox(org, mailbox):
    mailbox.deliver(email_bytes(to=mailbox.address, message_id=None))

    tasks.mailbox_poll.delay(organization_id=org.pk, integration_id=mailbox.config.pk).get()

    mailbox.config.refresh_from_db()
    message = Message.objects.get(integration=mailbox.config)
    assert message.provider_message_id == f"uid:{mailbox.config.sync_state['uidvalidity']}:1"
    assert message.email_message_id == ""
