"""The inbox as the API shows it: integrations (never their credentials), threads, messages, labels.

List rows are written as plain dicts by ``*_payload`` functions, as the contacts list does:
DRF's field-by-field walk costs more than the page's queries. The serializers' declared
fields describe the same shapes for the schema, and validate what clients send.
"""

from typing import Any

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from accounts.api.fields import OrganizationRelatedField
from accounts.models import Membership
from config.api.fields import MomentField
from crm.models import contact_display_name
from inbox.models import (
    KIND_CHANNEL,
    Attachment,
    Channel,
    Direction,
    IntegrationConfig,
    Label,
    Message,
    MessageEvent,
    MessageStatus,
    Thread,
    ThreadStatus,
)

HEX_COLOR = r"^#[0-9a-fA-F]{6}$"
SHOWN_STATUSES = [("open", "Open"), ("snoozed", "Snoozed"), ("closed", "Closed")]


# Integrations -------------------------------------------------------------------------------


class IntegrationSerializer(serializers.ModelSerializer):
    """An integration. ``credentials`` is written, never read back: ``has_credentials`` says
    whether any are stored. A changed address or new credentials set the status back to pending."""

    credentials = serializers.DictField(
        child=serializers.JSONField(),
        write_only=True,
        required=False,
        help_text="Per kind: Twilio {account_sid, auth_token} (optional: the platform's account); "
        "mailbox {imap_host, imap_port, imap_ssl, smtp_host, smtp_port, smtp_starttls, username, password}; "
        "Facebook and Instagram {page_access_token}; the platform's email needs none.",
    )
    address = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text="E.164 number (Twilio), email address (email, mailbox; the platform's email defaults to "
        "<organization slug>@ the inbound domain), or the Page / Instagram account id (digits).",
    )
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    has_credentials = serializers.SerializerMethodField()

    class Meta:
        model = IntegrationConfig
        fields = [
            "id",
            "kind",
            "channel",
            "name",
            "address",
            "credentials",
            "has_credentials",
            "status",
            "last_error",
            "last_checked_at",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "channel", "status", "last_error", "last_checked_at", "created_at"]
        # One address per kind across every business: the service checks it, naming the field.
        validators: list = []

    def get_has_credentials(self, config: IntegrationConfig) -> bool:
        return bool(config.credentials_encrypted)


# Labels -------------------------------------------------------------------------------------


class LabelSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=60)
    color = serializers.RegexField(HEX_COLOR, required=False, help_text="#rrggbb")

    class Meta:
        model = Label
        fields = ["id", "name", "color", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list = []  # a duplicate name is refused by the service, naming the field


class ThreadLabelRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    color = serializers.CharField()


# Threads ------------------------------------------------------------------------------------


class ThreadContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)


class ThreadMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The membership id.")
    name = serializers.CharField(allow_blank=True)
    email = serializers.EmailField()


class ThreadSerializer(serializers.Serializer):
    """One conversation with one contact across every channel."""

    id = serializers.IntegerField()
    contact = ThreadContactSerializer()
    status = serializers.ChoiceField(
        choices=SHOWN_STATUSES, help_text="snoozed: open, with snoozed_until still in the future."
    )
    snoozed_until = serializers.DateTimeField(allow_null=True)
    assigned_to = ThreadMemberSerializer(allow_null=True)
    labels = ThreadLabelRefSerializer(many=True)
    unread_count = serializers.IntegerField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    last_message_preview = serializers.CharField(allow_blank=True)
    last_channel = serializers.ChoiceField(
        choices=Channel.choices, allow_null=True, help_text="Where the contact last wrote from: replies go there."
    )
    created_at = serializers.DateTimeField()

    def to_representation(self, thread: Thread) -> dict:
        return thread_payload(thread)


