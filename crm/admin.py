from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import Organization
from crm import import_files, imports
from crm.export import contacts_csv_response
from crm.models import (
    Contact,
    ContactImport,
    ContactImportError,
    ContactNote,
    ContactTag,
    ImportStatus,
    SearchWord,
    Tag,
)


class ContactTagInline(admin.TabularInline):
    model = ContactTag
    extra = 0
    autocomplete_fields = ["tag"]
    exclude = ["organization"]


class ContactNoteInline(admin.TabularInline):
    model = ContactNote
    extra = 0
    fields = ["body", "author", "created_at"]
    readonly_fields = ["author", "created_at"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "company",
        "email",
        "phone",
        "organization",
        "source",
        "created_at",
        "last_activity_at",
        "deleted_at",
    ]
    list_filter = ["source", ("deleted_at", admin.EmptyFieldListFilter), "tags"]
    search_fields = ["first_name", "last_name", "company", "email", "phone", "organization__name"]
    list_select_related = ["organization"]
    readonly_fields = ["search_text", "phone_digits", "created_at", "updated_at", "merged_into"]
    autocomplete_fields = ["organization"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting millions of rows on every page is slow
    inlines = [ContactTagInline, ContactNoteInline]
    actions = ["export_csv"]

    def save_model(self, request, obj, form, change):
        from crm.services import search_columns

        search_columns(obj)
        super().save_model(request, obj, form, change)

    @admin.action(description="Export selected contacts as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Contact]) -> StreamingHttpResponse | None:
        # A file belongs to one business: its columns follow that business's extra fields and time zone.
        organization_ids = list(queryset.order_by().values_list("organization_id", flat=True).distinct()[:2])
        if len(organization_ids) != 1:
            self.message_user(request, "Select the contacts of one business to export them.", messages.ERROR)
            return None
        organization = Organization.objects.get(pk=organization_ids[0])
        return contacts_csv_response(queryset, organization=organization)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "color", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]


@admin.register(SearchWord)
class SearchWordAdmin(admin.ModelAdmin):
    """The words a mistyped search is matched against; the database keeps them, staff only look."""

    list_display = ["word", "organization"]
    list_filter = ["organization"]
    search_fields = ["word", "organization__name"]
    list_select_related = ["organization"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ContactTag)
class ContactTagAdmin(admin.ModelAdmin):
    list_display = ["contact", "tag", "organization"]
    list_filter = ["tag"]
    search_fields = ["contact__last_name", "contact__email", "tag__name"]
    list_select_related = ["contact", "tag", "organization"]
    autocomplete_fields = ["contact", "tag"]


@admin.register(ContactNote)
class ContactNoteAdmin(admin.ModelAdmin):
    list_display = ["contact", "author", "organization", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["body", "contact__last_name", "contact__email"]
    list_select_related = ["contact", "author", "organization"]
    autocomplete_fields = ["contact"]
    date_hierarchy = "created_at"


class ContactImportAddForm(forms.ModelForm):
    """Staff upload a file for a business; it starts at once with the guessed column mapping."""

    class Meta:
        model = ContactImport
        fields = ["organization", "file", "duplicate_policy"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            import_files.file_shape(upload)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return upload


@admin.register(ContactImport)
class ContactImportAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "organization",
        "status",
        "progress_display",
        "created_count",
        "updated_count",
        "skipped_count",
        "failed_count",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "duplicate_policy", "file_format", "created_at"]
    search_fields = ["original_name", "organization__name", "created_by__email"]
    list_select_related = ["organization", "created_by"]
    autocomplete_fields = ["organization"]
    date_hierarchy = "created_at"
    actions = ["start_again"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ContactImportAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ContactImportAddForm.Meta.fields
        return [*self.get_readonly_fields(request, obj)]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        names = [f.name for f in ContactImport._meta.fields if f.name not in ("id",)]
        return [*names, "progress_display", "error_report"]

    @admin.display(description="progress")
    def progress_display(self, contact_import: ContactImport) -> str:
        return f"{contact_import.rows_done:,} / {contact_import.total_rows:,}"

    @admin.display(description="error report")
    def error_report(self, contact_import: ContactImport) -> str:
        url = reverse("admin:crm_contactimporterror_changelist") + f"?contact_import__id__exact={contact_import.pk}"
        return format_html('<a href="{}">{} row(s) not imported</a>', url, contact_import.failed_count)

    def save_model(self, request, obj, form, change):
        if change:
            return None  # nothing is editable, and saving would write stale progress over a running import
        created = imports.contact_import_create(
            organization=obj.organization,
            actor=request.user,
            upload=form.cleaned_data["file"],
            duplicate_policy=obj.duplicate_policy,
        )
        self._start(request, created)
        obj.pk = created.pk
        obj.refresh_from_db()
        return None

    def _start(self, request, contact_import: ContactImport, **options) -> bool:
        try:
            imports.contact_import_start(contact_import=contact_import, actor=request.user, **options)
        except (ValidationError, imports.ImportConflict) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            self.message_user(request, f"{contact_import}: not started. {text}", messages.WARNING)
            return False
        return True

    @admin.action(description="Start again (resumes after the last imported row)")
    def start_again(self, request, queryset):
        unfinished = queryset.exclude(status=ImportStatus.COMPLETED).select_related("organization")
        started = sum(self._start(request, contact_import, requeue_active=True) for contact_import in unfinished)
        self.message_user(request, f"{started} import(s) queued.", messages.SUCCESS)


@admin.register(ContactImportError)
class ContactImportErrorAdmin(admin.ModelAdmin):
    """The rows an import could not take; read-only, as the import wrote them."""

    list_display = ["row", "column", "message", "contact_import", "organization"]
    list_filter = ["contact_import__created_at"]
    search_fields = ["message", "column", "contact_import__original_name", "organization__name"]
    list_select_related = ["contact_import", "organization"]
    ordering = ["contact_import", "row", "id"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
