"""Twilio outages are retried and show in the message's history; Twilio's refusals fail it at once."""

import socket

import pytest

from inbox import services
from inbox.models import Message, MessageStatus, Thread
from inbox.tests.twilio_helpers import (
    SMS_URL,
    deliver,
    inbound_sms,
    message_sid,
    post_signed,
    twilio_integration,
)

CUSTOMER = "+13125550143"
OUTAGE = "Twilio answered 500: Unable to create record: An internal server error has occurred"


@pytest.fixture
def queued(org, owner, fake_twilio, django_capture_on_commit_callbacks) -> Message:
    """A reply queued to a contact who wrote by SMS; the test runs its delivery."""
    twilio_integration(org)
    post_signed(SMS_URL, inbound_sms(sid=message_sid(), sender=CUSTOMER))
    thread = Thread.objects.get(organization=org)
    with django_capture_on_commit_callbacks():
        return services.message_send(thread=thread, actor=owner, body="On our way.")


def _history(message: Message) -> list[tuple[str, str]]:
    return list(message.events.order_by("at", "id").values_list("status", "detail"))


def test_two_outages_then_success_send_once_on_the_third_attempt(queued, fake_twilio):
    fake_twilio.fail_next_creates(2)

    assert deliver(queued) == MessageStatus.SENT
    assert len(fake_twilio.sent) == 1
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.error_code) == (MessageStatus.SENT, 3, "")
    assert queued.provider_message_id == fake_twilio.sent[0]["Sid"]
    assert _history(queued) == [
        (MessageStatus.QUEUED, ""),
        (MessageStatus.QUEUED, f"Attempt 1: {OUTAGE} (will retry)"),
        (MessageStatus.QUEUED, f"Attempt 2: {OUTAGE} (will retry)"),
        (MessageStatus.SENT, ""),
    ]


def test_running_the_delivery_again_sends_nothing_more(queued, fake_twilio):
    deliver(queued)

    assert deliver(queued) == MessageStatus.SENT
    assert len(fake_twilio.sent) == 1


def test_an_invalid_number_fails_at_once_with_twilios_code(queued, fake_twilio):
    fake_twilio.refuse_number(CUSTOMER)

    assert deliver(queued) == MessageStatus.FAILED
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.error_code) == (MessageStatus.FAILED, 1, "21211")
    assert (
        queued.error_message == f"Twilio answered 400: Unable to create record: Invalid 'To' Phone Number: {CUSTOMER}"
    )
    assert fake_twilio.sent == []
    assert [status for status, _ in _history(queued)] == [MessageStatus.QUEUED, MessageStatus.FAILED]


def test_twilio_out_of_reach_is_retried_until_the_last_attempt_fails_it(queued, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.TWILIO_API_BASE = f"http://127.0.0.1:{closed.getsockname()[1]}"  # nothing listens there

        assert deliver(queued) == MessageStatus.FAILED

    retries = settings.INBOX_SEND_MAX_RETRIES
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.error_code) == (MessageStatus.FAILED, retries + 1, "unreachable")
    assert queued.error_message.startswith("Twilio could not be reached: ")


def test_without_a_worker_the_queued_send_retries_in_place(org, owner, fake_twilio, django_capture_on_commit_callbacks):
    # The embedded default runs tasks in the caller: the send enqueued on commit retries there.
    twilio_integration(org)
    post_signed(SMS_URL, inbound_sms(sid=message_sid(), sender=CUSTOMER))
    fake_twilio.fail_next_creates(2)

    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_send(thread=Thread.objects.get(organization=org), actor=owner, body="On our way.")

    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 3)
    assert len(fake_twilio.sent) == 1
