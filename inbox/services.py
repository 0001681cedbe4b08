"""Writes of the inbox: messages in, messages out, their statuses, and the threads they move.

Every provider comes through here: a webhook or a poll turns the provider's request
into ``InboundMessage`` values and calls ``inbound_record``; the API calls
``message_send``; a worker calls ``message_deliver``; status callbacks call
``message_status_apply``. Each publishes to the organization's live clients once
its transaction commits.
"""

import logging
import re
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, When
from django.utils import timezone

from accounts.models import User
from crm import services as crm_services
from crm.models import Contact, ContactSource
from inbox import realtime
from inbox.models import (
    KIND_CHANNEL,
    Attachment,
    Channel,
    ContactIdentity,
    Direction,
    IntegrationConfig,
    IntegrationStatus,
    Message,
    MessageEvent,
    MessageStatus,
    Thread,
    ThreadStatus,
)
from inbox.providers import provider_for
from inbox.providers.base import InboundMessage, OutgoingMessage, ProviderError, StatusUpdate

logger = logging.getLogger(__name__)

# WhatsApp lets a business write freely only within 24 hours of the customer's last message.
WHATSAPP_WINDOW = timedelta(hours=24)
# Replies that end or restart marketing and conversation on a phone channel (carriers' own list).
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
CONSENT_CHANNELS = {Channel.SMS: "sms", Channel.WHATSAPP: "whatsapp", Channel.EMAIL: "email"}
# A status only moves forward: callbacks can arrive out of order.
STATUS_ORDER = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 3,
    MessageStatus.FAILED: 4,
}
PREVIEW_LENGTH = 200


# Contacts and threads -----------------------------------------------------------------------


def _normalized_address(channel: str, address: str) -> str:
    address = address.strip()
    return address.lower() if channel == Channel.EMAIL else address


def _contact_by_address(organization, channel: str, address: str) -> Contact | None:
    live = Contact.objects.filter(organization=organization, deleted_at__isnull=True)
    if channel in (Channel.SMS, Channel.WHATSAPP):
        contact = live.filter(phone=address).order_by("id").first()
        if contact is None and (digits := re.sub(r"\D", "", address)):
            # Any of the contact's numbers, not only the primary one (search's digits column).
            candidates = live.filter(phone_digits__contains=digits).order_by("id")[:20]
            contact = next((c for c in candidates if any(p["value"] == address for p in c.phones)), None)
        return contact
    if channel == Channel.EMAIL:
        contact = live.filter(email=address).order_by("id").first()
        if contact is None:
            candidates = live.filter(search_text__contains=address).order_by("id")[:20]
            contact = next((c for c in candidates if any(e["value"] == address for e in c.emails)), None)
        return contact
    return None


def _new_contact_data(channel: str, address: str, sender_name: str) -> dict:
    first, _, last = sender_name.strip().partition(" ")
    data: dict = {"first_name": first[:100], "last_name": last[:100]}
    if channel in (Channel.SMS, Channel.WHATSAPP):
        data["phones"] = [{"value": address, "label": ""}]
    elif channel == Channel.EMAIL:
        data["emails"] = [{"value": address, "label": ""}]
    elif not sender_name.strip():
        data["first_name"] = f"{Channel(channel).label} user {address[-6:]}"
    return data


def contact_for_address(*, organization, channel: str, address: str, sender_name: str = "") -> Contact:
    """The contact who wrote from ``address`` on ``channel``: known by that address
    before, else by the phone or email on their card, else a new contact."""
    address = _normalized_address(channel, address)
    identity = (
        ContactIdentity.objects.filter(
            organization=organization, channel=channel, address=address, contact__deleted_at__isnull=True
        )
        .select_related("contact")
        .first()
    )
    if identity is not None:
        return identity.contact
    contact = _contact_by_address(organization, channel, address)
    if contact is None:
        try:
            contact = crm_services.contact_create(
                organization=organization,
                actor=None,
                data=_new_contact_data(channel, address, sender_name),
                source=ContactSource.INBOX,
            )
        except ValidationError:
            # An address the contact rules refuse (a malformed number): keep the message all the same.
            contact = crm_services.contact_create(
                organization=organization,
                actor=None,
                data={"first_name": sender_name[:100] or f"{Channel(channel).label} {address[:60]}"},
                source=ContactSource.INBOX,
            )
    try:
        with transaction.atomic():
            ContactIdentity.objects.create(organization=organization, contact=contact, channel=channel, address=address)
    except IntegrityError:
        # Another message from the same address won the race: its contact is the one.
        return (
            ContactIdentity.objects.select_related("contact")
            .get(organization=organization, channel=channel, address=address)
            .contact
        )
    return contact


