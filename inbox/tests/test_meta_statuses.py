"""Meta's delivery and read receipts move our sent messages forward."""

from datetime import timedelta

from django.utils import timezone

from inbox import services
from inbox.models import Message, MessageStatus, Thread
from inbox.tests.meta_helpers import (
    INSTAGRAM_ID,
    PAGE_ID,
    PERSON_IGSID,
    PERSON_PSID,
    delivery_event,
    facebook_config,
    instagram_config,
    message_event,
    post_signed,
    read_event,
    webhook,
)


def sent_reply(fake_meta, owner, capture, body: str = "On our way") -> Message:
    with capture(execute=True):
        message = services.message_send(thread=Thread.objects.get(), actor=owner, body=body)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    return message


def messenger_conversation(fake_meta, org) -> None:
    facebook_config(org, fake_meta)
    fake_meta.profiles[PERSON_PSID] = {"first_name": "Maria"}
    post_signed("facebook", webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_in", "Leak!")))


def ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def test_a_delivery_receipt_marks_the_named_messages_delivered(
    fake_meta, org, owner, django_capture_on_commit_callbacks
):
    messenger_conversation(fake_meta, org)
    message = sent_reply(fake_meta, owner, django_capture_on_commit_callbacks)

    payload = webhook("page", PAGE_ID, delivery_event(PERSON_PSID, PAGE_ID, [message.provider_message_id]))
    assert post_signed("facebook", payload).status_code == 200

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert list(message.events.order_by("at", "id").values_list("status", flat=True)) == ["queued", "sent", "delivered"]


def test_a_read_receipt_marks_what_was_sent_before_its_watermark_read(
    fake_meta, org, owner, django_capture_on_commit_callbacks
):
    messenger_conversation(fake_meta, org)
    earlier = sent_reply(fake_meta, owner, django_capture_on_commit_callbacks, "First")
    later = sent_reply(fake_meta, owner, django_capture_on_commit_callbacks, "Second")
    Message.objects.filter(pk=later.pk).update(created_at=timezone.now() + timedelta(minutes=5))

    payload = webhook("page", PAGE_ID, read_event(PERSON_PSID, PAGE_ID, watermark=ms(timezone.now())))
    assert post_signed("facebook", payload).status_code == 200

    earlier.refresh_from_db()
    later.refresh_from_db()
    assert (earlier.status, later.status) == (MessageStatus.READ, MessageStatus.SENT)


def test_a_delivery_receipt_with_only_a_watermark_covers_the_messages_before_it(
    fake_meta, org, owner, django_capture_on_commit_callbacks
):
    messenger_conversation(fake_meta, org)
    message = sent_reply(fake_meta, owner, django_capture_on_commit_callbacks)

    payload = webhook("page", PAGE_ID, delivery_event(PERSON_PSID, PAGE_ID, [], watermark=ms(timezone.now())))
    post_signed("facebook", payload)

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_receipts_never_move_a_message_back_and_repeat_harmlessly(
    fake_meta, org, owner, django_capture_on_commit_callbacks
):
    messenger_conversation(fake_meta, org)
    message = sent_reply(fake_meta, owner, django_capture_on_commit_callbacks)
    read = webhook("page", PAGE_ID, read_event(PERSON_PSID, PAGE_ID, watermark=ms(timezone.now())))
    delivered = webhook("page", PAGE_ID, delivery_event(PERSON_PSID, PAGE_ID, [message.provider_message_id]))

    for payload in (read, read, delivered, read):
        assert post_signed("facebook", payload).status_code == 200

    message.refresh_from_db()
    assert message.status == MessageStatus.READ
    assert message.events.filter(status=MessageStatus.READ).count() == 1
    assert not message.events.filter(status=MessageStatus.DELIVERED).exists()


def test_a_receipt_from_another_person_moves_nothing(fake_meta, org, owner, django_capture_on_commit_callbacks):
    messenger_conversation(fake_meta, org)
    message = sent_reply(fake_meta, owner, django_capture_on_commit_callbacks)

    post_signed(
        "facebook", webhook("page", PAGE_ID, read_event("6009999999999999", PAGE_ID, watermark=ms(timezone.now())))
    )

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_an_instagram_read_receipt_names_its_message(fake_meta, org, owner, django_capture_on_commit_callbacks):
    instagram_config(org, fake_meta)
    fake_meta.profiles[PERSON_IGSID] = {"name": "Sam Rivera"}
    post_signed("instagram", webhook("instagram", INSTAGRAM_ID, message_event(PERSON_IGSID, INSTAGRAM_ID, "m_i", "Hi")))
    message = sent_reply(fake_meta, owner, django_capture_on_commit_callbacks)

    payload = webhook(
        "instagram", INSTAGRAM_ID, read_event(PERSON_IGSID, INSTAGRAM_ID, mid=message.provider_message_id)
    )
    assert post_signed("instagram", payload).status_code == 200

    message.refresh_from_db()
    assert message.status == MessageStatus.READ


def test_the_status_url_takes_receipts_too(fake_meta, org, owner, django_capture_on_commit_callbacks):
    messenger_conversation(fake_meta, org)
    message = sent_reply(fake_meta, owner, django_capture_on_commit_callbacks)

    payload = webhook("page", PAGE_ID, delivery_event(PERSON_PSID, PAGE_ID, [message.provider_message_id]))
    assert post_signed("facebook", payload, path="status/").status_code == 200

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
