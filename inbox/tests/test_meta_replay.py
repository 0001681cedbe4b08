"""Meta retries a webhook it thinks failed: the same message delivered again changes nothing."""

from inbox.models import Message, Thread
from inbox.tests.meta_helpers import PAGE_ID, PERSON_PSID, facebook_config, message_event, post_signed, webhook


def test_the_same_webhook_five_times_stores_one_message(fake_meta, org):
    facebook_config(org, fake_meta)
    fake_meta.profiles[PERSON_PSID] = {"first_name": "Maria", "last_name": "Lopez"}
    payload = webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_once", "Is Tuesday free?"))

    responses = [post_signed("facebook", payload) for _ in range(5)]

    assert [response.status_code for response in responses] == [200] * 5
    assert Message.objects.get().provider_message_id == "m_once"
    thread = Thread.objects.get()
    assert thread.unread_count == 1
