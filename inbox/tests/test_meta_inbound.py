"""A signed Messenger or Instagram message lands in its sender's thread, named from their profile."""

from crm.models import Contact
from inbox.models import Channel, ContactIdentity, Direction, Message, MessageStatus, Thread
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


def test_a_messenger_message_creates_the_contact_thread_and_message(fake_meta, org):
    config = facebook_config(org, fake_meta)
    fake_meta.profiles[PERSON_PSID] = {"first_name": "Maria", "last_name": "Lopez"}
    payload = webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_AbC123", "Can you fix a leak today?"))

    response = post_signed("facebook", payload)

    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.integration, message.channel, message.direction, message.status) == (
        config,
        Channel.MESSENGER,
        Direction.INBOUND,
        MessageStatus.RECEIVED,
    )
    assert (message.provider_message_id, message.from_address, message.to_address, message.body) == (
        "m_AbC123",
        PERSON_PSID,
        PAGE_ID,
        "Can you fix a leak today?",
    )
    contact = Contact.objects.get(organization=org)
    assert (contact.first_name, contact.last_name) == ("Maria", "Lopez")
    assert ContactIdentity.objects.get(contact=contact).address == PERSON_PSID
    thread = Thread.objects.get(contact=contact)
    assert (message.thread, thread.unread_count, thread.last_inbound_integration) == (thread, 1, config)


def test_the_profile_is_asked_for_with_the_page_token(fake_meta, org):
    facebook_config(org, fake_meta)
    fake_meta.profiles[PERSON_PSID] = {"first_name": "Maria", "last_name": "Lopez"}

    post_signed("facebook", webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_1", "Hi")))

    (lookup,) = [r for r in fake_meta.requests if r.path.endswith(f"/{PERSON_PSID}")]
    assert lookup.headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
    assert dict(lookup.query)["fields"] == "first_name,last_name"


def test_an_instagram_message_creates_the_contact_thread_and_message(fake_meta, org):
    config = instagram_config(org, fake_meta)
    fake_meta.profiles[PERSON_IGSID] = {"name": "Sam Rivera", "username": "samr"}
    payload = webhook("instagram", INSTAGRAM_ID, message_event(PERSON_IGSID, INSTAGRAM_ID, "aWdfZ2lk", "Open Sunday?"))

    assert post_signed("instagram", payload).status_code == 200

    message = Message.objects.get()
    assert (message.integration, message.channel, message.from_address, message.body) == (
        config,
        Channel.INSTAGRAM,
        PERSON_IGSID,
        "Open Sunday?",
    )
    contact = message.thread.contact
    assert (contact.first_name, contact.last_name) == ("Sam", "Rivera")
    lookup = next(r for r in fake_meta.requests if r.path.endswith(f"/{PERSON_IGSID}"))
    assert dict(lookup.query)["fields"] == "name,username"


def test_an_instagram_user_without_a_name_is_named_by_username(fake_meta, org):
    instagram_config(org, fake_meta)
    fake_meta.profiles[PERSON_IGSID] = {"username": "samr"}

    post_signed("instagram", webhook("instagram", INSTAGRAM_ID, message_event(PERSON_IGSID, INSTAGRAM_ID, "m_2", "Hi")))

    assert Message.objects.get().thread.contact.first_name == "samr"


def test_without_a_profile_the_contact_gets_a_placeholder_name(fake_meta, org):
    facebook_config(org, fake_meta)  # the fake knows no profile for this person: Graph answers an error

    response = post_signed("facebook", webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_3", "Hi")))

    assert response.status_code == 200
    assert Message.objects.get().thread.contact.first_name == f"Facebook Messenger user {PERSON_PSID[-6:]}"


def test_a_known_person_is_not_looked_up_again(fake_meta, org):
    facebook_config(org, fake_meta)
    fake_meta.profiles[PERSON_PSID] = {"first_name": "Maria", "last_name": "Lopez"}

    post_signed("facebook", webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_4", "Hi")))
    post_signed("facebook", webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_5", "Again")))

    assert len([r for r in fake_meta.requests if r.path.endswith(f"/{PERSON_PSID}")]) == 1
    assert Message.objects.filter(thread__contact__first_name="Maria").count() == 2
    assert Thread.objects.count() == 1


def test_one_post_for_two_pages_of_two_businesses_lands_in_each(fake_meta, org, other_org):
    facebook_config(org, fake_meta)
    facebook_config(other_org, fake_meta, page_id="204857600654321", token="EAAotherPageToken")
    payload = webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_for_alpha", "To Alpha"))
    other = webhook("page", "204857600654321", message_event("7001", "204857600654321", "m_for_bravo", "To Bravo"))
    payload["entry"] += other["entry"]

    assert post_signed("facebook", payload).status_code == 200

    assert Message.objects.get(provider_message_id="m_for_alpha").organization == org
    assert Message.objects.get(provider_message_id="m_for_bravo").organization == other_org
