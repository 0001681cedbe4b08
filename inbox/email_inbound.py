"""What the platform's email service tells us through anymail's webhooks.

``inbound_received`` takes an email sent to a business's inbound address and records
it in that business's inbox; ``tracking_received`` moves our outbound emails on when
the service reports them delivered, bounced or opened. anymail has already checked
the webhook's shared secret (``ANYMAIL["WEBHOOK_SECRET"]``) before either runs. Both
are connected in ``InboxConfig.ready()``.

The business is found from the addresses the email was sent to, never from the sender,
who chooses whatever they like.
"""

import hashlib
import json
import logging
import re
from html.parser import HTMLParser

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent, EventType
from anymail.utils import EmailAddress, get_anymail_setting

from accounts.tenancy import organization_scope, system_scope
from inbox import selectors, services
from inbox.models import IntegrationConfig, IntegrationKind, MessageStatus
from inbox.providers.base import InboundAttachment, InboundMessage, StatusUpdate
from inbox.providers.email import INTEGRATION_METADATA_KEY

logger = logging.getLogger(__name__)

# What each tracking event means for an outbound message; other events change nothing.
TRACKING_STATUS = {
    EventType.DELIVERED: MessageStatus.DELIVERED,
    EventType.OPENED: MessageStatus.READ,
    EventType.BOUNCED: MessageStatus.FAILED,
    EventType.REJECTED: MessageStatus.FAILED,
    EventType.FAILED: MessageStatus.FAILED,
}


def _require_webhook_secret() -> None:
    """anymail only warns when no secret is configured and accepts anyone's POST; we refuse it."""
    if not get_anymail_setting("webhook_secret", default=None):
        raise AnymailWebhookValidationFailure("ANYMAIL['WEBHOOK_SECRET'] is not configured: email webhooks refused.")


# Inbound ------------------------------------------------------------------------------------


def _recipients(email: AnymailInboundMessage) -> list[str]:
    """Where the email was sent: the envelope recipient first, then To, Cc and Bcc."""
    addresses = [email.envelope_recipient or ""]
    addresses += [address.addr_spec for address in [*email.to, *email.cc, *email.bcc]]
    unique = dict.fromkeys(address.strip().lower() for address in addresses if address and address.strip())
    return list(unique)


def _sender(email: AnymailInboundMessage) -> EmailAddress | None:
    """The (first) From address, or None when the email names none."""
    sender = email.from_email
    sender = sender[0] if isinstance(sender, list) else sender
    return sender if sender is not None and sender.addr_spec else None


class _HtmlText(HTMLParser):
    """The readable text of an HTML body: block elements become line breaks, scripts vanish."""

    BLOCKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})
    HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _body(email: AnymailInboundMessage) -> str:
    text = email.text
    if text and text.strip():
        return text.strip()
    return html_to_text(email.html or "")


def _header(email: AnymailInboundMessage, name: str) -> str:
    return " ".join(str(email.get(name, "") or "").split())


def _attachment_parts(email: AnymailInboundMessage) -> list[AnymailInboundMessage]:
    # Inline images (a photo pasted into the message) count too; an inline text part is the body.
    inline_files = [part for part in email.inlines if part.get_content_maintype() != "text"]
    return [part for part in [*email.attachments, *inline_files] if part.get_content_maintype() != "multipart"]


def _attachments(email: AnymailInboundMessage) -> tuple[InboundAttachment, ...]:
    return tuple(
        InboundAttachment(
            filename=part.get_filename() or "",
            content_type=part.get_content_type(),
            content=part.get_content_bytes() or b"",
        )
        for part in _attachment_parts(email)
    )


def _provider_message_id(event: AnymailInboundEvent) -> str:
    """The service's id, else the Message-ID header, else a digest of the event: a retried
    webhook must always name the same message."""
    if event.event_id:
        return str(event.event_id)
    if header := _header(event.message, "Message-ID"):
        return header
    raw = json.dumps(event.esp_event, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def inbound_message(event: AnymailInboundEvent, *, to_address: str) -> InboundMessage:
    """The email as the inbox records it (the caller checked it has a sender)."""
    email = event.message
    sender = _sender(email)
    return InboundMessage(
        provider_message_id=_provider_message_id(event),
        from_address=sender.addr_spec,
        to_address=to_address,
        body=_body(email),
        subject=_header(email, "Subject"),
        sender_name=sender.display_name or "",
        sent_at=email.date,
        email_message_id=_header(email, "Message-ID"),
        in_reply_to=_header(email, "In-Reply-To"),
        references=_header(email, "References"),
        attachments=_attachments(email),
    )


def _inbound_configs(email: AnymailInboundMessage) -> list[IntegrationConfig]:
    with system_scope():
        return selectors.integrations_for_addresses(kind=IntegrationKind.EMAIL, addresses=_recipients(email))


def inbound_received(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """Record an email in the inbox of each business it was sent to; an email to no known
    address is logged and dropped (answering 200, so the service does not retry it)."""
    _require_webhook_secret()
    configs = _inbound_configs(event.message)
    if not configs:
        logger.info("Inbound email %s from %s is for no known inbox; dropped", event.event_id, esp_name)
        return
    if _sender(event.message) is None:
        logger.info("Inbound email %s names no sender to answer; dropped", event.event_id)
        return
    for config in configs:
        inbound = inbound_message(event, to_address=config.address)
        with organization_scope(config.organization_id):
            services.inbound_record(config=config, inbound=inbound)


# Tracking -----------------------------------------------------------------------------------


def _tracking_config(event: AnymailTrackingEvent) -> IntegrationConfig | None:
    """The email integration that sent the message (named in the metadata ``send`` attached)."""
    integration_id = str((event.metadata or {}).get(INTEGRATION_METADATA_KEY, ""))
    if not integration_id.isdigit():
        return None
    with system_scope():
        return (
            IntegrationConfig.objects.filter(pk=int(integration_id), kind=IntegrationKind.EMAIL)
            .select_related("organization")
            .first()
        )


def status_update(event: AnymailTrackingEvent) -> StatusUpdate | None:
    status = TRACKING_STATUS.get(event.event_type)
    if status is None or not event.message_id:
        return None
    if status != MessageStatus.FAILED:
        return StatusUpdate(provider_message_id=str(event.message_id), status=status)
    reason = " ".join(filter(None, [event.description, event.mta_response]))
    return StatusUpdate(
        provider_message_id=str(event.message_id),
        status=status,
        error_code=event.reject_reason or event.event_type,
        error_message=reason or "The receiving mail server refused the email.",
    )


def tracking_received(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """Move an outbound inbox email on. Events for other emails (a sign-in link) carry no
    integration and are ignored, as are events that change no status."""
    _require_webhook_secret()
    update = status_update(event)
    if update is None:
        return
    config = _tracking_config(event)
    if config is None:
        logger.debug("Tracking event %s for an email the inbox did not send; ignored", event.event_id)
        return
    with organization_scope(config.organization_id):
        services.message_status_apply(config=config, update=update)
