"""Meta echoes the Page's own sends back to the webhook: they are not messages from the contact."""

from inbox.models import Message
from inbox.tests.meta_helpers import (
    INSTAGRAM_ID,
    PAGE_ID,
    PERSON_IGSID,
    PERSON_PSID,
    facebook_config,
    instagram_config,
    message_event,
    post_signed,
    webhook,
)


def test_a_messenger_echo_is_ignored(fake_meta, org):
    facebook_config(org, fake_meta)
    echo = message_event(PAGE_ID, PERSON_PSID, "m_echo", "We can come at 3pm", echo=True)

    assert post_signed("facebook", webhook("page", PAGE_ID, echo)).status_code == 200

    assert not Message.objects.exists()
    assert fake_meta.requests == []


def test_an_instagram_echo_is_ignored_next_to_a_real_message(fake_meta, org):
    instagram_config(org, fake_meta)
    echo = message_event(INSTAGRAM_ID, PERSON_IGSID, "m_echo", "Thanks!", echo=True)
    real = message_event(PERSON_IGSID, INSTAGRAM_ID, "m_real", "Great, see you")

    assert post_signed("instagram", webhook("instagram", INSTAGRAM_ID, echo, real)).status_code == 200

    assert list(Message.objects.values_list("provider_message_id", flat=True)) == ["m_real"]
