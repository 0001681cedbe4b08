"""An email to a business's inbound address lands in its inbox: contact, thread, message, headers."""

import pytest

from config.tests.fakes.postmark import inbound_webhook
from crm.models import Contact
from crm.services import contact_create
from crm.tests.factories import ContactFactory
from inbox.models import Channel, ContactIdentity, Direction, Message, MessageStatus, Thread
from inbox.tests.email_support import email_integration, post_webhook, webhook_secret_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(org, settings):
    webhook_secret_set(settings)
    return email_integration(org)


def _email(integration, **fields) -> dict:
    defaults = {
        "to": integration.address,
        "from_email": "Dana.Lee@Example.com",
        "from_name": "Dana Lee",
        "subject": "Leaking tap",
        "text": "The kitchen tap drips all night.",
        "message_id": "8f2f7a4e-5b1f-4c55-9e0e-1f3b3c1f0a01",
        "headers": {"Message-ID": "<CAF1dana@mail.example.com>"},
    }
    return inbound_webhook(**{**defaults, **fields})


def test_a_new_sender_becomes_a_contact_with_a_thread_and_the_message(client, org, integration):
    response = post_webhook(client, "inbound", _email(integration))

    assert response.status_code == 200
    contact = Contact.objects.get(organization=org)
    assert (contact.first_name, contact.last_name, contact.email) == ("Dana", "Lee", "dana.lee@example.com")
    assert ContactIdentity.objects.filter(contact=contact, channel=Channel.EMAIL).get().address == (
        "dana.lee@example.com"
    )
    message = Message.objects.get(thread__contact=contact)
    assert message.integration == integration
    assert (message.channel, message.direction, message.status) == (
        Channel.EMAIL,
        Direction.INBOUND,
        MessageStatus.RECEIVED,
    )
    assert message.provider_message_id == "8f2f7a4e-5b1f-4c55-9e0e-1f3b3c1f0a01"
    assert message.from_address == "dana.lee@example.com"
    assert message.to_address == integration.address
    assert (message.subject, message.body) == ("Leaking tap", "The kitchen tap drips all night.")
    assert message.email_message_id == "<CAF1dana@mail.example.com>"
    thread = Thread.objects.get(contact=contact)
    assert (thread.unread_count, thread.last_inbound_integration) == (1, integration)


def test_a_known_contact_is_matched_by_email_and_the_reply_headers_are_kept(client, org, integration):
    known = ContactFactory(organization=org, first_name="Dana", email="dana.lee@example.com")
    headers = {
        "Message-ID": "<second@mail.example.com>",
        "In-Reply-To": "<first@bizbox.example>",
        "References": "<zero@mail.example.com> <first@bizbox.example>",
    }

    post_webhook(client, "inbound", _email(integration, headers=headers))

    assert Contact.objects.filter(organization=org).count() == 1
    message = Message.objects.get(thread__contact=known)
    assert message.email_message_id == "<second@mail.example.com>"
    assert message.in_reply_to == "<first@bizbox.example>"
    assert message.references == "<zero@mail.example.com> <first@bizbox.example>"


def test_a_known_contact_is_matched_by_an_address_that_is_not_its_primary_one(client, org, integration):
    known = contact_create(
        organization=org,
        actor=None,
        data={"first_name": "Dana", "emails": ["office@lee-plumbing.example", "dana.lee@example.com"]},
    )
    contact_create(organization=org, actor=None, data={"first_name": "Lee", "email": "dana@example.com"})

    post_webhook(client, "inbound", _email(integration))

    assert Contact.objects.filter(organization=org).count() == 2
    assert Message.objects.get(organization=org).thread.contact == known


def test_an_html_only_email_is_kept_as_its_text(client, org, integration):
    html = "<html><head><style>p{color:red}</style></head><body><p>Hello &amp; thanks,</p><p>Dana</p></body></html>"

    post_webhook(client, "inbound", _email(integration, text="", html=html))

    assert Message.objects.get(organization=org).body == "Hello & thanks,\n\nDana"


def test_the_business_is_found_from_the_recipient_even_when_copied(client, org, other_org, integration):
    other_integration = email_integration(other_org)
    payload = _email(integration, to="someone@elsewhere.example", cc=other_integration.address)
    payload["OriginalRecipient"] = other_integration.address

    post_webhook(client, "inbound", payload)

    assert not Message.objects.filter(organization=org).exists()
    message = Message.objects.get(organization=other_org)
    assert message.integration == other_integration
