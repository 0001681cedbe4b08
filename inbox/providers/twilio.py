"""SMS and WhatsApp through Twilio: signed webhooks in, the official client out.

One provider class serves both kinds; WhatsApp differs only in that Twilio names
its addresses ``whatsapp:+E164`` while we store the bare number, so the prefix is
added on the way out and stripped on the way in. A business may bring its own
Twilio account (``account_sid`` and ``auth_token`` in the integration's
credentials); otherwise the platform's account from settings is used.
"""

import logging
import mimetypes
from typing import ClassVar
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER, RequestValidator
from twilio.request_validator import get_signature_algorithm as signature_algorithm
from twilio.rest import Client

from inbox.models import IntegrationConfig, IntegrationKind, MessageStatus
from inbox.providers import register
from inbox.providers.base import (
    InboundAttachment,
    InboundMessage,
    OutgoingMessage,
    Provider,
    ProviderError,
    SendResult,
    StatusUpdate,
    WebhookRefused,
    download,
)

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 20
# An empty TwiML document: "received, nothing to answer". Twilio reads it as no reply.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio's message statuses as ours. Twilio's own queueing counts as still queued here; once
# we hold a SID the message is already "sent", and a status never moves back.
STATUS_MAP = {
    "accepted": MessageStatus.QUEUED,
    "scheduled": MessageStatus.QUEUED,
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}
# Twilio answers at most this many media items per message (MediaUrl0..MediaUrl9).
MAX_MEDIA = 10
# Account states in which the account can no longer send.
CLOSED_ACCOUNT_STATES = frozenset({"suspended", "closed"})


class TwilioProvider(Provider):
    kind: ClassVar[str]
    address_prefix: ClassVar[str] = ""

    # Addresses ------------------------------------------------------------------------------

    def _bare(self, address: str) -> str:
        """A Twilio address as we store it: ``whatsapp:+1555...`` becomes ``+1555...``."""
        address = address.strip()
        if self.address_prefix and address.startswith(self.address_prefix):
            return address[len(self.address_prefix) :]
        return address

    def _twilio_address(self, address: str) -> str:
        return f"{self.address_prefix}{address}"

    # Webhooks -------------------------------------------------------------------------------

    def routing_addresses(self, request: HttpRequest) -> list[str]:
        # An inbound message names our number in To; a status callback, sent about our own
        # message, names it in From.
        named = request.POST.get("From" if _is_status_callback(request) else "To", "").strip()
        if self.address_prefix and not named.startswith(self.address_prefix):
            return []  # an SMS posted to the WhatsApp URL is for no WhatsApp integration
        address = self._bare(named)
        return [address] if address else []

    def verify(self, request: HttpRequest, config: IntegrationConfig) -> None:
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            raise WebhookRefused(f"No {SIGNATURE_HEADER} header.")
        try:
            _, auth_token = _credentials(config)
        except ProviderError as error:
            raise WebhookRefused(str(error)) from error
        # Twilio signs the URL it called; behind a proxy our own view of the host is not that
        # one, so the public address comes from SITE_URL.
        url = f"{settings.SITE_URL}{request.get_full_path()}"
        # Requests signed with a webhook SharedKey name their algorithm in a header; we hold only
        # the auth token, so those fail here unless Twilio signed with the token after all.
        algorithm = signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER, ""))
        if not RequestValidator(auth_token).validate(url, request.POST, signature, algorithm=algorithm):
            raise WebhookRefused(f"{SIGNATURE_HEADER} does not match the request to {url}.")

    def acknowledge(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")

    def parse_inbound(self, request: HttpRequest, config: IntegrationConfig) -> list[InboundMessage]:
        data = request.POST
        sid = data.get("MessageSid", "").strip()
        if not sid:
            return []
        return [
            InboundMessage(
                provider_message_id=sid,
                from_address=self._bare(data.get("From", "")),
                to_address=self._bare(data.get("To", "")),
                body=data.get("Body", ""),
                sender_name=data.get("ProfileName", "").strip(),
                attachments=_media(data),
            )
        ]

    def parse_statuses(self, request: HttpRequest, config: IntegrationConfig) -> list[StatusUpdate]:
        data = request.POST
        sid = data.get("MessageSid", "").strip()
        status = STATUS_MAP.get(data.get("MessageStatus", "").strip().lower())
        if not sid or status is None:
            return []  # "received" and unknown states say nothing about our outbound message
        return [
            StatusUpdate(
                provider_message_id=sid,
                status=status,
                error_code=data.get("ErrorCode", "").strip(),
                error_message=data.get("ErrorMessage", "").strip(),
            )
        ]

    # Calls to Twilio ------------------------------------------------------------------------

    def send(self, config: IntegrationConfig, message: OutgoingMessage) -> SendResult:
        client = _client(config)
        try:
            created = client.messages.create(
                to=self._twilio_address(message.to_address),
                from_=self._twilio_address(config.address),
                body=message.body,
                status_callback=message.status_callback_url or None,
            )
        except (TwilioException, requests.RequestException) as error:
            raise _provider_error(error) from error
        return SendResult(provider_message_id=created.sid, status=MessageStatus.SENT)

    def check_credentials(self, config: IntegrationConfig) -> None:
        client = _client(config)
        try:
            account = client.api.v2010.accounts(client.account_sid).fetch()
            if account.status in CLOSED_ACCOUNT_STATES:
                raise ProviderError(f"The Twilio account is {account.status}.", code="account_closed", permanent=True)
            if self.address_prefix:
                return  # a WhatsApp sender is not an incoming number: the account answering is enough
            numbers = client.incoming_phone_numbers.list(phone_number=config.address, limit=20)
        except (TwilioException, requests.RequestException) as error:
            raise _provider_error(error) from error
        if not any(number.phone_number == config.address for number in numbers):
            raise ProviderError(
                f"{config.address} is not one of this Twilio account's phone numbers.",
                code="number_not_in_account",
                permanent=True,
            )

    def fetch_attachment(self, config: IntegrationConfig, url: str, *, limit: int) -> bytes:
        # Twilio serves media only with the account's credentials; they go to Twilio's own host
        # alone, never to wherever else a URL might point.
        auth = _credentials(config) if _is_twilio_host(url) else None
        return download(url, limit=limit, auth=auth)


class TwilioSmsProvider(TwilioProvider):
    kind = IntegrationKind.TWILIO_SMS


class TwilioWhatsAppProvider(TwilioProvider):
    kind = IntegrationKind.TWILIO_WHATSAPP
    address_prefix = "whatsapp:"


# Helpers ------------------------------------------------------------------------------------


def _credentials(config: IntegrationConfig) -> tuple[str, str]:
    """The integration's own account when it has one, else the platform's."""
    own = config.credentials
    if own.get("account_sid") and own.get("auth_token"):
        return own["account_sid"], own["auth_token"]
    if settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN:
        return settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
    raise ProviderError("No Twilio credentials: neither the integration nor the platform has any.", permanent=True)


def _api_base() -> str:
    return (settings.TWILIO_API_BASE or "https://api.twilio.com").rstrip("/")


def _client(config: IntegrationConfig) -> Client:
    account_sid, auth_token = _credentials(config)
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS))
    # Each Twilio product is a domain of the client with its own base URL; messages, accounts
    # and numbers all live on the "api" domain.
    client.api.base_url = _api_base()
    return client


