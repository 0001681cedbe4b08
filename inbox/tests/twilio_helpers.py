"""Twilio's side of the webhooks, for the tests: the parameters it posts and its signature.

Requests are form-encoded and signed exactly as Twilio signs them: the full URL it
called (our SITE_URL and the path) followed by the sorted parameters, HMAC-SHA1
with the account's auth token (``RequestValidator.compute_signature``).
"""

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.test import Client
from twilio.request_validator import RequestValidator

from config.tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN
from inbox import tasks
from inbox.models import IntegrationKind
from inbox.tests.factories import IntegrationConfigFactory

SMS_NUMBER = "+14155550100"
WHATSAPP_NUMBER = "+14155550199"
SMS_URL = "/webhooks/inbox/twilio_sms/"
SMS_STATUS_URL = "/webhooks/inbox/twilio_sms/status/"
WHATSAPP_URL = "/webhooks/inbox/twilio_whatsapp/"


def twilio_integration(organization, *, kind: str = IntegrationKind.TWILIO_SMS, address: str = SMS_NUMBER, **fields):
    """An integration on the fake Twilio's account (unless other credentials are given)."""
    fields.setdefault("credentials", {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN})
    return IntegrationConfigFactory(organization=organization, kind=kind, address=address, **fields)


def message_sid(prefix: str = "SM") -> str:
    return f"{prefix}{uuid.uuid4().hex}"


def inbound_sms(*, sid: str, sender: str, to: str = SMS_NUMBER, body: str = "Hello") -> dict[str, str]:
    """What Twilio posts for an incoming SMS."""
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def inbound_whatsapp(
    *, sid: str, sender: str, profile_name: str, body: str = "Hello", media: list[tuple[str, str]] = ()
) -> dict[str, str]:
    """What Twilio posts for an incoming WhatsApp message; ``media`` is (url, content type) pairs."""
    params = {
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ProfileName": profile_name,
        "MessageType": "image" if media else "text",
        "SmsSid": sid,
        "WaId": sender.lstrip("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": f"whatsapp:{WHATSAPP_NUMBER}",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": f"whatsapp:{sender}",
        "ApiVersion": "2010-04-01",
    }
    for index, (url, content_type) in enumerate(media):
        params[f"MediaUrl{index}"] = url
        params[f"MediaContentType{index}"] = content_type
    return params


def status_callback(*, sid: str, status: str, to: str, sender: str = SMS_NUMBER, **extra: str) -> dict[str, str]:
    """What Twilio posts to a message's StatusCallback."""
    return {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def signature(path: str, params: dict[str, str], *, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(f"{settings.SITE_URL}{path}", params)


def post_signed(path: str, params: dict[str, str], *, token: str = AUTH_TOKEN, signed_as: str | None = None):
    """POST ``params`` to ``path`` as Twilio would; ``signed_as`` overrides the signature header."""
    header = signature(path, params, token=token) if signed_as is None else signed_as
    headers = {"X-Twilio-Signature": header} if header else {}
    return Client().post(
        path, data=urlencode(params), content_type="application/x-www-form-urlencoded", headers=headers
    )


def deliver(message) -> str:
    """Run the message's delivery task in this process, as the embedded default does: each retry
    it asks for runs at once (a worker would wait the backoff first), the last one fails it."""
    kwargs = {"organization_id": message.organization_id, "message_id": message.pk}
    return tasks.message_deliver.apply(kwargs=kwargs).get()