def thread_for_contact(*, contact: Contact) -> Thread:
    thread, _ = Thread.objects.get_or_create(organization=contact.organization, contact=contact)
    return thread


def _thread_by_email_references(organization, inbound: InboundMessage) -> Thread | None:
    """The thread of the message an email answers (In-Reply-To, then References, newest first)."""
    ids = [inbound.in_reply_to, *reversed(inbound.references.split())]
    ids = [value.strip() for value in ids if value and value.strip()]
    if not ids:
        return None
    earlier = (
        Message.objects.filter(organization=organization, email_message_id__in=ids[:20])
        .select_related("thread")
        .order_by("-created_at")
        .first()
    )
    return earlier.thread if earlier is not None else None


# Inbound ------------------------------------------------------------------------------------


def _apply_keywords(contact: Contact, channel: str, body: str) -> None:
    """STOP and its kin withdraw consent on that channel; START gives it back."""
    consent_channel = CONSENT_CHANNELS.get(channel)
    word = body.strip().upper().rstrip(".!")
    if consent_channel is None or channel == Channel.EMAIL:
        return
    if word in OPT_OUT_KEYWORDS:
        granted = False
    elif word in OPT_IN_KEYWORDS and contact.consent.get(consent_channel, {}).get("granted") is False:
        granted = True
    else:
        return
    how = f"Replied {word} by {Channel(channel).label}"
    crm_services.contact_update(
        contact=contact, actor=None, data={"consent": {consent_channel: {"granted": granted, "how": how}}}
    )


@transaction.atomic
def inbound_record(*, config: IntegrationConfig, inbound: InboundMessage) -> Message | None:
    """Store one inbound message in its contact's thread; None when it was stored before
    (a provider retrying its webhook). Call inside the config's organization scope."""
    channel = config.channel
    if Message.objects.filter(integration=config, provider_message_id=inbound.provider_message_id).exists():
        return None
    organization = config.organization
    thread = None
    if channel == Channel.EMAIL:
        thread = _thread_by_email_references(organization, inbound)
    if thread is None:
        contact = contact_for_address(
            organization=organization, channel=channel, address=inbound.from_address, sender_name=inbound.sender_name
        )
        thread = thread_for_contact(contact=contact)
    now = timezone.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                organization=organization,
                thread=thread,
                integration=config,
                channel=channel,
                direction=Direction.INBOUND,
                status=MessageStatus.RECEIVED,
                provider_message_id=inbound.provider_message_id[:255],
                from_address=_normalized_address(channel, inbound.from_address)[:254],
                to_address=inbound.to_address[:254],
                subject=inbound.subject[:300],
                body=inbound.body,
                email_message_id=inbound.email_message_id[:300],
                in_reply_to=inbound.in_reply_to[:300],
                references=inbound.references,
            )
    except IntegrityError:
        return None  # the same message, stored by a concurrent delivery of the webhook
    _attachments_record(message, inbound)
    Thread.objects.filter(pk=thread.pk).update(
        status=ThreadStatus.OPEN,
        snoozed_until=None,
        unread_count=F("unread_count") + 1,
        last_message_at=now,
        last_message_preview=_preview(inbound.subject, inbound.body),
        last_inbound_at=now,
        last_inbound_integration=config,
        updated_at=now,
    )
    crm_services.contact_touch(contact=thread.contact, at=now)
    _apply_keywords(thread.contact, channel, inbound.body)
    realtime.publish_on_commit(organization.pk, realtime.message_event("message.created", message))
    return message


def _preview(subject: str, body: str) -> str:
    text = " ".join((body or subject).split())
    return text[:PREVIEW_LENGTH]


