"""A WhatsApp message through Twilio: the sender's profile name, and its media kept within the limit."""

import pytest

from crm.models import Contact, ContactSource
from inbox.models import Attachment, Channel, IntegrationKind, Message
from inbox.tests.twilio_helpers import (
    WHATSAPP_NUMBER,
    WHATSAPP_URL,
    inbound_whatsapp,
    message_sid,
    post_signed,
    twilio_integration,
)


@pytest.fixture
def whatsapp(org):
    return twilio_integration(org, kind=IntegrationKind.TWILIO_WHATSAPP, address=WHATSAPP_NUMBER)


def test_a_whatsapp_message_names_the_new_contact_after_its_profile(whatsapp, org):
    sid = message_sid()

    response = post_signed(
        WHATSAPP_URL, inbound_whatsapp(sid=sid, sender="+447911123423", profile_name="Maria Lopez", body="Hola")
    )

    assert response.status_code == 200
    contact = Contact.objects.get(organization=org)
    assert (contact.first_name, contact.last_name, contact.phone) == ("Maria", "Lopez", "+447911123423")
    assert contact.source == ContactSource.INBOX
    message = Message.objects.get(provider_message_id=sid)
    assert (message.channel, message.integration) == (Channel.WHATSAPP, whatsapp)
    # Stored without Twilio's "whatsapp:" prefix, like the integration's own address.
    assert (message.from_address, message.to_address, message.body) == ("+447911123423", WHATSAPP_NUMBER, "Hola")
    assert message.thread.unread_count == 1


def test_media_is_copied_by_the_task_within_the_size_limit(
    whatsapp, fake_twilio, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.INBOX_ATTACHMENT_MAX_BYTES = 1000
    photo = b"\xff\xd8\xff" + b"p" * 500
    small = fake_twilio.add_media(photo)
    large = fake_twilio.add_media(b"v" * 5000)
    params = inbound_whatsapp(
        sid=message_sid(),
        sender="+447911123424",
        profile_name="Sam",
        body="Here is the leak",
        media=[(small, "image/jpeg"), (large, "video/mp4")],
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed(WHATSAPP_URL, params)

    assert response.status_code == 200
    stored, refused = Attachment.objects.order_by("id")
    assert (stored.source_url, stored.content_type, stored.size, stored.error) == (small, "image/jpeg", 503, "")
    assert stored.filename == small.rsplit("/", 1)[-1] + ".jpg"
    with stored.file.open("rb") as file:
        assert file.read() == photo
    assert (refused.source_url, bool(refused.file)) == (large, False)
    assert refused.error == "Larger than 1000 bytes: not stored."
    # The media URL answers only to the account's credentials, which the provider sent.
    fetches = [request for request in fake_twilio.requests if "/Media/" in request.path]
    assert len(fetches) == 2
    assert all(request.headers.get("Authorization", "").startswith("Basic ") for request in fetches)


def test_media_that_twilio_refuses_keeps_the_reason(
    org, fake_twilio, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    twilio_integration(
        org,
        kind=IntegrationKind.TWILIO_WHATSAPP,
        address=WHATSAPP_NUMBER,
        credentials={"account_sid": "AC" + "1" * 32, "auth_token": "revoked-token"},
    )
    url = fake_twilio.add_media(b"photo")
    params = inbound_whatsapp(sid=message_sid(), sender="+447911123425", profile_name="Lee", media=[(url, "image/png")])

    with django_capture_on_commit_callbacks(execute=True):
        post_signed(WHATSAPP_URL, params, token="revoked-token")

    attachment = Attachment.objects.get()
    assert not attachment.file
    assert attachment.error == "The file could not be fetched (HTTP 401)."
