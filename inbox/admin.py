"""The inbox in the staff admin: every business's integrations, threads and messages.

The admin runs in the system scope (accounts.middleware), so lists show every business.
Credentials are never shown, not even encrypted: staff see whether there are any. Messages
are the record of what was said and sent, so they are read-only here; an integration is
checked again with an action, through inbox.services like the API's test.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from inbox import services
from inbox.models import (
    Attachment,
    ContactIdentity,
    IntegrationConfig,
    IntegrationStatus,
    Label,
    Message,
    MessageEvent,
    Thread,
    ThreadLabel,
)

MESSAGES_INLINE_LIMIT = 20


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record of what happened: shown, never edited."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return request.method == "GET" and super().has_change_permission(request, obj)


@admin.register(IntegrationConfig)
class IntegrationConfigAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "organization",
        "kind",
        "address",
        "status",
        "last_checked_at",
        "last_error",
        "is_active",
    ]
    list_filter = ["kind", "status", "is_active"]
    search_fields = ["address", "name", "organization__name", "organization__slug"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    # credentials_encrypted and sync_state are not editable fields, so no form shows them.
    fields = [
        "organization",
        "kind",
        "name",
        "address",
        "is_active",
        "has_credentials",
        "status",
        "last_error",
        "last_checked_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["has_credentials", "status", "last_error", "last_checked_at", "created_at", "updated_at"]
    actions = ["check_now"]

    @admin.display(boolean=True, description="credentials stored")
    def has_credentials(self, config: IntegrationConfig) -> bool:
        return bool(config.credentials_encrypted)

    @admin.action(description="Check now (ask the provider whether the credentials work)")
    def check_now(self, request: HttpRequest, queryset: QuerySet[IntegrationConfig]) -> None:
        checked = [services.integration_check(config=config) for config in queryset.select_related("organization")]
        failing = [config for config in checked if config.status == IntegrationStatus.ERROR]
        self.message_user(request, f"{len(checked) - len(failing)} connected, {len(failing)} not working.")
        for config in failing:
            self.message_user(request, f"{config}: {config.last_error}", messages.WARNING)


class ThreadLabelInline(admin.TabularInline):
    model = ThreadLabel
    extra = 0
    exclude = ["organization"]
    autocomplete_fields = ["label"]


class LatestMessagesFormSet(BaseInlineFormSet):
    def get_queryset(self):
        # A thread can hold thousands of messages: its page shows the latest only.
        return super().get_queryset()[:MESSAGES_INLINE_LIMIT]


class ThreadMessageInline(ReadOnlyInline):
    """The thread's latest messages; the message list has them all."""

    model = Message
    formset = LatestMessagesFormSet
    fields = ["created_at", "direction", "channel", "status", "body_start"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    @admin.display(description="message")
    def body_start(self, message: Message) -> str:
        return (message.body or message.subject)[:120]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organization", "status", "assigned_to", "unread_count", "last_message_at"]
    list_filter = ["status", "organization"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__email", "contact__phone"]
    list_select_related = ["organization", "contact", "assigned_to__user", "assigned_to__organization"]
    raw_id_fields = ["contact", "assigned_to", "last_inbound_integration"]
    readonly_fields = ["unread_count", "last_message_at", "last_message_preview", "last_inbound_at", "created_at"]
    show_full_result_count = False
    inlines = [ThreadLabelInline, ThreadMessageInline]


class MessageEventInline(ReadOnlyInline):
    model = MessageEvent
    fields = ["at", "status", "detail"]
    readonly_fields = fields
    ordering = ["at", "id"]
    show_change_link = False


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["filename", "content_type", "size", "file", "error"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """What was said and sent, as the providers reported it: read-only."""

    list_display = ["__str__", "organization", "channel", "direction", "status", "created_at"]
    list_filter = ["channel", "direction", "status"]
    search_fields = ["body", "provider_message_id"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting every message of every business on each page is slow
    inlines = [MessageEventInline, AttachmentInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Message._meta.fields]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "color", "created_at"]
    list_filter = ["organization"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]


@admin.register(ThreadLabel)
class ThreadLabelAdmin(admin.ModelAdmin):
    list_display = ["thread", "label", "organization"]
    list_filter = ["label"]
    search_fields = ["thread__contact__last_name", "thread__contact__email", "label__name"]
    list_select_related = ["thread__contact", "label", "organization"]
    raw_id_fields = ["thread"]


@admin.register(ContactIdentity)
class ContactIdentityAdmin(admin.ModelAdmin):
    """Which phone, address or Meta user id leads to which contact; fix a wrong match here."""

    list_display = ["address", "channel", "contact", "organization", "created_at"]
    list_filter = ["channel"]
    search_fields = ["address", "contact__last_name", "contact__email"]
    list_select_related = ["contact", "organization"]
    raw_id_fields = ["contact"]


@admin.register(MessageEvent)
class MessageEventAdmin(ReadOnlyAdmin):
    list_display = ["message", "status", "detail", "at", "organization"]
    list_filter = ["status"]
    search_fields = ["message__provider_message_id", "detail"]
    list_select_related = ["message", "organization"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["filename", "content_type", "size", "message", "error", "organization"]
    list_filter = ["content_type"]
    search_fields = ["filename", "message__provider_message_id"]
    list_select_related = ["message", "organization"]
