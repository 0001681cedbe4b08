"""Facebook Messenger and Instagram messaging, through Meta's Graph API.

A Facebook integration's address is its Page id; an Instagram one's is the id of the
Instagram professional account, whose messages travel through the Facebook Page linked
to it. Both use that Page's access token (``{"page_access_token": ...}``) and reach
Graph over plain HTTPS with ``requests`` (Meta ships no official Python client), at
``settings.META_GRAPH_URL`` so that tests can point it at a fake.

Meta calls one URL per object ("page" or "instagram"): a GET to subscribe it (the
``hub.challenge`` handshake), then signed POSTs that carry messages, our own sends
echoed back, and delivery and read receipts together. The app secret and verify token
are the platform's (``META_APP_SECRET``, ``META_VERIFY_TOKEN``), the same for every
business.
"""

import hashlib
import hmac
import json
import logging
import re
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from inbox import selectors
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
)

logger = logging.getLogger(__name__)

GRAPH_API_VERSION = "v25.0"
SEND_TIMEOUT = (5, 20)  # connect, read (seconds)
# A profile lookup happens while Meta waits for the webhook's answer: keep it short.
PROFILE_TIMEOUT = (2, 4)
# Graph error codes worth retrying: unknown or temporary failures and rate limits
# (https://developers.facebook.com/docs/messenger-platform/error-codes).
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 1200, 80006})
ERROR_NAMES = {
    190: "meta_token_invalid",
    10: "meta_permission_denied",  # also "sent outside of allowed window"
    100: "meta_invalid_request",  # e.g. "No matching user found"
    551: "meta_recipient_unavailable",
}
# Page-, Instagram- and app-scoped ids are digits; anything else never goes into a Graph path.
GRAPH_ID = re.compile(r"[0-9A-Za-z_.-]{1,64}")


# Payloads ------------------------------------------------------------------------------------


def _payload(request: HttpRequest) -> dict[str, Any]:
    """The JSON body, or an empty dict when it is not a JSON object."""
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _entries(payload: dict[str, Any], object_name: str) -> list[dict[str, Any]]:
    if payload.get("object") != object_name:
        return []
    return [entry for entry in _dicts(payload.get("entry")) if isinstance(entry.get("id"), str | int)]


def _events_for(request: HttpRequest, object_name: str, address: str) -> list[dict[str, Any]]:
    """The messaging events of the entries addressed to ``address`` (one POST may carry several Pages)."""
    entries = _entries(_payload(request), object_name)
    return [event for entry in entries if str(entry["id"]) == address for event in _dicts(entry.get("messaging"))]


def _party(event: dict[str, Any], side: str) -> str:
    party = event.get(side)
    value = party.get("id") if isinstance(party, dict) else None
    return str(value) if isinstance(value, str | int) else ""


