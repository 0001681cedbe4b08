"""A reply by SMS goes out through Twilio's client, then follows Twilio's status callbacks forward only."""

import pytest
from django.conf import settings

from inbox import services
from inbox.models import Direction, Message, MessageStatus, Thread
from inbox.tests.twilio_helpers import (
    SMS_NUMBER,
    SMS_STATUS_URL,
    SMS_URL,
    inbound_sms,
    message_sid,
    post_signed,
    status_callback,
    twilio_integration,
)

CUSTOMER = "+13125550142"


@pytest.fixture
def thread(org, fake_twilio):
    twilio_integration(org)
    post_signed(SMS_URL, inbound_sms(sid=message_sid(), sender=CUSTOMER, body="When can you come?"))
    return Thread.objects.get(organization=org)


@pytest.fixture
def sent(thread, owner, django_capture_on_commit_callbacks) -> Message:
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_send(thread=thread, actor=owner, body="Tomorrow at 9, if that suits you.")
    message.refresh_from_db()
    return message


def _history(message: Message) -> list[str]:
    return list(message.events.order_by("at", "id").values_list("status", flat=True))


def test_the_reply_reaches_twilio_and_is_sent_with_its_sid(sent, fake_twilio):
    assert len(fake_twilio.sent) == 1
    request = fake_twilio.sent[0]
    assert (request["To"], request["From"], request["Body"]) == (
        CUSTOMER,
        SMS_NUMBER,
        "Tomorrow at 9, if that suits you.",
    )
    assert request["StatusCallback"] == f"{settings.SITE_URL}{SMS_STATUS_URL}"
    assert (sent.direction, sent.status, sent.attempts) == (Direction.OUTBOUND, MessageStatus.SENT, 1)
    assert sent.provider_message_id == request["Sid"]
    assert _history(sent) == [MessageStatus.QUEUED, MessageStatus.SENT]


def test_the_status_callback_moves_it_to_delivered(sent):
    response = post_signed(
        SMS_STATUS_URL, status_callback(sid=sent.provider_message_id, status="delivered", to=CUSTOMER)
    )

    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED
    assert _history(sent) == [MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED]


def test_a_replayed_or_older_callback_changes_nothing(sent):
    delivered = status_callback(sid=sent.provider_message_id, status="delivered", to=CUSTOMER)
    post_signed(SMS_STATUS_URL, delivered)

    replayed = post_signed(SMS_STATUS_URL, delivered)
    older = post_signed(SMS_STATUS_URL, status_callback(sid=sent.provider_message_id, status="sent", to=CUSTOMER))

    assert (replayed.status_code, older.status_code) == (200, 200)
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED
    assert _history(sent) == [MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED]


def test_an_undelivered_callback_fails_it_with_twilios_error(sent):
    post_signed(
        SMS_STATUS_URL,
        status_callback(
            sid=sent.provider_message_id,
            status="undelivered",
            to=CUSTOMER,
            ErrorCode="30003",
            ErrorMessage="Unreachable destination handset",
        ),
    )

    sent.refresh_from_db()
    assert (sent.status, sent.error_code, sent.error_message) == (
        MessageStatus.FAILED,
        "30003",
        "Unreachable destination handset",
    )
    assert sent.events.get(status=MessageStatus.FAILED).detail == "30003 Unreachable destination handset"
