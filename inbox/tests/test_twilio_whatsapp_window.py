"""WhatsApp through Twilio: a free-form reply only within 24 hours of the contact's last WhatsApp message."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inbox import services
from inbox.models import IntegrationKind, Message, MessageStatus, Thread
from inbox.tests.twilio_helpers import (
    WHATSAPP_NUMBER,
    WHATSAPP_URL,
    inbound_whatsapp,
    message_sid,
    post_signed,
    twilio_integration,
)

CUSTOMER = "+447911123460"


@pytest.fixture
def thread(org, fake_twilio):
    twilio_integration(org, kind=IntegrationKind.TWILIO_WHATSAPP, address=WHATSAPP_NUMBER)
    post_signed(WHATSAPP_URL, inbound_whatsapp(sid=message_sid(), sender=CUSTOMER, profile_name="Ana Ruiz"))
    return Thread.objects.get(organization=org)


def _wrote_ago(thread: Thread, age: timedelta) -> None:
    Message.objects.filter(thread=thread).update(created_at=timezone.now() - age)


def test_a_reply_within_the_window_goes_out_on_whatsapp(thread, owner, fake_twilio, django_capture_on_commit_callbacks):
    _wrote_ago(thread, timedelta(hours=23, minutes=50))

    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_send(thread=thread, actor=owner, body="Your booking is confirmed.")

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    request = fake_twilio.sent[0]
    assert (request["To"], request["From"]) == (f"whatsapp:{CUSTOMER}", f"whatsapp:{WHATSAPP_NUMBER}")
    assert (message.to_address, message.from_address) == (CUSTOMER, WHATSAPP_NUMBER)


def test_a_reply_after_the_window_is_refused_naming_it(thread, owner, fake_twilio):
    _wrote_ago(thread, timedelta(hours=24, minutes=5))

    with pytest.raises(ValidationError) as refused:
        services.message_send(thread=thread, actor=owner, body="Are you still interested?")

    (error,) = refused.value.error_dict["channel"]
    assert error.code == "whatsapp_window_closed"
    assert "24-hour" in error.message
    assert not Message.objects.filter(thread=thread, direction="outbound").exists()
    assert fake_twilio.sent == []
