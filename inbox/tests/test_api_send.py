"""Sending from a thread: queued through the services' rules, once per Idempotency-Key,
and every refusal a 400 naming the field at fault. Delivery itself is the providers' part:
without running the on-commit callbacks, the delivery task is not started here."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.tests.factories import ContactFactory
from inbox.models import Channel, Direction, IntegrationKind, Message, MessageStatus
from inbox.tests.factories import IntegrationConfigFactory, MessageFactory, ThreadFactory

pytestmark = pytest.mark.django_db


def _url(thread) -> str:
    return f"/api/v1/inbox/threads/{thread.pk}/messages/"


@pytest.fixture
def sms(org):
    return IntegrationConfigFactory(organization=org, kind=IntegrationKind.TWILIO_SMS, address="+13125550100")


@pytest.fixture
def thread(org, sms):
    contact = ContactFactory(organization=org, phone="+13125550123")
    return ThreadFactory(organization=org, contact=contact, last_inbound_integration=sms)


def test_a_reply_is_queued_where_the_contact_last_wrote(owner_client, owner, thread, sms):
    response = owner_client.post(_url(thread), {"body": "On our way!"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in ("channel", "direction", "status", "body", "from_address", "to_address")} == {
        "channel": "sms",
        "direction": "outbound",
        "status": "queued",
        "body": "On our way!",
        "from_address": "+13125550100",
        "to_address": "+13125550123",
    }
    assert body["author"]["email"] == owner.email
    assert [event["status"] for event in body["events"]] == ["queued"]
    assert Message.objects.get(pk=body["id"]).integration == sms


def test_the_same_idempotency_key_sends_once(owner_client, thread):
    headers = {"HTTP_IDEMPOTENCY_KEY": "send-7f3a"}

    first = owner_client.post(_url(thread), {"body": "Invoice attached"}, format="json", **headers)
    again = owner_client.post(_url(thread), {"body": "Invoice attached"}, format="json", **headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Message.objects.filter(thread=thread, direction=Direction.OUTBOUND).count() == 1


@pytest.mark.parametrize("body", ["", "   "])
def test_an_empty_body_is_a_400_naming_body(owner_client, thread, body):
    response = owner_client.post(_url(thread), {"body": body}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["body"]
    assert not Message.objects.exists()


def test_a_channel_without_an_integration_is_a_400_naming_channel(owner_client, thread):
    response = owner_client.post(_url(thread), {"body": "Hello", "channel": "messenger"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["channel"]
    assert not Message.objects.exists()


def test_an_unknown_channel_is_a_400_naming_channel(owner_client, thread):
    response = owner_client.post(_url(thread), {"body": "Hello", "channel": "fax"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["channel"]


def test_whatsapp_after_the_24_hour_window_is_a_400_naming_channel(owner_client, org, thread):
    whatsapp = IntegrationConfigFactory(organization=org, kind=IntegrationKind.TWILIO_WHATSAPP)
    old = MessageFactory(organization=org, thread=thread, integration=whatsapp, channel=Channel.WHATSAPP)
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))

    response = owner_client.post(_url(thread), {"body": "Still there?", "channel": "whatsapp"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["channel"]
    assert "24-hour" in response.json()["error"]["fields"]["channel"][0]
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 0


def test_whatsapp_within_the_window_is_queued(owner_client, org, thread):
    whatsapp = IntegrationConfigFactory(organization=org, kind=IntegrationKind.TWILIO_WHATSAPP)
    MessageFactory(organization=org, thread=thread, integration=whatsapp, channel=Channel.WHATSAPP)

    response = owner_client.post(_url(thread), {"body": "Yes, 9am", "channel": "whatsapp"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == MessageStatus.QUEUED


def test_a_viewer_cannot_send(viewer_client, thread):
    assert viewer_client.post(_url(thread), {"body": "Hi"}, format="json").status_code == 403
    assert not Message.objects.exists()
