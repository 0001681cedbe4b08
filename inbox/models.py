"""One inbox for every channel: where messages come from, and the threads they land in.

An ``IntegrationConfig`` is one way messages reach the business (a Twilio number,
a WhatsApp sender, the inbound email address, its own mailbox, a Facebook Page,
an Instagram account). Every message, whatever its channel, lands in the one
``Thread`` of its contact; ``ContactIdentity`` remembers which phone, address or
Meta user id belongs to which contact, so the next message finds it at once.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Membership, TenantModel
from crm.models import Contact
from inbox import credentials


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", "Email"
    MESSENGER = "messenger", "Facebook Messenger"
    INSTAGRAM = "instagram", "Instagram"


class IntegrationKind(models.TextChoices):
    TWILIO_SMS = "twilio_sms", "SMS through Twilio"
    TWILIO_WHATSAPP = "twilio_whatsapp", "WhatsApp through Twilio"
    EMAIL = "email", "Email through the platform's inbound address"
    MAILBOX = "mailbox", "The business's own mailbox (IMAP and SMTP)"
    FACEBOOK = "facebook", "Facebook Page (Messenger)"
    INSTAGRAM = "instagram", "Instagram Business account"


# Which channel the messages of each kind of integration travel on.
KIND_CHANNEL = {
    IntegrationKind.TWILIO_SMS: Channel.SMS,
    IntegrationKind.TWILIO_WHATSAPP: Channel.WHATSAPP,
    IntegrationKind.EMAIL: Channel.EMAIL,
    IntegrationKind.MAILBOX: Channel.EMAIL,
    IntegrationKind.FACEBOOK: Channel.MESSENGER,
    IntegrationKind.INSTAGRAM: Channel.INSTAGRAM,
}


# One bit per channel in ``Thread.channels``: which channels the conversation has used.
CHANNEL_BITS = {
    Channel.SMS: 1,
    Channel.WHATSAPP: 2,
    Channel.EMAIL: 4,
    Channel.MESSENGER: 8,
    Channel.INSTAGRAM: 16,
}


class IntegrationStatus(models.TextChoices):
    PENDING = "pending", "Not checked yet"
    CONNECTED = "connected", "Connected"
    ERROR = "error", "Not working"


class IntegrationConfig(TenantModel):
    """How one channel reaches the business, with the credentials to use it.

    ``address`` is what inbound traffic names and the organization is found by:
    the E.164 number, the WhatsApp sender, the inbound or mailbox address, the Page
    or Instagram account id. It is unique per kind across all organizations, so a
    webhook can never be routed to the wrong business.
    """

    kind = models.CharField(max_length=20, choices=IntegrationKind.choices)
    name = models.CharField(max_length=100, blank=True, help_text="What the team calls it, e.g. “Main line”.")
    address = models.CharField(max_length=254)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=10, choices=IntegrationStatus.choices, default=IntegrationStatus.PENDING)
    last_error = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True, help_text="Inactive integrations neither receive nor send.")
    sync_state = models.JSONField(
        default=dict, blank=True, editable=False, help_text="Where polling stopped, e.g. a mailbox's last UID."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "address"], name="integration_address_unique")]
        indexes = [models.Index(fields=["organization", "kind"], name="integration_org_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.address}"

    @property
    def channel(self) -> str:
        return KIND_CHANNEL[self.kind]

    @property
    def credentials(self) -> dict:
        return credentials.decrypt(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = credentials.encrypt(value)


class ContactIdentity(TenantModel):
    """A phone number, email address or Meta user id known to belong to a contact on a channel."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    address = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "contact identities"
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel", "address"], name="identity_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.address}"


class Label(TenantModel):
    name = models.CharField(max_length=60)
    color = models.CharField(max_length=7, default="#64748b")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="label_name_unique")]

    def __str__(self) -> str:
        return self.name


class ThreadStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Thread(TenantModel):
    """Every message with one contact, across every channel, newest last.

    A thread is snoozed while ``snoozed_until`` is in the future; a new message from
    the contact reopens it and ends the snooze. ``unread_count`` counts the contact's
    messages since someone last read the thread.
    """

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="thread")
    status = models.CharField(max_length=10, choices=ThreadStatus.choices, default=ThreadStatus.OPEN)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    labels = models.ManyToManyField(Label, through="ThreadLabel", related_name="threads", blank=True)
    unread_count = models.PositiveIntegerField(default=0)
    channels = models.PositiveSmallIntegerField(
        default=0,
        editable=False,
        help_text="The channels with a message in the thread, one bit each (CHANNEL_BITS): "
        "the channel filter and the sidebar's counts read it instead of the messages.",
    )
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_preview = models.CharField(max_length=200, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_inbound_integration = models.ForeignKey(
        IntegrationConfig,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where the contact last wrote from: replies go there unless another channel is chosen.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-last_message_at", "-id"], name="thread_org_recent_idx"),
            models.Index(
                fields=["organization", "status", "-last_message_at", "-id"], name="thread_org_status_recent_idx"
            ),
            models.Index(
                fields=["organization", "assigned_to", "-last_message_at", "-id"], name="thread_org_assigned_idx"
            ),
            models.Index(
                fields=["organization", "-last_message_at", "-id"],
                condition=Q(unread_count__gt=0),
                name="thread_org_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Thread with {self.contact}"


class ThreadLabel(TenantModel):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE)
    label = models.ForeignKey(Label, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "label"], name="thread_label_once")]
        indexes = [models.Index(fields=["organization", "label", "thread"], name="threadlabel_org_label_idx")]


class Direction(models.TextChoices):
    INBOUND = "inbound", "From the contact"
    OUTBOUND = "outbound", "To the contact"


class MessageStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    FAILED = "failed", "Failed"


class Message(TenantModel):
    """One message in a thread, in or out, on one channel.

    Inbound messages are stored once per integration and provider message id, so a
    retried webhook changes nothing. Search reads a full-text GIN index over subject
    and body (PostgreSQL only; see the migration). Outbound ones start QUEUED and move on with the
    provider's answers and status callbacks; ``events`` keeps every step.
    """

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    integration = models.ForeignKey(
        IntegrationConfig, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    provider_message_id = models.CharField(max_length=255, blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    to_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    # Email threading: this message's Message-ID and what it answers.
    email_message_id = models.CharField(max_length=300, blank=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    references = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="message_once_per_provider_id",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "thread", "-created_at", "-id"], name="message_org_thread_idx"),
            models.Index(fields=["organization", "email_message_id"], name="message_org_email_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.get_channel_display()}: {self.body[:60]}"


class MessageEvent(TenantModel):
    """One step of a message's life: queued, a failed attempt, sent, delivered, read, failed."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    detail = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "message", "at"], name="messageevent_org_message_idx")]

    def __str__(self) -> str:
        return f"{self.status} at {self.at:%Y-%m-%d %H:%M:%S}"


def attachment_upload_path(instance: "Attachment", filename: str) -> str:
    return f"inbox/{instance.organization_id}/{instance.message_id}/{filename[-100:]}"


class Attachment(TenantModel):
    """A file sent with a message: what the provider said about it, and our own copy when it fits."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    source_url = models.URLField(max_length=2000, blank=True, help_text="Where the provider keeps it.")
    file = models.FileField(upload_to=attachment_upload_path, blank=True)
    error = models.CharField(max_length=300, blank=True, help_text="Why no copy was stored, if none was.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename or f"Attachment {self.pk}"
