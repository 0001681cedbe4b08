from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.fields import OrganizationRelatedField
from accounts.api.serializers import TimeZoneNameField
from accounts.models import Membership
from config.api.fields import MomentField
from crm.models import Contact
from scheduling.models import (
    Booking,
    BookingPolicy,
    BookingStatus,
    DateHours,
    Job,
    JobAttachment,
    JobLineItem,
    JobStatusChange,
    Service,
    TimeOff,
    WeeklyHours,
)
from scheduling.services import LineItem

MAX_ATTACHMENT_SIZE = 10 * 1024**3  # 10 GiB: more than any photo or form a visit produces
NEW_BOOKING_STATUSES = [
    (BookingStatus.TENTATIVE.value, BookingStatus.TENTATIVE.label),
    (BookingStatus.CONFIRMED.value, BookingStatus.CONFIRMED.label),
]


def _members():
    return OrganizationRelatedField(queryset=Membership.objects.all())


# Services offered -------------------------------------------------------------------------


class ServiceSerializer(serializers.ModelSerializer):
    staff = OrganizationRelatedField(
        queryset=Membership.objects.all(), many=True, required=False, help_text="Who can do it; empty: everyone."
    )

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "description",
            "duration_minutes",
            "price",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "staff",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        # Uniqueness is checked by the service, with a message naming the field.
        validators: list = []


# Jobs -----------------------------------------------------------------------------------


class LineItemSerializer(serializers.ModelSerializer):
    service = OrganizationRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    quantity = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=0, default=1)
    total = serializers.IntegerField(read_only=True)

    class Meta:
        model = JobLineItem
        fields = ["id", "service", "description", "quantity", "unit_price", "total"]

    def to_line_item(self, data: dict[str, Any]) -> LineItem:
        return LineItem(
            description=data["description"],
            unit_price=data["unit_price"],
            quantity=data.get("quantity", 1),
            service=data.get("service"),
        )


class StatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobStatusChange
        fields = ["from_status", "to_status", "actor", "reason", "changed_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobAttachment
        fields = ["id", "file_name", "content_type", "size", "url", "uploaded_by", "created_at"]
        read_only_fields = ["uploaded_by", "created_at"]


class JobSerializer(serializers.ModelSerializer):
    assignees = serializers.SerializerMethodField()
    line_items = LineItemSerializer(many=True, read_only=True)
    estimate_total = serializers.SerializerMethodField()
    status_changes = StatusChangeSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    contact_name = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "contact",
            "contact_name",
            "title",
            "description",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "status",
            "assignees",
            "notes",
            "line_items",
            "estimate_total",
            "recurrence_rule",
            "recurrence_start",
            "visit_duration_minutes",
            "visits_generated_until",
            "status_changes",
            "attachments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_assignees(self, job: Job) -> list[int]:
        return [link.member_id for link in job.jobassignee_set.all()]

    def get_estimate_total(self, job: Job) -> int:
        return sum(item.total for item in job.line_items.all())

    def get_contact_name(self, job: Job) -> str:
        return f"{job.contact.first_name} {job.contact.last_name}".strip() or job.contact.company


class JobWriteSerializer(serializers.Serializer):
    contact = OrganizationRelatedField(queryset=Contact.objects.filter(deleted_at__isnull=True))
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    address_line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    assignees = OrganizationRelatedField(queryset=Membership.objects.all(), many=True, required=False)
    line_items = LineItemSerializer(many=True, required=False)
    recurrence_rule = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    recurrence_start = MomentField(required=False, allow_null=True, default=None)
    visit_duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=5, max_value=24 * 60
    )


class TransitionSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="The status to move to.")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AttachmentWriteSerializer(serializers.ModelSerializer):
    size = serializers.IntegerField(min_value=0, max_value=MAX_ATTACHMENT_SIZE, help_text="In bytes.")

    class Meta:
        model = JobAttachment
        fields = ["file_name", "content_type", "size", "url"]


# Bookings -------------------------------------------------------------------------------


class BookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = [
            "id",
            "staff",
            "contact",
            "service",
            "job",
            "starts_at",
            "ends_at",
            "blocked_from",
            "blocked_until",
            "status",
            "source",
            "notes",
            "cancel_reason",
            "cancelled_at",
            "sequence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BookingWriteSerializer(serializers.Serializer):
    staff = _members()
    starts_at = MomentField()
    ends_at = MomentField(required=False, help_text="By default the start plus the service's length.")
    service = OrganizationRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    contact = OrganizationRelatedField(
        queryset=Contact.objects.filter(deleted_at__isnull=True), required=False, allow_null=True
    )
    job = OrganizationRelatedField(queryset=Job.objects.all(), required=False, allow_null=True)
    status = serializers.ChoiceField(choices=NEW_BOOKING_STATUSES, default=BookingStatus.CONFIRMED)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    outside_hours_ok = serializers.BooleanField(
        default=False, help_text="Book even outside the staff member's hours or during their time off."
    )


class BookingUpdateSerializer(serializers.Serializer):
    contact = OrganizationRelatedField(
        queryset=Contact.objects.filter(deleted_at__isnull=True), required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True)


class RescheduleSerializer(serializers.Serializer):
    starts_at = MomentField()
    ends_at = MomentField(required=False, help_text="By default the booking keeps its length.")
    staff = OrganizationRelatedField(queryset=Membership.objects.all(), required=False)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    outside_hours_ok = serializers.BooleanField(default=False)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# Availability ---------------------------------------------------------------------------


class WindowSerializer(serializers.Serializer):
    """A time window of the query string; times without an offset are the organization's."""

    to = MomentField(required=False)
    staff = serializers.CharField(required=False, help_text="Staff member ids, comma-separated.")
    tz = TimeZoneNameField(required=False, help_text="Time zone of the answer (IANA name).")

    def get_fields(self):
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        return {"from": MomentField(required=False), **super().get_fields()}

    def validate_staff(self, value: str) -> list[int]:
        try:
            return [int(part) for part in value.split(",") if part.strip()]
        except ValueError as error:
            raise serializers.ValidationError("Give staff member ids separated by commas.") from error


class SlotQuerySerializer(WindowSerializer):
    service = OrganizationRelatedField(queryset=Service.objects.all())


class SlotSerializer(serializers.Serializer):
    start = MomentField()
    end = MomentField()
    staff = serializers.ListField(child=serializers.IntegerField())


class SlotsSerializer(serializers.Serializer):
    service = serializers.IntegerField()
    time_zone = serializers.CharField()
    slots = SlotSerializer(many=True)


class CalendarEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    staff = serializers.IntegerField()
    starts_at = MomentField()
    ends_at = MomentField()
    status = serializers.ChoiceField(choices=BookingStatus.choices)
    notes = serializers.CharField()
    service = serializers.DictField(allow_null=True, help_text='{"id", "name"}')
    contact = serializers.DictField(allow_null=True, help_text='{"id", "name"}')
    job = serializers.DictField(allow_null=True, help_text='{"id", "title"}')


class CalendarSerializer(serializers.Serializer):
    to = MomentField()
    results = CalendarEntrySerializer(many=True)

    def get_fields(self):
        return {"from": MomentField(), **super().get_fields()}


def calendar_entry(row: dict[str, Any], render) -> dict[str, Any]:
    """A calendar row as the API shows it; ``render`` writes a time in the asked time zone."""
    contact_name = f"{row['contact__first_name']} {row['contact__last_name']}".strip() or row["contact__company"]
    return {
        "id": row["id"],
        "staff": row["staff_id"],
        "starts_at": render(row["starts_at"]),
        "ends_at": render(row["ends_at"]),
        "status": row["status"],
        "notes": row["notes"],
        "service": {"id": row["service_id"], "name": row["service__name"]} if row["service_id"] else None,
        "contact": {"id": row["contact_id"], "name": contact_name} if row["contact_id"] else None,
        "job": {"id": row["job_id"], "title": row["job__title"]} if row["job_id"] else None,
    }


# Hours, exceptions, time off, policy ----------------------------------------------------


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:00"})
class ClockTimeField(serializers.TimeField):
    """A wall-clock time written "HH:MM"."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class RangeSerializer(serializers.Serializer):
    start = ClockTimeField()
    end = ClockTimeField()

    def validate(self, data):
        if data["end"] <= data["start"]:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        return data


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class WeekSerializer(serializers.Serializer):
    """A regular week: for each day, its time ranges (none: closed)."""

    staff = OrganizationRelatedField(
        queryset=Membership.objects.all(), required=False, allow_null=True, help_text="None: the business's hours."
    )

    def get_fields(self):
        return {**super().get_fields(), **{day: RangeSerializer(many=True, required=False) for day in WEEKDAY_NAMES}}

    def week(self) -> dict[int, list[tuple]]:
        return {
            weekday: [(item["start"], item["end"]) for item in self.validated_data.get(day, [])]
            for weekday, day in enumerate(WEEKDAY_NAMES)
        }


def week_payload(staff_id: int | None, rows: list[WeeklyHours]) -> dict[str, Any]:
    payload: dict[str, Any] = {"staff": staff_id, **{day: [] for day in WEEKDAY_NAMES}}
    for row in rows:
        payload[WEEKDAY_NAMES[row.weekday]].append(
            {"start": row.start_time.strftime("%H:%M"), "end": row.end_time.strftime("%H:%M")}
        )
    return payload


class WeekResponseSerializer(serializers.Serializer):
    staff = serializers.IntegerField(allow_null=True)

    def get_fields(self):
        return {**super().get_fields(), **{day: RangeSerializer(many=True) for day in WEEKDAY_NAMES}}


class DateHoursSerializer(serializers.ModelSerializer):
    staff = OrganizationRelatedField(queryset=Membership.objects.all(), required=False, allow_null=True)
    ranges = RangeSerializer(many=True, help_text="The hours that day; empty: closed.")

    class Meta:
        model = DateHours
        fields = ["id", "staff", "date", "ranges", "reason"]

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        values["ranges"] = [
            {"start": item["start"].strftime("%H:%M"), "end": item["end"].strftime("%H:%M")}
            for item in values.get("ranges", [])
        ]
        return values


class TimeOffSerializer(serializers.ModelSerializer):
    staff = OrganizationRelatedField(
        queryset=Membership.objects.all(), required=False, allow_null=True, help_text="None: the whole business."
    )
    starts_at = MomentField()
    ends_at = MomentField()

    class Meta:
        model = TimeOff
        fields = ["id", "staff", "starts_at", "ends_at", "reason"]


class BookingPolicySerializer(serializers.ModelSerializer):
    lead_time_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 30)
    horizon_days = serializers.IntegerField(min_value=1, max_value=730)
    slot_step_minutes = serializers.IntegerField(min_value=5, max_value=240)

    class Meta:
        model = BookingPolicy
        fields = ["lead_time_minutes", "horizon_days", "slot_step_minutes"]
