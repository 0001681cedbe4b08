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
from accounts.services import activity_record
from crm import selectors as crm_selectors
from crm import services as crm_services
from crm.models import Contact, ContactSource
from inbox import realtime
from inbox.models import (
    CHANNEL_BITS,
    KIND_CHANNEL,
    Attachment,
    Channel,
    ContactIdentity,
    Direction,
    IntegrationConfig,
    IntegrationKind,
    IntegrationStatus,
    Label,
    Message,
    MessageEvent,
    MessageStatus,
    Thread,
    ThreadLabel,
    ThreadStatus,
)
from inbox.providers import provider_for
from inbox.providers.base import InboundMessage, OutgoingMessage, ProviderError, StatusUpdate

logger = logging.getLogger(__name__)

# WhatsApp lets a business write freely only within 24 hours of the customer's last message.
WHATSAPP_WINDOW = timedelta(hours=24)
# So do Messenger and Instagram (their "standard messaging window"); later needs a message tag.
META_WINDOW = timedelta(hours=24)
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
            candidates = crm_selectors.contacts_with_email(organization=organization, email=address).order_by("id")[:20]
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
        channels=F("channels").bitor(CHANNEL_BITS[channel]),
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
        last_inbound = _last_inbound_at(thread, channel)
        if last_inbound is None or now - last_inbound > WHATSAPP_WINDOW:
            raise _refuse(
                "channel",
                "WhatsApp's 24-hour customer care window is closed: the contact last wrote on WhatsApp more than "
                "24 hours ago (or never), so only an approved template may be sent.",
                "whatsapp_window_closed",
            )
    if channel in (Channel.MESSENGER, Channel.INSTAGRAM):
        last_inbound = _last_inbound_at(thread, channel)
        if last_inbound is None or now - last_inbound > META_WINDOW:
            label = Channel(channel).label
            raise _refuse(
                "channel",
                f"{label}'s 24-hour standard messaging window is closed: the contact last wrote on {label} more "
                "than 24 hours ago (or never), and Meta accepts a business's messages only within it.",
                "messaging_window_closed",
            )