def _iso(value, tz=None) -> str | None:
    """A moment as DRF's DateTimeField writes it (the current time zone, "Z" for UTC), without
    the field's per-call work: the thread list writes three per row, so it passes the zone."""
    if value is None:
        return None
    text = value.astimezone(tz or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def shown_status(thread: Thread) -> str:
    return _shown(thread.status, thread.snoozed_until)


def _shown(status: str, snoozed_until, now=None) -> str:
    if status == ThreadStatus.CLOSED:
        return "closed"
    if snoozed_until is not None and snoozed_until > (now or timezone.now()):
        return "snoozed"
    return "open"


def _member(membership: Membership | None) -> dict | None:
    if membership is None:
        return None
    user = membership.user
    return {"id": membership.pk, "name": f"{user.first_name} {user.last_name}".strip(), "email": user.email}


def thread_payload(thread: Thread) -> dict[str, Any]:
    """A thread read by ``selectors.threads_shown`` (contact, member and labels loaded)."""
    contact = thread.contact
    integration = thread.last_inbound_integration
    return {
        "id": thread.pk,
        "contact": {
            "id": contact.pk,
            "display_name": contact.display_name,
            "phone": contact.phone,
            "email": contact.email,
        },
        "status": shown_status(thread),
        "snoozed_until": _iso(thread.snoozed_until),
        "assigned_to": _member(thread.assigned_to),
        "labels": [{"id": label.pk, "name": label.name, "color": label.color} for label in thread.labels.all()],
        "unread_count": thread.unread_count,
        "last_message_at": _iso(thread.last_message_at),
        "last_message_preview": thread.last_message_preview,
        "last_channel": KIND_CHANNEL[integration.kind].value if integration is not None else None,
        "created_at": _iso(thread.created_at),
    }


def thread_rows_payload(rows: list[dict[str, Any]], labels: dict[int, list[dict]]) -> list[dict[str, Any]]:
    """The same shape as ``thread_payload``, from rows of ``selectors.THREAD_ROW_FIELDS`` and
    each thread's labels; the time zone and the time are read once for the page."""
    tz, now = timezone.get_current_timezone(), timezone.now()
    payloads = []
    for row in rows:
        first_name, last_name = row["contact__first_name"], row["contact__last_name"]
        member = None
        if row["assigned_to_id"] is not None:
            name = f"{row['assigned_to__user__first_name']} {row['assigned_to__user__last_name']}".strip()
            member = {"id": row["assigned_to_id"], "name": name, "email": row["assigned_to__user__email"]}
        kind = row["last_inbound_integration__kind"]
        payloads.append(
            {
                "id": row["id"],
                "contact": {
                    "id": row["contact_id"],
                    "display_name": contact_display_name(
                        first_name,
                        last_name,
                        row["contact__company"],
                        row["contact__email"],
                        row["contact__phone"],
                        row["contact_id"],
                    ),
                    "phone": row["contact__phone"],
                    "email": row["contact__email"],
                },
                "status": _shown(row["status"], row["snoozed_until"], now),
                "snoozed_until": _iso(row["snoozed_until"], tz),
                "assigned_to": member,
                "labels": labels.get(row["id"], []),
                "unread_count": row["unread_count"],
                "last_message_at": _iso(row["last_message_at"], tz),
                "last_message_preview": row["last_message_preview"],
                "last_channel": KIND_CHANNEL[kind].value if kind is not None else None,
                "created_at": _iso(row["created_at"], tz),
            }
        )
    return payloads


class ThreadAssignSerializer(serializers.Serializer):
    member = OrganizationRelatedField(
        queryset=Membership.objects.all(), allow_null=True, help_text="A membership id of this business; null: nobody."
    )


class ThreadSnoozeSerializer(serializers.Serializer):
    until = MomentField(help_text="When the thread comes back; in the future.")


class ThreadLabelsSerializer(serializers.Serializer):
    labels = OrganizationRelatedField(
        queryset=Label.objects.all(), many=True, help_text="The label ids the thread carries afterwards."
    )


class ThreadChannelCountsSerializer(serializers.Serializer):
    sms = serializers.IntegerField()
    whatsapp = serializers.IntegerField()
    email = serializers.IntegerField()
    messenger = serializers.IntegerField()
    instagram = serializers.IntegerField()


class LabelUnreadCountSerializer(ThreadLabelRefSerializer):
    unread = serializers.IntegerField()


class ThreadCountsSerializer(serializers.Serializer):
    """Threads with unread messages, for the sidebar."""

    all = serializers.IntegerField()
    mine = serializers.IntegerField(help_text="Assigned to the member asking.")
    unassigned = serializers.IntegerField()
    channels = ThreadChannelCountsSerializer(help_text="Threads with a message on that channel.")
    labels = LabelUnreadCountSerializer(many=True, help_text="Every label, with its unread threads.")


# Messages -----------------------------------------------------------------------------------


class MessageEventSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MessageStatus.choices)
    detail = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()


class MessageAttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField(allow_blank=True)
    content_type = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField(allow_null=True)
    download_url = serializers.URLField(
        allow_null=True, help_text="Our stored copy (signed-in download); null when none is kept."
    )
    error = serializers.CharField(allow_blank=True, help_text="Why no copy is kept, if none is.")


class MessageAuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    email = serializers.EmailField()


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thread = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    direction = serializers.ChoiceField(choices=Direction.choices)
    status = serializers.ChoiceField(choices=MessageStatus.choices)
    from_address = serializers.CharField(allow_blank=True)
    to_address = serializers.CharField(allow_blank=True)
    subject = serializers.CharField(allow_blank=True)
    body = serializers.CharField(allow_blank=True)
    author = MessageAuthorSerializer(allow_null=True, help_text="The member who sent it; null for the contact's.")
    error_code = serializers.CharField(allow_blank=True)
    error_message = serializers.CharField(allow_blank=True)
    attachments = MessageAttachmentSerializer(many=True)
    events = MessageEventSerializer(many=True, help_text="Every step of its life, oldest first.")
    created_at = serializers.DateTimeField()

    def to_representation(self, message: Message) -> dict:
        return message_payload(message, self.context["request"])


def _attachment(attachment: Attachment, request) -> dict[str, Any]:
    url = None
    if attachment.file:
        url = request.build_absolute_uri(reverse("inbox-attachment-download", args=[attachment.pk]))
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "download_url": url,
        "error": attachment.error,
    }


def _event(event: MessageEvent) -> dict[str, Any]:
    return {"status": event.status, "detail": event.detail, "at": _iso(event.at)}


def message_payload(message: Message, request) -> dict[str, Any]:
    """A message read by ``selectors.thread_messages`` (author, events and attachments loaded)."""
    author = message.author
    return {
        "id": message.pk,
        "thread": message.thread_id,
        "channel": message.channel,
        "direction": message.direction,
        "status": message.status,
        "from_address": message.from_address,
        "to_address": message.to_address,
        "subject": message.subject,
        "body": message.body,
        "author": {"id": author.pk, "name": f"{author.first_name} {author.last_name}".strip(), "email": author.email}
        if author is not None
        else None,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "attachments": [_attachment(attachment, request) for attachment in message.attachments.all()],
        "events": [_event(event) for event in message.events.all()],
        "created_at": _iso(message.created_at),
    }


class MessageWriteSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=20000)
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        allow_null=True,
        help_text="Where to send; by default where the contact last wrote from.",
    )
    subject = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="Email only; by default Re: the last subject."
    )
