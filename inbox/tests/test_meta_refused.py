"""A webhook that Meta did not sign, or that no integration of ours expects, stores nothing."""

import json

import pytest
from django.test import Client

from config.tests.fakes.meta import sign
from crm.models import Contact
from inbox.models import ContactIdentity, Message
from inbox.tests.meta_helpers import (
    INSTAGRAM_ID,
    PAGE_ID,
    PERSON_PSID,
    facebook_config,
    message_event,
    post_signed,
    webhook,
)


def nothing_stored() -> bool:
    return not (Message.objects.exists() or Contact.objects.exists() or ContactIdentity.objects.exists())


def a_message() -> dict:
    return webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_forged", "Hello"))


@pytest.mark.parametrize(
    "signature",
    [
        "",  # no header at all
        "sha256=" + "0" * 64,
        sign(b"another body"),
        sign(json.dumps(a_message()).encode(), secret="not-the-app-secret"),
        "sha1=" + "0" * 40,
        "sha256=é",
    ],
    # Named, not shown: a signature over a message with its own time differs between runs (and workers).
    ids=["missing", "zeros", "another-body", "another-secret", "sha1", "not-hex"],
)
def test_a_bad_signature_is_refused_with_403_and_nothing_stored(fake_meta, org, signature):
    facebook_config(org, fake_meta)

    response = post_signed("facebook", a_message(), signature=signature)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    assert nothing_stored()
    assert fake_meta.requests == []  # not even a profile lookup


def test_without_an_app_secret_configured_every_webhook_is_refused(fake_meta, org, settings):
    facebook_config(org, fake_meta)
    settings.META_APP_SECRET = ""

    assert post_signed("facebook", a_message(), signature=sign(json.dumps(a_message()).encode(), "")).status_code == 403
    assert nothing_stored()


def test_an_entry_for_an_unknown_page_stores_nothing(fake_meta, org):
    facebook_config(org, fake_meta)
    payload = webhook("page", "999000111222333", message_event(PERSON_PSID, "999000111222333", "m_x", "Hello"))

    response = post_signed("facebook", payload)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_integration"
    assert nothing_stored()


def test_an_unknown_page_next_to_ours_is_skipped(fake_meta, org):
    facebook_config(org, fake_meta)
    payload = a_message()
    payload["entry"] += webhook("page", "999000111222333", message_event("1", "999000111222333", "m_y", "Psst"))[
        "entry"
    ]

    assert post_signed("facebook", payload).status_code == 200

    assert list(Message.objects.values_list("provider_message_id", flat=True)) == ["m_forged"]


def test_an_instagram_payload_at_the_facebook_url_is_addressed_to_nobody(fake_meta, org):
    facebook_config(org, fake_meta)
    payload = webhook("instagram", PAGE_ID, message_event(PERSON_PSID, INSTAGRAM_ID, "m_z", "Hello"))

    assert post_signed("facebook", payload).status_code == 404
    assert nothing_stored()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"object": "page", "entry": "nope"}',
        b'{"object": "page", "entry": [{"id": null}]}',
        b"\xff",
    ],
)
def test_a_body_that_is_not_a_meta_payload_is_a_404_not_a_500(fake_meta, org, body):
    facebook_config(org, fake_meta)

    response = Client().post(
        "/webhooks/inbox/facebook/",
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(body)},
    )

    assert response.status_code == 404
    assert nothing_stored()


@pytest.mark.parametrize(
    "event",
    [
        {"sender": "x", "recipient": {"id": PAGE_ID}, "message": {"mid": "m_1"}},
        {"sender": {"id": PERSON_PSID}, "recipient": {"id": PAGE_ID}, "message": "text"},
        {"sender": {"id": PERSON_PSID}, "recipient": {"id": PAGE_ID}, "message": {"text": "no mid"}},
        {"sender": {"id": PERSON_PSID}, "recipient": {"id": PAGE_ID}, "delivery": {"mids": "m_1", "watermark": "x"}},
        {"sender": {"id": PERSON_PSID}, "recipient": {"id": PAGE_ID}, "read": {"watermark": 10**30}},
        "not an event",
    ],
)
def test_signed_but_odd_events_are_skipped_without_a_500(fake_meta, org, event):
    facebook_config(org, fake_meta)

    response = post_signed("facebook", {"object": "page", "entry": [{"id": PAGE_ID, "messaging": [event]}]})

    assert response.status_code == 200
    assert nothing_stored()