def _last_inbound_at(thread: Thread, channel: str):
    return (
        Message.objects.filter(
            organization=thread.organization, thread=thread, channel=channel, direction=Direction.INBOUND
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
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
        last_message_at=now,
        last_message_preview=_preview(message.subject, body),
        channels=F("channels").bitor(CHANNEL_BITS[channel]),
        updated_at=now,
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
    # Lock the message row only: PostgreSQL cannot lock the nullable side of the integration's outer join.
    message = Message.objects.select_for_update(of=("self",)).select_related("integration").get(pk=message_id)
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
        return integration_status_record(config=config, error=error)
    except LookupError:  # this server runs without the kind's provider: say so rather than fail
        unavailable = ProviderError(f"{config.get_kind_display()} is not available on this server.")
        return integration_status_record(config=config, error=unavailable)
    return integration_status_record(config=config, error=None)


def integration_status_record(*, config: IntegrationConfig, error: ProviderError | None) -> IntegrationConfig:
    """Record whether the integration works: after a check, or when using it showed that its
    credentials stopped working (a mailbox's login refused while polling)."""
    if error is not None:
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
    thread.channels |= old.channels
    if old.last_message_at and old.last_message_at == newest:
        thread.last_message_at, thread.last_message_preview = old.last_message_at, old.last_message_preview
    if old.last_inbound_at and (thread.last_inbound_at is None or old.last_inbound_at > thread.last_inbound_at):
        thread.last_inbound_at, thread.last_inbound_integration = old.last_inbound_at, old.last_inbound_integration
    old.delete()
    thread.save()


# Integrations written through the API and the admin -----------------------------------------

TWILIO_KINDS = (IntegrationKind.TWILIO_SMS, IntegrationKind.TWILIO_WHATSAPP)
EMAIL_KINDS = (IntegrationKind.EMAIL, IntegrationKind.MAILBOX)
META_KINDS = (IntegrationKind.FACEBOOK, IntegrationKind.INSTAGRAM)
# The keys each kind's provider reads: (required, optional). Twilio falls back to the platform's
# account when a business brings none, and the platform's inbound email needs nothing of its own.
CREDENTIAL_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    IntegrationKind.TWILIO_SMS: (frozenset(), frozenset({"account_sid", "auth_token"})),
    IntegrationKind.TWILIO_WHATSAPP: (frozenset(), frozenset({"account_sid", "auth_token"})),
    IntegrationKind.EMAIL: (frozenset(), frozenset()),
    IntegrationKind.MAILBOX: (
        frozenset({"imap_host", "smtp_host", "username", "password"}),
        frozenset({"imap_port", "imap_ssl", "smtp_port", "smtp_starttls"}),
    ),
    IntegrationKind.FACEBOOK: (frozenset({"page_access_token"}), frozenset()),
    IntegrationKind.INSTAGRAM: (frozenset({"page_access_token"}), frozenset()),
}
# Keys that only make sense together: half a Twilio account is a typing mistake.
CREDENTIAL_PAIRS: dict[str, frozenset[str]] = {
    IntegrationKind.TWILIO_SMS: frozenset({"account_sid", "auth_token"}),
    IntegrationKind.TWILIO_WHATSAPP: frozenset({"account_sid", "auth_token"}),
}


def integration_address_clean(*, organization, kind: str, address: str) -> str:
    """The address as routing compares it: E.164 for Twilio numbers, lower-case email, digits for Meta ids.
    An empty address of the platform's inbound email becomes ``<slug>@INBOX_EMAIL_DOMAIN``."""
    import phonenumbers
    from django.core.validators import validate_email

    address = (address or "").strip()
    if kind == IntegrationKind.EMAIL and not address:
        address = f"{organization.slug}@{settings.INBOX_EMAIL_DOMAIN}"
    if not address:
        raise _refuse("address", "Give the address this integration receives on.", "required")
    if kind in TWILIO_KINDS:
        try:
            number = phonenumbers.parse(address.removeprefix("whatsapp:"), None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise _refuse(
                "address", f"“{address[:60]}” is not a phone number in E.164 form, e.g. +13125550147.", "invalid_phone"
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind in EMAIL_KINDS:
        try:
            validate_email(address)
        except ValidationError:
            raise _refuse("address", f"“{address[:60]}” is not an email address.", "invalid_email") from None
        return address.lower()
    if not (address.isascii() and address.isdigit() and len(address) <= 30):
        raise _refuse("address", "A Page or Instagram account id is made of digits only.", "invalid_id")
    return address


def integration_credentials_clean(*, kind: str, values: dict) -> dict:
    """The credentials a provider of ``kind`` reads: known keys only, required ones present, plain values."""
    required, optional = CREDENTIAL_KEYS[kind]
    if not isinstance(values, dict):
        raise _refuse("credentials", "Credentials are an object of keys and values.", "invalid")
    unknown = sorted(set(values) - required - optional)
    if unknown:
        raise _refuse("credentials", f"Unknown keys for this kind: {', '.join(unknown)[:200]}.", "unknown_keys")
    cleaned = {}
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        if not isinstance(value, (str, int, bool)) or (isinstance(value, str) and len(value) > 2000):
            raise _refuse("credentials", f"“{key}” must be a short text, number or true/false.", "invalid")
        if value not in ("", None):
            cleaned[key] = value
    missing = sorted(required - set(cleaned))
    pair = CREDENTIAL_PAIRS.get(kind, frozenset())
    if not missing and pair & set(cleaned):
        missing = sorted(pair - set(cleaned))
    if missing:
        raise _refuse("credentials", f"Missing for this kind: {', '.join(missing)}.", "missing_keys")
    return cleaned


def _integration_save(config: IntegrationConfig) -> None:
    """Save, turning the database's one-address-per-kind rule into a 400 naming ``address``. The
    other business's row is invisible here (row-level security), so only the constraint can tell."""
    try:
        with transaction.atomic():
            config.save()
    except IntegrityError:
        raise _refuse(
            "address", "Another integration of this kind already uses this address.", "address_taken"
        ) from None


@transaction.atomic
def integration_create(
    *,
    organization,
    actor: User | None,
    kind: str,
    address: str = "",
    name: str = "",
    credentials: dict | None = None,
    is_active: bool = True,
) -> IntegrationConfig:
    config = IntegrationConfig(
        organization=organization,
        kind=kind,
        name=name.strip()[:100],
        address=integration_address_clean(organization=organization, kind=kind, address=address),
        is_active=is_active,
    )
    config.credentials = integration_credentials_clean(kind=kind, values=credentials or {})
    _integration_save(config)
    activity_record(
        organization=organization, actor=actor, verb="integration.created", target=config, summary=str(config)
    )
    return config


def inbound_email_ensure(*, organization, actor: User | None) -> IntegrationConfig:
    """The business's inbound email integration, made (at ``<slug>@INBOX_EMAIL_DOMAIN``) if it has none."""
    existing = IntegrationConfig.objects.filter(organization=organization, kind=IntegrationKind.EMAIL).first()
    if existing is not None:
        return existing
    return integration_create(organization=organization, actor=actor, kind=IntegrationKind.EMAIL, name="Inbound email")


@transaction.atomic
def integration_update(*, config: IntegrationConfig, actor: User | None, **changes) -> IntegrationConfig:
    """Change an integration; a new address or new credentials must be checked again (pending)."""
    if "kind" in changes and changes.pop("kind") != config.kind:
        raise _refuse("kind", "The kind of an integration cannot change: add a new one instead.", "immutable")
    recheck = False
    if "address" in changes:
        address = integration_address_clean(
            organization=config.organization, kind=config.kind, address=changes["address"]
        )
        recheck, config.address = address != config.address, address
    if "credentials" in changes:
        config.credentials = integration_credentials_clean(kind=config.kind, values=changes["credentials"])
        recheck = True
    if "name" in changes:
        config.name = changes["name"].strip()[:100]
    if "is_active" in changes:
        config.is_active = changes["is_active"]
    if recheck:
        config.status, config.last_error, config.last_checked_at = IntegrationStatus.PENDING, "", None
    _integration_save(config)
    activity_record(
        organization=config.organization,
        actor=actor,
        verb="integration.updated",
        target=config,
        summary=str(config),
        data={"changed": sorted(changes)},
    )
    return config


@transaction.atomic
def integration_delete(*, config: IntegrationConfig, actor: User | None) -> None:
    """Remove an integration; its messages stay in their threads, without it."""
    activity_record(
        organization=config.organization, actor=actor, verb="integration.deleted", target=config, summary=str(config)
    )
    config.delete()


# Threads: what the team does with a conversation ----------------------------------------------


def _thread_changed(thread: Thread, actor: User | None, verb: str, summary: str, data: dict | None = None) -> Thread:
    thread.save()
    activity_record(organization=thread.organization, actor=actor, verb=verb, target=thread, summary=summary, data=data)
    realtime.publish_on_commit(thread.organization_id, realtime.thread_event(thread))
    return thread


@transaction.atomic
def thread_mark_read(*, thread: Thread, actor: User | None) -> Thread:
    thread.unread_count = 0
    return _thread_changed(thread, actor, "thread.read", f"Read the conversation with {thread.contact}")


@transaction.atomic
def thread_mark_unread(*, thread: Thread, actor: User | None) -> Thread:
    thread.unread_count = max(thread.unread_count, 1)
    return _thread_changed(thread, actor, "thread.unread", f"Marked the conversation with {thread.contact} unread")


@transaction.atomic
def thread_assign(*, thread: Thread, actor: User | None, member) -> Thread:
    """Give the thread to a member of its organization, or to nobody (``member`` None)."""
    if member is not None and member.organization_id != thread.organization_id:
        raise _refuse("member", "Only a member of this business can be given a conversation.", "not_a_member")
    thread.assigned_to = member
    who = str(member.user) if member is not None else "nobody"
    return _thread_changed(
        thread,
        actor,
        "thread.assigned",
        f"Gave the conversation with {thread.contact} to {who}",
        {"member": member.pk if member is not None else None},
    )


@transaction.atomic
def thread_close(*, thread: Thread, actor: User | None) -> Thread:
    thread.status, thread.snoozed_until = ThreadStatus.CLOSED, None
    return _thread_changed(thread, actor, "thread.closed", f"Closed the conversation with {thread.contact}")


@transaction.atomic
def thread_reopen(*, thread: Thread, actor: User | None) -> Thread:
    thread.status, thread.snoozed_until = ThreadStatus.OPEN, None
    return _thread_changed(thread, actor, "thread.reopened", f"Reopened the conversation with {thread.contact}")


@transaction.atomic
def thread_snooze(*, thread: Thread, actor: User | None, until) -> Thread:
    """Hide an open thread until ``until``; the contact writing again ends the snooze sooner."""
    if until <= timezone.now():
        raise _refuse("until", "Snooze until a moment in the future.", "in_the_past")
    thread.status, thread.snoozed_until = ThreadStatus.OPEN, until
    return _thread_changed(
        thread,
        actor,
        "thread.snoozed",
        f"Snoozed the conversation with {thread.contact}",
        {"until": until.isoformat()},
    )


@transaction.atomic
def thread_labels_set(*, thread: Thread, actor: User | None, labels: list[Label]) -> Thread:
    """The thread carries exactly ``labels`` (of its own organization) afterwards."""
    if any(label.organization_id != thread.organization_id for label in labels):
        raise _refuse("labels", "A label of another business cannot be used.", "not_found")
    wanted = {label.pk for label in labels}
    ThreadLabel.objects.filter(organization=thread.organization, thread=thread).exclude(label_id__in=wanted).delete()
    present = set(
        ThreadLabel.objects.filter(organization=thread.organization, thread=thread).values_list("label_id", flat=True)
    )
    ThreadLabel.objects.bulk_create(
        [ThreadLabel(organization=thread.organization, thread=thread, label_id=pk) for pk in sorted(wanted - present)]
    )
    names = ", ".join(sorted(label.name for label in labels)) or "none"
    return _thread_changed(
        thread,
        actor,
        "thread.labeled",
        f"Labels of the conversation with {thread.contact}: {names}"[:300],
        {"labels": sorted(wanted)},
    )


# Labels -------------------------------------------------------------------------------------


def _label_name_clean(organization, name: str, *, exclude_pk: int | None = None) -> str:
    name = " ".join(name.split())[:60]
    if not name:
        raise _refuse("name", "A label needs a name.", "blank")
    taken = Label.objects.filter(organization=organization, name__iexact=name).exclude(pk=exclude_pk).exists()
    if taken:
        raise _refuse("name", f"There is already a label “{name}”.", "unique")
    return name


def _label_save(label: Label) -> Label:
    try:
        with transaction.atomic():
            label.save()
    except IntegrityError:  # the same name, created by a concurrent request
        raise _refuse("name", f"There is already a label “{label.name}”.", "unique") from None
    return label


@transaction.atomic
def label_create(*, organization, actor: User | None, name: str, color: str | None = None) -> Label:
    label = Label(organization=organization, name=_label_name_clean(organization, name))
    if color:
        label.color = color.lower()
    _label_save(label)
    activity_record(organization=organization, actor=actor, verb="label.created", target=label, summary=label.name)
    return label


@transaction.atomic
def label_update(*, label: Label, actor: User | None, name: str | None = None, color: str | None = None) -> Label:
    if name is not None:
        label.name = _label_name_clean(label.organization, name, exclude_pk=label.pk)
    if color:
        label.color = color.lower()
    _label_save(label)
    activity_record(
        organization=label.organization, actor=actor, verb="label.updated", target=label, summary=label.name
    )
    return label


@transaction.atomic
def label_delete(*, label: Label, actor: User | None) -> None:
    activity_record(
        organization=label.organization, actor=actor, verb="label.deleted", target=label, summary=label.name
    )
    label.delete()