def _is_twilio_host(url: str) -> bool:
    ours = urlsplit(_api_base())
    theirs = urlsplit(url)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


def _is_status_callback(request: HttpRequest) -> bool:
    match = request.resolver_match
    if match is not None:
        return match.url_name == "inbox-status-callback"
    return request.path.rstrip("/").endswith("/status")


def _media(data) -> tuple[InboundAttachment, ...]:
    try:
        count = min(int(data.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    items = []
    for index in range(max(count, 0)):
        url = data.get(f"MediaUrl{index}", "").strip()
        if not url:
            continue
        content_type = data.get(f"MediaContentType{index}", "").strip()
        items.append(InboundAttachment(filename=_media_filename(url, content_type), content_type=content_type, url=url))
    return tuple(items)


def _media_filename(url: str, content_type: str) -> str:
    """Twilio's media URLs end with the media SID and carry no name: the SID and an extension."""
    stem = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "media"
    return f"{stem}{mimetypes.guess_extension(content_type) or ''}"


def _provider_error(error: Exception) -> ProviderError:
    """Twilio's refusals (4xx but rate limits) are permanent; outages and timeouts are not."""
    if isinstance(error, TwilioRestException):
        status, code, text = error.status, error.code, error.msg
    elif isinstance(error, TwilioServiceException):
        status, code, text = error.status, error.code, error.detail or error.title
    elif isinstance(error, requests.RequestException):
        return ProviderError(f"Twilio could not be reached: {error}", code="unreachable")
    else:
        return ProviderError(f"Twilio client error: {error}", code="client_error", permanent=True)
    permanent = 400 <= status < 500 and status != 429
    return ProviderError(f"Twilio answered {status}: {text}", code=str(code or status), permanent=permanent)


register(TwilioSmsProvider())
register(TwilioWhatsAppProvider())
