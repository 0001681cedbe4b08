"""Twilio webhooks that do not prove they come from Twilio for that number store nothing."""

from crm.models import Contact
from inbox.models import ContactIdentity, Direction, Message, MessageStatus, Thread
from inbox.tests.factories import MessageFactory
from inbox.tests.twilio_helpers import (
    SMS_NUMBER,
    SMS_STATUS_URL,
    SMS_URL,
    inbound_sms,
    message_sid,
    post_signed,
    signature,
    status_callback,
    twilio_integration,
)


def _nothing_stored() -> bool:
    return not (Contact.objects.exists() or Thread.objects.exists() or Message.objects.exists())


def test_a_forged_signature_is_refused(org):
    twilio_integration(org)

    response = post_signed(SMS_URL, inbound_sms(sid=message_sid(), sender="+13125550111"), signed_as="Zm9yZ2VkIQ==")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    assert _nothing_stored()


def test_a_request_without_a_signature_is_refused(org):
    twilio_integration(org)

    response = post_signed(SMS_URL, inbound_sms(sid=message_sid(), sender="+13125550111"), signed_as="")

    assert response.status_code == 403
    assert _nothing_stored()


def test_a_signature_over_other_parameters_is_refused(org):
    twilio_integration(org)
    params = inbound_sms(sid=message_sid(), sender="+13125550111", body="Original")

    response = post_signed(SMS_URL, {**params, "Body": "Changed"}, signed_as=signature(SMS_URL, params))

    assert response.status_code == 403
    assert _nothing_stored()


def test_a_message_for_an_unknown_number_is_refused(org):
    twilio_integration(org)

    response = post_signed(SMS_URL, inbound_sms(sid=message_sid(), sender="+13125550111", to="+14155550999"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_integration"
    assert _nothing_stored()


def test_the_signature_of_another_integrations_token_is_refused(org, other_org):
    twilio_integration(org, credentials={"account_sid": "AC" + "a" * 32, "auth_token": "alpha-token"})
    twilio_integration(
        other_org, address="+14155550111", credentials={"account_sid": "AC" + "b" * 32, "auth_token": "bravo-token"}
    )

    response = post_signed(SMS_URL, inbound_sms(sid=message_sid(), sender="+13125550111"), token="bravo-token")

    assert response.status_code == 403
    assert _nothing_stored()
    assert not ContactIdentity.objects.exists()


def test_a_forged_status_callback_changes_nothing(org):
    config = twilio_integration(org)
    sent = MessageFactory(organization=org, integration=config, direction=Direction.OUTBOUND, status=MessageStatus.SENT)

    response = post_signed(
        SMS_STATUS_URL,
        status_callback(sid=sent.provider_message_id, status="delivered", to=sent.to_address, sender=SMS_NUMBER),
        token="not-the-token",
    )

    assert response.status_code == 403
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT
    assert not sent.events.exists()


def test_an_sms_addressed_to_the_whatsapp_webhook_is_for_no_integration(org):
    twilio_integration(org)

    response = post_signed("/webhooks/inbox/twilio_whatsapp/", inbound_sms(sid=message_sid(), sender="+13125550111"))

    assert response.status_code == 404
    assert _nothing_stored()
