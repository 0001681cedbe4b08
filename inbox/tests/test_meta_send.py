"""A reply on Messenger or Instagram goes out through Meta's Send API with the Page's token."""

import pytest
from django.core.exceptions import ValidationError

from config.tests.fakes.meta import INVALID_TOKEN, graph_error
from inbox import services
from inbox.models import Channel, Message, MessageStatus, Thread
from inbox.tests.meta_helpers import (
    INSTAGRAM_ID,
    PAGE_ID,
    PAGE_TOKEN,
    PERSON_IGSID,
    PERSON_PSID,
    facebook_config,
    instagram_config,
    message_event,
    post_signed,
    webhook,
)


def messenger_thread(fake_meta, org) -> Thread:
    """A thread whose contact just wrote on Messenger, so the 24-hour window is open."""
    facebook_config(org, fake_meta)
    fake_meta.profiles[PERSON_PSID] = {"first_name": "Maria", "last_name": "Lopez"}
    post_signed("facebook", webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_in", "Leak!")))
    return Thread.objects.get()


def send(thread: Thread, owner, body: str, capture) -> Message:
    with capture(execute=True):
        message = services.message_send(thread=thread, actor=owner, body=body)
    message.refresh_from_db()
    return message


def test_a_messenger_reply_reaches_meta_with_the_page_token_and_is_sent(
    fake_meta, org, owner, django_capture_on_commit_callbacks
):
    thread = messenger_thread(fake_meta, org)

    message = send(thread, owner, "On our way at 3pm.", django_capture_on_commit_callbacks)

    (call,) = fake_meta.send_calls()
    assert call.path == "/v25.0/me/messages"
    assert call.headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
    assert call.json() == {
        "recipient": {"id": PERSON_PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "On our way at 3pm."},
    }
    assert (message.channel, message.status, message.attempts) == (Channel.MESSENGER, MessageStatus.SENT, 1)
    assert message.provider_message_id == fake_meta.sent[0]["message_id"]
    assert (message.from_address, message.to_address) == (PAGE_ID, PERSON_PSID)
    assert list(message.events.order_by("at", "id").values_list("status", flat=True)) == ["queued", "sent"]


def test_an_instagram_reply_reaches_meta_and_is_sent(fake_meta, org, owner, django_capture_on_commit_callbacks):
    instagram_config(org, fake_meta)
    fake_meta.profiles[PERSON_IGSID] = {"name": "Sam Rivera"}
    post_signed("instagram", webhook("instagram", INSTAGRAM_ID, message_event(PERSON_IGSID, INSTAGRAM_ID, "m_i", "Hi")))

    message = send(Thread.objects.get(), owner, "Hi Sam!", django_capture_on_commit_callbacks)

    assert fake_meta.send_calls()[0].json()["recipient"] == {"id": PERSON_IGSID}
    assert (message.channel, message.status) == (Channel.INSTAGRAM, MessageStatus.SENT)
    assert message.provider_message_id == fake_meta.sent[0]["message_id"]


def test_a_revoked_token_fails_the_message_at_once(fake_meta, org, owner, django_capture_on_commit_callbacks):
    thread = messenger_thread(fake_meta, org)
    fake_meta.error_next(400, INVALID_TOKEN)

    message = send(thread, owner, "Hello?", django_capture_on_commit_callbacks)

    assert (message.status, message.attempts, message.error_code) == (MessageStatus.FAILED, 1, "meta_token_invalid")
    assert "Invalid OAuth access token" in message.error_message
    assert len(fake_meta.send_calls()) == 1  # a permanent error is not retried


def test_a_person_meta_cannot_reach_fails_the_message(fake_meta, org, owner, django_capture_on_commit_callbacks):
    thread = messenger_thread(fake_meta, org)
    fake_meta.error_next(400, graph_error(551, "This person isn't available right now.", kind="FacebookApiException"))

    message = send(thread, owner, "Hello?", django_capture_on_commit_callbacks)

    assert (message.status, message.error_code) == (MessageStatus.FAILED, "meta_recipient_unavailable")


def test_a_rate_limit_is_left_queued_for_a_retry(fake_meta, org, owner):
    thread = messenger_thread(fake_meta, org)
    message = services.message_send(thread=thread, actor=owner, body="Hello?")
    fake_meta.error_next(400, graph_error(613, "Calls to this api have exceeded the rate limit."))

    status = services.message_deliver(message_id=message.pk, final_attempt=False)

    message.refresh_from_db()
    assert (status, message.attempts, message.error_code) == (MessageStatus.QUEUED, 1, "meta_613")
    assert fake_meta.sent == []


def test_outside_the_24_hour_window_a_send_is_refused_naming_the_window(fake_meta, org, owner):
    thread = messenger_thread(fake_meta, org)
    Message.objects.filter(provider_message_id="m_in").update(created_at="2020-01-01T00:00:00Z")

    with pytest.raises(ValidationError) as refusal:
        services.message_send(thread=thread, actor=owner, body="Still there?")

    (error,) = refusal.value.error_dict["channel"]
    assert error.code == "messaging_window_closed"
    assert "24-hour standard messaging window" in error.message
    assert fake_meta.send_calls() == []
    assert not Message.objects.filter(direction="outbound").exists()
