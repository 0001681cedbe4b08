"""STOP by SMS withdraws the contact's SMS consent, and sending by SMS is refused; START grants it again."""

import pytest
from django.core.exceptions import ValidationError

from inbox import services
from inbox.models import Message, MessageStatus, Thread
from inbox.tests.twilio_helpers import SMS_URL, inbound_sms, message_sid, post_signed, twilio_integration

CUSTOMER = "+13125550144"


@pytest.fixture
def thread(org, fake_twilio):
    twilio_integration(org)
    post_signed(SMS_URL, inbound_sms(sid=message_sid(), sender=CUSTOMER, body="Hi, do you do gutters?"))
    return Thread.objects.get(organization=org)


def _reply(text: str) -> None:
    post_signed(SMS_URL, inbound_sms(sid=message_sid(), sender=CUSTOMER, body=text))


def test_stop_withdraws_consent_and_refuses_the_next_sms(thread, owner, fake_twilio):
    _reply("STOP")

    thread.contact.refresh_from_db()
    assert thread.contact.consent["sms"]["granted"] is False
    assert thread.contact.consent["sms"]["how"] == "Replied STOP by SMS"
    with pytest.raises(ValidationError) as refused:
        services.message_send(thread=thread, actor=owner, body="We have a spring offer!")
    (error,) = refused.value.error_dict["channel"]
    assert error.code == "opted_out"
    assert "opted out of SMS" in error.message
    assert not Message.objects.filter(thread=thread, direction="outbound").exists()
    assert fake_twilio.sent == []


def test_start_grants_it_again(thread, owner, fake_twilio, django_capture_on_commit_callbacks):
    _reply("stop")
    _reply("Start")

    thread.contact.refresh_from_db()
    assert thread.contact.consent["sms"]["granted"] is True
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_send(thread=thread, actor=owner, body="Welcome back.")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert [request["Body"] for request in fake_twilio.sent] == ["Welcome back."]