def _moment(milliseconds: Any) -> datetime | None:
    if not isinstance(milliseconds, int | float) or isinstance(milliseconds, bool):
        return None
    try:
        return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _attachment(item: dict[str, Any]) -> InboundAttachment | None:
    payload = item.get("payload")
    url = payload.get("url") if isinstance(payload, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        return None  # a sticker id, a location, a template without a file
    kind = str(item.get("type") or "file")
    name = PurePosixPath(urlsplit(url).path).name or kind
    return InboundAttachment(filename=name[:255], url=url)


def _mids(value: Any) -> list[str]:
    return [mid for mid in value if isinstance(mid, str) and mid] if isinstance(value, list) else []


# Graph ---------------------------------------------------------------------------------------


def _token(config: IntegrationConfig) -> str:
    token = config.credentials.get("page_access_token", "")
    if not token:
        raise ProviderError("The integration has no Page access token.", code="meta_token_missing", permanent=True)
    return token


def _graph_error(status: int, body: Any) -> ProviderError:
    """A Graph error, permanent unless Meta says it is worth trying again."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    transient = status >= 500 or status == 429 or code in TRANSIENT_CODES or error.get("is_transient") is True
    name = ERROR_NAMES.get(code) or ("meta_permission_denied" if isinstance(code, int) and 200 <= code < 300 else "")
    text = str(error.get("message") or f"HTTP {status}")[:500]
    return ProviderError(
        f"Meta refused the request (code {code}): {text}",
        code=name or (f"meta_{code}" if code is not None else "meta_error"),
        permanent=not transient,
    )


def _graph(
    method: str, path: str, token: str, *, params: dict | None = None, body: dict | None = None, timeout=SEND_TIMEOUT
) -> dict[str, Any]:
    """Call Graph with a Page token (in the Authorization header, so that it stays out of URLs and logs)."""
    url = f"{settings.META_GRAPH_URL.rstrip('/')}/{GRAPH_API_VERSION}/{path}"
    try:
        response = requests.request(
            method, url, params=params, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )
    except requests.RequestException as error:
        raise ProviderError(f"Meta could not be reached: {error}", code="meta_unreachable") from error
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code >= 400 or (isinstance(answer, dict) and "error" in answer):
        raise _graph_error(response.status_code, answer)
    return answer if isinstance(answer, dict) else {}


# The providers -------------------------------------------------------------------------------


class MetaProvider(Provider):
    """What Messenger and Instagram share; the subclasses name their object and profile fields."""

    object_name: ClassVar[str]  # Meta's "object" of the webhook
    profile_fields: ClassVar[str]  # a person's name in their Graph profile
    account_fields: ClassVar[str]  # what /me answers, to tell which account the token is for
    account_label: ClassVar[str]
    statuses_with_inbound = True  # receipts arrive at the messages' URL

    def handshake(self, request: HttpRequest) -> HttpResponse:
        expected = settings.META_VERIFY_TOKEN
        given = request.GET.get("hub.verify_token", "")
        if (
            request.GET.get("hub.mode") != "subscribe"
            or not expected
            or not hmac.compare_digest(given.encode(), expected.encode())
        ):
            return HttpResponse("The verify token does not match.", status=403, content_type="text/plain")
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")

    def routing_addresses(self, request: HttpRequest) -> list[str]:
        return [str(entry["id"]) for entry in _entries(_payload(request), self.object_name)]

    def verify(self, request: HttpRequest, config: IntegrationConfig) -> None:
        secret = settings.META_APP_SECRET
        if not secret:
            raise WebhookRefused("META_APP_SECRET is not set: no Meta webhook can be trusted.")
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        given = request.headers.get("X-Hub-Signature-256", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRefused("X-Hub-Signature-256 is missing or does not match the body.")

    def parse_inbound(self, request: HttpRequest, config: IntegrationConfig) -> list[InboundMessage]:
        inbound = []
        for event in _events_for(request, self.object_name, config.address):
            message = event.get("message")
            sender = _party(event, "sender")
            if not isinstance(message, dict) or not sender or sender == config.address:
                continue
            mid = message.get("mid")
            if message.get("is_echo") or message.get("is_deleted") or not isinstance(mid, str) or not mid:
                continue  # our own sends echoed back, an unsent message, or nothing to key it on
            inbound.append(self._inbound(config, event, message, sender, mid))
        return inbound

    def _inbound(
        self, config: IntegrationConfig, event: dict[str, Any], message: dict[str, Any], sender: str, mid: str
    ) -> InboundMessage:
        text = message.get("text")
        attachments = (_attachment(item) for item in _dicts(message.get("attachments")))
        return InboundMessage(
            provider_message_id=mid,
            from_address=sender,
            to_address=_party(event, "recipient") or config.address,
            body=text if isinstance(text, str) else "",
            sender_name=self._sender_name(config, sender),
            sent_at=_moment(event.get("timestamp")),
            attachments=tuple(item for item in attachments if item is not None),
        )

    def _sender_name(self, config: IntegrationConfig, user_id: str) -> str:
        """The person's name from their Graph profile, asked only for someone not known yet.
        Best effort: without it the contact gets a placeholder name."""
        if not GRAPH_ID.fullmatch(user_id):
            return ""
        if selectors.identity_exists(organization=config.organization, channel=config.channel, address=user_id):
            return ""
        try:
            profile = _graph(
                "GET", user_id, _token(config), params={"fields": self.profile_fields}, timeout=PROFILE_TIMEOUT
            )
        except ProviderError as error:
            logger.info("No profile for %s user %s: %s", self.kind, user_id, error)
            return ""
        return self.name_from_profile(profile)

    def name_from_profile(self, profile: dict[str, Any]) -> str:
        raise NotImplementedError

    def parse_statuses(self, request: HttpRequest, config: IntegrationConfig) -> list[StatusUpdate]:
        updates: list[StatusUpdate] = []
        for event in _events_for(request, self.object_name, config.address):
            user = _party(event, "sender")
            for key, status in (("delivery", MessageStatus.DELIVERED), ("read", MessageStatus.READ)):
                receipt = event.get(key)
                if isinstance(receipt, dict) and user:
                    updates += [StatusUpdate(mid, status) for mid in self._receipt_mids(config, user, receipt, status)]
        return updates

    def _receipt_mids(self, config: IntegrationConfig, user: str, receipt: dict[str, Any], status: str) -> list[str]:
        """The messages a receipt covers: those it names (``mids``, or Instagram's one ``mid``),
        else every message to that person sent by its watermark."""
        named = _mids(receipt.get("mids")) or _mids([receipt.get("mid")])
        if named:
            return named
        watermark = _moment(receipt.get("watermark"))
        if watermark is None:
            return []
        return selectors.outbound_sent_by(config=config, to_address=user, at=watermark, receipt=status)

    def send(self, config: IntegrationConfig, message: OutgoingMessage) -> SendResult:
        # With a Page token, "me" is the Page; for Instagram, the Page linked to the account.
        answer = _graph(
            "POST",
            "me/messages",
            _token(config),
            body={
                "recipient": {"id": message.to_address},
                "messaging_type": "RESPONSE",
                "message": {"text": message.body},
            },
        )
        mid = answer.get("message_id")
        if not isinstance(mid, str) or not mid:
            raise ProviderError("Meta accepted the message but gave no message id.", code="meta_no_message_id")
        return SendResult(provider_message_id=mid, status=MessageStatus.SENT)

    def check_credentials(self, config: IntegrationConfig) -> None:
        found = self.account_id(_graph("GET", "me", _token(config), params={"fields": self.account_fields}))
        if found != config.address:
            raise ProviderError(
                f"The Page access token answers for {self.account_label} {found or 'none'}, not {config.address}.",
                code="meta_wrong_account",
                permanent=True,
            )

    def account_id(self, me: dict[str, Any]) -> str:
        raise NotImplementedError


class MessengerProvider(MetaProvider):
    kind = IntegrationKind.FACEBOOK
    object_name = "page"
    profile_fields = "first_name,last_name"
    account_fields = "id,name"
    account_label = "Page"

    def name_from_profile(self, profile: dict[str, Any]) -> str:
        parts = (profile.get("first_name"), profile.get("last_name"))
        return " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())

    def account_id(self, me: dict[str, Any]) -> str:
        return str(me.get("id") or "")


class InstagramProvider(MetaProvider):
    kind = IntegrationKind.INSTAGRAM
    object_name = "instagram"
    profile_fields = "name,username"
    account_fields = "id,name,instagram_business_account"
    account_label = "Instagram account"

    def name_from_profile(self, profile: dict[str, Any]) -> str:
        for field in ("name", "username"):
            value = profile.get(field)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return ""

    def account_id(self, me: dict[str, Any]) -> str:
        # The token is the Page's: the account is the Instagram one linked to that Page.
        linked = me.get("instagram_business_account")
        return str(linked.get("id") or "") if isinstance(linked, dict) else ""


register(MessengerProvider())
register(InstagramProvider())