def _attachments_record(message: Message, inbound: InboundMessage) -> None:
    """Keep what the request carried at once; files the provider keeps are fetched by a task."""
    from inbox import tasks  # the tasks module imports this one

    limit = settings.INBOX_ATTACHMENT_MAX_BYTES
    for item in inbound.attachments:
        attachment = Attachment(
            organization=message.organization,
            message=message,
            filename=item.filename[:255],
            content_type=item.content_type[:100],
            size=item.size if item.size is not None else (len(item.content) if item.content is not None else None),
            source_url=item.url[:2000],
        )
        if item.content is not None:
            if len(item.content) > limit:
                attachment.error = f"Larger than {limit} bytes: not stored."
            else:
                attachment.file.save(item.filename or "attachment", _content_file(item.content), save=False)
        attachment.save()
        if item.content is None and item.url:
            tasks.attachment_fetch.delay_on_commit(organization_id=message.organization_id, attachment_id=attachment.pk)


def _content_file(content: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(content)


# Outbound -----------------------------------------------------------------------------------


def _refuse(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def _outbound_integration(thread: Thread, channel: str | None) -> IntegrationConfig:
    organization = thread.organization
    last = thread.last_inbound_integration
    if channel is None:
        if last is not None and last.is_active:
            return last
        raise _refuse("channel", "The contact has not written yet: choose a channel to send on.", "channel_required")
    if last is not None and last.is_active and last.channel == channel:
        return last
    kinds = [kind for kind, kind_channel in KIND_CHANNEL.items() if kind_channel == channel]
    working_first = Case(When(status=IntegrationStatus.CONNECTED, then=0), default=1)
    config = (
        IntegrationConfig.objects.filter(organization=organization, kind__in=kinds, is_active=True)
        .order_by(working_first, "id")
        .first()
    )
    if config is None:
        raise _refuse(
            "channel", f"This business has no {Channel(channel).label} integration to send with.", "no_integration"
        )
    return config


def _recipient(thread: Thread, channel: str) -> str:
    identity = (
        ContactIdentity.objects.filter(organization=thread.organization, contact=thread.contact, channel=channel)
        .order_by("-id")
        .first()
    )
    if identity is not None:
        return identity.address
    contact = thread.contact
    address = (
        contact.phone
        if channel in (Channel.SMS, Channel.WHATSAPP)
        else contact.email
        if channel == Channel.EMAIL
        else ""
    )
    if not address:
        raise _refuse("channel", f"{contact.display_name} has no address on {Channel(channel).label}.", "no_address")
    return address


def _check_may_send(thread: Thread, channel: str, now) -> None:
    consent_channel = CONSENT_CHANNELS.get(channel)
    if consent_channel and thread.contact.consent.get(consent_channel, {}).get("granted") is False:
        raise _refuse(
            "channel",
            f"{thread.contact.display_name} opted out of {Channel(channel).label} messages.",
            "opted_out",
        )
    if channel == Channel.WHATSAPP:
        last_inbound = (
            Message.objects.filter(
                organization=thread.organization, thread=thread, channel=Channel.WHATSAPP, direction=Direction.INBOUND
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if last_inbound is None or now - last_inbound > WHATSAPP_WINDOW:
            raise _refuse(
                "channel",
                "WhatsApp's 24-hour customer care window is closed: the contact last wrote on WhatsApp more than "
                "24 hours ago (or never), so only an approved template may be sent.",
                "whatsapp_window_closed",
            )


def _email_threading(thread: Thread, subject: str) -> dict[str, str]:
    """Answer the contact's last email: same subject with Re:, In-Reply-To and References."""
    last = (
        Message.objects.filter(organization=thread.organization, thread=thread, channel=Channel.EMAIL)
        .exclude(email_message_id="")
        .order_by("-created_at")
        .first()
    )
    domain = settings.INBOX_EMAIL_DOMAIN
    fields = {"email_message_id": make_msgid(domain=domain), "in_reply_to": "", "references": "", "subject": subject}
    if last is not None:
        fields["in_reply_to"] = last.email_message_id
        fields["references"] = " ".join(filter(None, [last.references, last.email_message_id]))[-4000:]
        if not subject:
            fields["subject"] = last.subject if last.subject.lower().startswith("re:") else f"Re: {last.subject}"
    return fields


@transaction.atomic
def message_send(
    *, thread: Thread, actor: User | None, body: str, channel: str | None = None, subject: str = ""
) -> Message:
    """Queue a message to the thread's contact, on ``channel`` or where they last wrote from."""
    from inbox import tasks  # the tasks module imports this one

    body = body.strip()
    if not body:
        raise _refuse("body", "A message cannot be empty.", "blank")
    config = _outbound_integration(thread, channel)
    channel = config.channel
    now = timezone.now()
    _check_may_send(thread, channel, now)
    email_fields = _email_threading(thread, subject.strip()) if channel == Channel.EMAIL else {}
    message = Message.objects.create(
        organization=thread.organization,
        thread=thread,
        integration=config,
        channel=channel,
        direction=Direction.OUTBOUND,
        status=MessageStatus.QUEUED,
        from_address=config.address,
        to_address=_recipient(thread, channel),
        body=body,
        author=actor,
        **{"subject": subject.strip()[:300], **email_fields},
    )
    MessageEvent.objects.create(organization=thread.organization, message=message, status=MessageStatus.QUEUED)
    Thread.objects.filter(pk=thread.pk).update(
        last_message_at=now, last_message_preview=_preview(message.subject, body), updated_at=now
    )
    tasks.message_deliver.delay_on_commit(organization_id=thread.organization_id, message_id=message.pk)
    realtime.publish_on_commit(thread.organization_id, realtime.message_event("message.created", message))
    return message


def _status_callback_url(config: IntegrationConfig) -> str:
    return f"{settings.SITE_URL}/webhooks/inbox/{config.kind}/status/"


@transaction.atomic
def message_deliver(*, message_id: int, final_attempt: bool) -> str:
    """Hand a queued message to its provider and return its status. A message no longer
    queued is left alone, so running twice sends once. A transient failure is recorded and
    leaves it queued for the task to retry, unless this was the last attempt, which fails
    the message visibly."""
    message = Message.objects.select_for_update().select_related("integration").get(pk=message_id)
    if message.status != MessageStatus.QUEUED:
        return message.status
    config = message.integration
    message.attempts += 1
    outgoing = OutgoingMessage(
        to_address=message.to_address,
        body=message.body,
        subject=message.subject,
        email_message_id=message.email_message_id,
        in_reply_to=message.in_reply_to,
        references=message.references,
        status_callback_url=_status_callback_url(config),
    )
    try:
        if config is None or not config.is_active:
            raise ProviderError(
                "The integration was removed or switched off.", code="integration_inactive", permanent=True
            )
        result = provider_for(config.kind).send(config, outgoing)
    except ProviderError as error:
        return _delivery_failed(message, error, final_attempt=final_attempt)
    message.provider_message_id = result.provider_message_id[:255]
    _move(message, result.status or MessageStatus.SENT)
    message.save()
    return message.status


def _delivery_failed(message: Message, error: ProviderError, *, final_attempt: bool) -> str:
    detail = f"Attempt {message.attempts}: {error}"
    if error.permanent or final_attempt:
        message.error_code, message.error_message = error.code or "send_failed", str(error)
        _move(message, MessageStatus.FAILED, detail=detail)
        message.save()
        return message.status
    message.error_code, message.error_message = error.code or "send_failed", str(error)
    message.save(update_fields=["attempts", "error_code", "error_message", "updated_at"])
    MessageEvent.objects.create(
        organization=message.organization, message=message, status=MessageStatus.QUEUED, detail=detail + " (will retry)"
    )
    realtime.publish_on_commit(message.organization_id, realtime.message_event("message.updated", message))
    return message.status  # still queued: the task tries again later


def _move(message: Message, status: str, *, detail: str = "") -> bool:
    """Move ``message`` to ``status`` unless it is already there or further; record the step."""
    if STATUS_ORDER.get(status, 0) <= STATUS_ORDER.get(message.status, 0):
        return False
    message.status = status
    if status != MessageStatus.FAILED:
        message.error_code = message.error_message = ""
    MessageEvent.objects.create(organization=message.organization, message=message, status=status, detail=detail)
    realtime.publish_on_commit(message.organization_id, realtime.message_event("message.updated", message))
    return True


@transaction.atomic
def message_status_apply(*, config: IntegrationConfig, update: StatusUpdate) -> Message | None:
    """A provider's status callback: move the message forward (never back); a repeat changes nothing."""
    message = (
        Message.objects.select_for_update()
        .filter(integration=config, provider_message_id=update.provider_message_id, direction=Direction.OUTBOUND)
        .first()
    )
    if message is None:
        return None
    detail = " ".join(filter(None, [update.error_code, update.error_message]))
    if _move(message, update.status, detail=detail):
        if update.status == MessageStatus.FAILED:
            message.error_code = update.error_code[:60] or "failed"
            message.error_message = update.error_message
        message.save()
    return message


# Integrations -------------------------------------------------------------------------------


def integration_check(*, config: IntegrationConfig) -> IntegrationConfig:
    """Ask the provider whether the credentials work; record the answer either way."""
    try:
        provider_for(config.kind).check_credentials(config)
    except ProviderError as error:
        config.status, config.last_error = IntegrationStatus.ERROR, str(error)[:2000]
    else:
        config.status, config.last_error = IntegrationStatus.CONNECTED, ""
    config.last_checked_at = timezone.now()
    config.save(update_fields=["status", "last_error", "last_checked_at", "updated_at"])
    return config


def integrations_recheck() -> int:
    """Check every connected integration again (system scope); returns how many stopped working."""
    from accounts.tenancy import organization_scope

    failed = 0
    configs = IntegrationConfig.objects.filter(status=IntegrationStatus.CONNECTED, is_active=True).order_by("id")
    for config_id, organization_id in configs.values_list("id", "organization_id"):
        with organization_scope(organization_id):
            config = IntegrationConfig.objects.select_related("organization").get(pk=config_id)
            failed += integration_check(config=config).status == IntegrationStatus.ERROR
    return failed


def attachment_fetch(*, attachment_id: int) -> bool:
    """Download an attachment the provider keeps, within the size limit; the reason is kept
    when it cannot be stored. Safe to run twice."""
    attachment = Attachment.objects.select_related("message__integration").get(pk=attachment_id)
    if attachment.file or not attachment.source_url:
        return bool(attachment.file)
    config = attachment.message.integration
    limit = settings.INBOX_ATTACHMENT_MAX_BYTES
    try:
        if config is None:
            raise ProviderError("The integration was removed.", permanent=True)
        content = provider_for(config.kind).fetch_attachment(config, attachment.source_url, limit=limit)
    except ProviderError as error:
        attachment.error = str(error)[:300]
        attachment.save(update_fields=["error"])
        return False
    attachment.size = len(content)
    attachment.error = ""
    attachment.file.save(attachment.filename or "attachment", _content_file(content), save=False)
    attachment.save(update_fields=["file", "size", "error"])
    return True


@transaction.atomic
def contact_inbox_merge(target: Contact, merged: Contact) -> None:
    """A merge moves the merged contact's messages and addresses into the target's one thread."""
    organization = target.organization
    ContactIdentity.objects.filter(organization=organization, contact=merged).update(contact=target)
    old = Thread.objects.filter(organization=organization, contact=merged).first()
    if old is None:
        return
    thread = thread_for_contact(contact=target)
    Message.objects.filter(organization=organization, thread=old).update(thread=thread)
    newest = max(filter(None, [thread.last_message_at, old.last_message_at]), default=None)
    thread.unread_count += old.unread_count
    if old.last_message_at and old.last_message_at == newest:
        thread.last_message_at, thread.last_message_preview = old.last_message_at, old.last_message_preview
    if old.last_inbound_at and (thread.last_inbound_at is None or old.last_inbound_at > thread.last_inbound_at):
        thread.last_inbound_at, thread.last_inbound_integration = old.last_inbound_at, old.last_inbound_integration
    old.delete()
    thread.save()
