"""Scheduling in the staff admin: every organization's services, jobs, bookings, hours and calendars.

The admin runs in the system scope (accounts.middleware), so lists show every business.
What carries a rule is written only through scheduling.services: a booking's blocked time
comes from its service's buffers and the database refuses overlaps, and a job's status
moves only along its allowed transitions with a recorded change. Bookings are therefore
read-only here with a cancel action, and a job's status changes only through actions.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from accounts.models import Membership, TenantModel
from scheduling import services
from scheduling.models import (
    Booking,
    BookingPolicy,
    BookingStatus,
    BusyBlock,
    CalendarFeed,
    DateHours,
    ExternalCalendar,
    Job,
    JobAssignee,
    JobAttachment,
    JobLineItem,
    JobStatus,
    JobStatusChange,
    Service,
    ServiceStaff,
    TimeOff,
    WeeklyHours,
)

STAFF_REASON = "Done by Bizbox staff in the admin."
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _member_name(member: Membership) -> str:
    return member.user.full_name or member.user.email


# Staff columns name the person only: Membership's own text also names its organization,
# which the row shows already. Where a row's own text goes through Membership (the action
# checkbox's label uses it), the list loads the member's organization with the row.
@admin.display(description="staff member", ordering="staff__user__email")
def staff_column(obj) -> str:
    return _member_name(obj.staff) if obj.staff_id else "The whole business"


@admin.display(description="staff member", ordering="member__user__email")
def member_column(obj) -> str:
    return _member_name(obj.member)


# Keeping a form's records in one organization -----------------------------------------


def _foreign_organization_fields(organization_id: int | None, values: dict) -> list[str]:
    """The fields whose chosen record belongs to another organization than ``organization_id``."""
    return [
        name
        for name, value in values.items()
        if isinstance(value, TenantModel) and organization_id is not None and value.organization_id != organization_id
    ]


class SameOrganizationForm(forms.ModelForm):
    """Staff pick from every organization's records; a record of one business must not point into another's."""

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        organization_id = organization.pk if organization is not None else None
        for name in _foreign_organization_fields(organization_id, cleaned):
            self.add_error(name, "This belongs to another organization.")
        return cleaned


class SameOrganizationInlineFormSet(BaseInlineFormSet):
    """Rows added under a parent take its organization and may only point inside it."""

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            for name in _foreign_organization_fields(self.instance.organization_id, form.cleaned_data):
                form.add_error(name, "This belongs to another organization.")

    def save_new(self, form, commit=True):
        form.instance.organization_id = self.instance.organization_id
        return super().save_new(form, commit=commit)


class TenantInline(admin.TabularInline):
    formset = SameOrganizationInlineFormSet
    extra = 0
    exclude = ["organization"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TenantAdmin(admin.ModelAdmin):
    form = SameOrganizationForm
    autocomplete_fields = ["organization"]
    list_select_related = ["organization"]

    def get_readonly_fields(self, request, obj=None):
        # Moving a record to another business would leave its related rows behind.
        fixed = ["organization"] if obj is not None else []
        return [*fixed, *super().get_readonly_fields(request, obj)]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the product itself; staff read them."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Services -------------------------------------------------------------------------------


class ServiceStaffInline(TenantInline):
    model = ServiceStaff
    autocomplete_fields = ["member"]
    verbose_name = "staff member who does it"
    verbose_name_plural = "staff who do it (none named: everyone)"


SERVICE_FIELDS = (
    "name",
    "description",
    "duration_minutes",
    "price",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "is_active",
)


class ServiceForm(SameOrganizationForm):
    """Checked by the same rules as the API (scheduling.services.service_check), so that a
    service out of bounds comes back as form errors under its fields, not a failed save."""

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        needed = ("name", "duration_minutes", "price", "buffer_before_minutes", "buffer_after_minutes")
        if organization is not None and all(cleaned.get(field) is not None for field in needed):
            services.service_check(
                organization=organization, service_id=self.instance.pk, **{field: cleaned[field] for field in needed}
            )
        return cleaned


@admin.register(Service)
class ServiceAdmin(TenantAdmin):
    form = ServiceForm
    list_display = [
        "name",
        "organization",
        "duration_minutes",
        "price",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "organization__name", "organization__slug"]
    readonly_fields = ["created_at"]
    inlines = [ServiceStaffInline]

    def save_model(self, request, obj: Service, form, change) -> None:
        if change:
            changed = {name: form.cleaned_data[name] for name in form.changed_data if name in SERVICE_FIELDS}
            if changed:
                services.service_update(service=Service.objects.get(pk=obj.pk), actor=request.user, **changed)
            return
        fields = {name: form.cleaned_data[name] for name in SERVICE_FIELDS}
        created = services.service_create(organization=obj.organization, actor=request.user, **fields)
        # The inlines are saved next, against this same object: give it the created row.
        obj.pk = created.pk
        obj.refresh_from_db()


@admin.register(ServiceStaff)
class ServiceStaffAdmin(TenantAdmin):
    list_display = ["service", member_column, "organization"]
    list_filter = ["service__is_active"]
    search_fields = ["service__name", "member__user__email", "organization__name"]
    list_select_related = ["service", "member__user", "member__organization", "organization"]
    autocomplete_fields = ["organization", "service", "member"]


# Jobs -----------------------------------------------------------------------------------


class JobLineItemInline(TenantInline):
    model = JobLineItem
    autocomplete_fields = ["service"]
    fields = ["position", "description", "service", "quantity", "unit_price"]


class JobAssigneeInline(TenantInline):
    model = JobAssignee
    autocomplete_fields = ["member"]


class JobStatusChangeInline(ReadOnlyInline):
    model = JobStatusChange
    fields = ["changed_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields


class JobAttachmentInline(ReadOnlyInline):
    model = JobAttachment
    fields = ["file_name", "content_type", "size", "url", "uploaded_by", "created_at"]
    readonly_fields = fields


def _job_transition_action(to_status: JobStatus) -> Callable:
    """An admin action moving the selected jobs to ``to_status``, each through job_transition."""

    def action(model_admin: "JobAdmin", request: HttpRequest, queryset: QuerySet[Job]) -> None:
        moved = 0
        for job in queryset.select_related("organization"):
            try:
                services.job_transition(job=job, actor=request.user, to_status=to_status, reason=STAFF_REASON)
            except ValidationError as error:
                model_admin.message_user(request, f"{job}: {_error_text(error)}", messages.WARNING)
            else:
                moved += 1
        model_admin.message_user(request, f"{moved} job(s) now {to_status.label.lower()}.", messages.SUCCESS)

    action.__name__ = f"mark_{to_status.value}"
    return admin.action(description=f"Mark selected jobs as {to_status.label.lower()}")(action)


@admin.register(Job)
class JobAdmin(TenantAdmin):
    list_display = ["title", "contact", "organization", "status", "created_at", "updated_at"]
    list_filter = ["status", ("recurrence_rule", admin.EmptyFieldListFilter)]
    search_fields = [
        "title",
        "contact__first_name",
        "contact__last_name",
        "contact__company",
        "contact__email",
        "organization__name",
    ]
    list_select_related = ["organization", "contact"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    # Status moves through the actions, recurrence through the API (it books visits);
    # the rest is plain text staff may correct.
    readonly_fields = [
        "organization",
        "contact",
        "status",
        "recurrence_rule",
        "recurrence_start",
        "visit_duration_minutes",
        "visits_generated_until",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [JobLineItemInline, JobAssigneeInline, JobStatusChangeInline, JobAttachmentInline]
    actions = [_job_transition_action(status) for status in JobStatus]

    def has_add_permission(self, request) -> bool:
        # A job belongs to a client and a business and is made where they work: the API.
        return False

    def save_model(self, request, obj: Job, form, change) -> None:
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        if changed:
            services.job_update(job=obj, actor=request.user, **changed)


@admin.register(JobAssignee)
class JobAssigneeAdmin(TenantAdmin):
    list_display = ["job", member_column, "organization"]
    list_filter = ["job__status"]
    search_fields = ["job__title", "member__user__email", "organization__name"]
    list_select_related = ["job", "member__user", "member__organization", "organization"]
    autocomplete_fields = ["organization", "job", "member"]


@admin.register(JobLineItem)
class JobLineItemAdmin(TenantAdmin):
    list_display = ["description", "job", "quantity", "unit_price", "organization"]
    list_filter = ["job__status"]
    search_fields = ["description", "job__title", "organization__name"]
    list_select_related = ["job", "organization"]
    autocomplete_fields = ["organization", "job", "service"]


@admin.register(JobStatusChange)
class JobStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["job", "from_status", "to_status", "actor", "reason", "changed_at", "organization"]
    list_filter = ["to_status", "from_status"]
    search_fields = ["job__title", "reason", "actor__email", "organization__name"]
    list_select_related = ["job", "actor", "organization"]
    date_hierarchy = "changed_at"


@admin.register(JobAttachment)
class JobAttachmentAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "job", "content_type", "size", "uploaded_by", "created_at", "organization"]
    list_filter = ["content_type"]
    search_fields = ["file_name", "job__title", "organization__name"]
    list_select_related = ["job", "uploaded_by", "organization"]
    date_hierarchy = "created_at"


# Bookings -------------------------------------------------------------------------------


class StaffFilter(admin.SimpleListFilter):
    """The staff members who have bookings, named with their business, loaded in one query."""

    title = "staff"
    parameter_name = "staff"

    def lookups(self, request, model_admin):
        booked = Booking.objects.values("staff_id")
        members = Membership.objects.filter(pk__in=booked).select_related("user", "organization")
        return [(member.pk, f"{member.user} ({member.organization})") for member in members.order_by("user__email")]

    def queryset(self, request, queryset):
        return queryset.filter(staff_id=self.value()) if self.value() else queryset


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    """Bookings are read here and cancelled with the action; booking and moving happen in the product,
    where the service's buffers, the staff member's hours and the overlap rule apply. Being
    read-only, the contact, job and staff show as links, never as a list of every record."""

    list_display = [
        "starts_at",
        "ends_at",
        staff_column,
        "contact",
        "service",
        "job",
        "status",
        "source",
        "organization",
    ]
    list_filter = ["status", "source", StaffFilter]
    search_fields = [
        "contact__first_name",
        "contact__last_name",
        "contact__email",
        "notes",
        "staff__user__email",
        "organization__name",
    ]
    list_select_related = ["organization", "staff__user", "contact", "service", "job"]
    date_hierarchy = "starts_at"
    ordering = ["-starts_at", "-id"]
    show_full_result_count = False
    actions = ["cancel"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would skip what cancelling does (the reason, the calendar sequence).
        return False

    @admin.action(description="Cancel selected bookings")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        cancelled = 0
        for booking in queryset.exclude(status=BookingStatus.CANCELLED):
            try:
                services.booking_cancel(booking=booking, actor=request.user, reason=STAFF_REASON)
            except ValidationError as error:
                self.message_user(request, f"{booking}: {_error_text(error)}", messages.WARNING)
            else:
                cancelled += 1
        self.message_user(request, f"{cancelled} booking(s) cancelled.", messages.SUCCESS)


# Hours, time off and the booking policy -------------------------------------------------


class WhoseFilter(admin.SimpleListFilter):
    """Hours and time off of the whole business, or of one staff member."""

    title = "applies to"
    parameter_name = "applies_to"

    def lookups(self, request, model_admin):
        return [("business", "The whole business"), ("staff", "A staff member")]

    def queryset(self, request, queryset):
        if self.value() == "business":
            return queryset.filter(staff=None)
        if self.value() == "staff":
            return queryset.exclude(staff=None)
        return queryset


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(TenantAdmin):
    list_display = ["organization", staff_column, "weekday_name", "start_time", "end_time"]
    list_filter = [WhoseFilter, "weekday"]
    search_fields = ["organization__name", "staff__user__email"]
    list_select_related = ["organization", "staff__user"]
    autocomplete_fields = ["organization", "staff"]
    ordering = ["organization", "staff", "weekday", "start_time"]

    @admin.display(description="weekday", ordering="weekday")
    def weekday_name(self, hours: WeeklyHours) -> str:
        return WEEKDAY_NAMES[hours.weekday] if 0 <= hours.weekday < len(WEEKDAY_NAMES) else str(hours.weekday)


@admin.register(DateHours)
class DateHoursAdmin(TenantAdmin):
    list_display = ["date", "organization", staff_column, "ranges", "reason"]
    list_filter = [WhoseFilter]
    search_fields = ["reason", "organization__name", "staff__user__email"]
    list_select_related = ["organization", "staff__user"]
    autocomplete_fields = ["organization", "staff"]
    date_hierarchy = "date"


@admin.register(TimeOff)
class TimeOffAdmin(TenantAdmin):
    list_display = ["starts_at", "ends_at", "organization", staff_column, "reason"]
    list_filter = [WhoseFilter]
    search_fields = ["reason", "organization__name", "staff__user__email"]
    list_select_related = ["organization", "staff__user"]
    autocomplete_fields = ["organization", "staff"]
    date_hierarchy = "starts_at"


@admin.register(BookingPolicy)
class BookingPolicyAdmin(TenantAdmin):
    list_display = ["organization", "lead_time_minutes", "horizon_days", "slot_step_minutes"]
    list_filter = ["slot_step_minutes"]
    search_fields = ["organization__name", "organization__slug"]


# Calendars ------------------------------------------------------------------------------


@admin.register(CalendarFeed)
class CalendarFeedAdmin(TenantAdmin):
    list_display = ["id", "organization", staff_column, "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), WhoseFilter]
    search_fields = ["organization__name", "staff__user__email"]
    list_select_related = ["organization", "staff__user", "staff__organization"]
    autocomplete_fields = ["organization", "staff"]
    readonly_fields = ["token", "created_at"]


@admin.register(ExternalCalendar)
class ExternalCalendarAdmin(TenantAdmin):
    list_display = ["name", staff_column, "organization", "status", "last_synced_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["name", "url", "organization__name", "staff__user__email"]
    list_select_related = ["organization", "staff__user"]
    autocomplete_fields = ["organization", "staff"]
    # Written by the sync, so staff see what happened rather than edit it.
    readonly_fields = ["status", "last_error", "last_synced_at", "created_at"]


@admin.register(BusyBlock)
class BusyBlockAdmin(ReadOnlyAdmin):
    list_display = ["starts_at", "ends_at", staff_column, "calendar", "organization"]
    list_filter = ["calendar__status"]
    search_fields = ["calendar__name", "staff__user__email", "organization__name"]
    list_select_related = ["organization", "staff__user", "calendar"]
    date_hierarchy = "starts_at"
