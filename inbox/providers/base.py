"""The one small interface every channel provider implements.

A provider module turns a provider's webhook into ``InboundMessage`` and
``StatusUpdate`` values, sends an ``OutgoingMessage``, and checks credentials.
It talks to the provider through the provider's official client, with base URLs
from settings (tests point them at fakes on 127.0.0.1). Nothing else in the
project imports a vendor SDK.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from inbox.models import IntegrationConfig


class ProviderError(Exception):
    """A provider refused or failed. ``permanent`` errors (a bad number, revoked
    credentials) are not retried; the others (timeouts, 5xx, rate limits) are."""

    def __init__(self, message: str, *, code: str = "", permanent: bool = False):
        super().__init__(message)
        self.code = code
        self.permanent = permanent


class WebhookRefused(Exception):
    """The request is not from the provider (bad signature, wrong secret): refused, nothing stored."""


@dataclass(frozen=True)
class InboundAttachment:
    filename: str = ""
    content_type: str = ""
    size: int | None = None
    url: str = ""  # fetched later by a task, when the provider keeps the file
    content: bytes | None = None  # when the request itself carried the file


@dataclass(frozen=True)
class InboundMessage:
    """One message from a contact, as the provider described it."""

    provider_message_id: str
    from_address: str  # E.164 number, email address or Meta user id
    to_address: str  # the integration's address it was sent to
    body: str = ""
    subject: str = ""
    sender_name: str = ""
    sent_at: datetime | None = None
    email_message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    attachments: tuple[InboundAttachment, ...] = ()


@dataclass(frozen=True)
class StatusUpdate:
    """The provider says where an outbound message is now."""

    provider_message_id: str
    status: str  # a MessageStatus value
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class OutgoingMessage:
    to_address: str
    body: str
    subject: str = ""
    # Email threading: our Message-ID for it, and what it answers.
    email_message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    status_callback_url: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: str = "sent"  # a MessageStatus value


class Provider:
    """Base of the provider modules' classes; each kind of integration has one instance.
    A provider whose messages do not arrive by our generic webhook (email comes through
    anymail's webhooks, a mailbox is polled) leaves the webhook methods unimplemented."""

    kind: ClassVar[str]
    # Meta sends delivery and read receipts to the messages' own URL; Twilio has a status URL.
    statuses_with_inbound: ClassVar[bool] = False

    def routing_addresses(self, request: HttpRequest) -> list[str]:
        """The integration addresses a webhook request is meant for. Untrusted until
        ``verify`` accepts it with that integration's secret."""
        raise NotImplementedError

    def verify(self, request: HttpRequest, config: "IntegrationConfig") -> None:
        """Raise ``WebhookRefused`` unless the request really comes from the provider."""
        raise NotImplementedError

    def handshake(self, request: HttpRequest) -> HttpResponse:
        """Answer a GET to the webhook URL (Meta's subscription check); others refuse it."""
        return HttpResponse(status=405)

    def acknowledge(self, request: HttpRequest) -> HttpResponse:
        """What the provider expects back once the request is handled."""
        return HttpResponse(status=200)

    def parse_inbound(self, request: HttpRequest, config: "IntegrationConfig") -> list[InboundMessage]:
        raise NotImplementedError

    def parse_statuses(self, request: HttpRequest, config: "IntegrationConfig") -> list[StatusUpdate]:
        raise NotImplementedError

    def send(self, config: "IntegrationConfig", message: OutgoingMessage) -> SendResult:
        raise NotImplementedError

    def check_credentials(self, config: "IntegrationConfig") -> None:
        """Raise ``ProviderError`` unless the credentials work against the provider."""
        raise NotImplementedError

    def fetch_attachment(self, config: "IntegrationConfig", url: str, *, limit: int) -> bytes:
        """The file at ``url``, at most ``limit`` bytes (``ProviderError`` beyond). Providers
        whose files need credentials override this."""
        return download(url, limit=limit)


def download(url: str, *, limit: int, auth: tuple[str, str] | None = None, headers: dict | None = None) -> bytes:
    """GET ``url`` and read at most ``limit`` bytes of it."""
    import requests

    try:
        with requests.get(url, auth=auth, headers=headers, stream=True, timeout=20) as response:
            if response.status_code >= 400:
                raise ProviderError(
                    f"The file could not be fetched (HTTP {response.status_code}).",
                    permanent=response.status_code < 500,
                )
            content = bytearray()
            for chunk in response.iter_content(64 * 1024):
                content += chunk
                if len(content) > limit:
                    raise ProviderError(f"Larger than {limit} bytes: not stored.", permanent=True)
            return bytes(content)
    except requests.RequestException as error:
        raise ProviderError(f"The file could not be fetched: {error}") from error
