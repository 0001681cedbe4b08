"""Services offered, jobs, bookings, availability and calendar feeds.

A **job** is a piece of work for a client (trades); a **booking** is a block of one
staff member's time: an appointment for a service, or a visit of a job. Both kinds of
business use both models; the industry profile only chooses the words.

Times are stored in UTC; the organization's time zone decides what a weekday and a
wall-clock time mean (working hours, recurring visits).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Membership, TenantModel
from crm.models import Contact

# A booking longer than a day is a mistake in the form, not a job: multi-day work is
# a job with one visit per day.
MAX_BOOKING_LENGTH = timedelta(hours=24)
MAX_BUFFER_MINUTES = 240
# The widest a booking's blocked time can reach before its start: what lets the slot
# finder and the calendar read a window with a bounded index range.
MAX_BLOCKED_REACH = MAX_BOOKING_LENGTH + 2 * timedelta(minutes=MAX_BUFFER_MINUTES)
# External busy time is stored in pieces of at most a day, for the same reason.
MAX_BUSY_BLOCK = timedelta(hours=24)


class Service(TenantModel):
    """Something the business sells by the hour or the visit."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(default=60)
    price = models.PositiveIntegerField(default=0, help_text="In minor units of the organization's currency.")
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    staff = models.ManyToManyField(Membership, through="ServiceStaff", related_name="services", blank=True)
    is_active = models.BooleanField(default=True, help_text="Offered for booking.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="service_name_unique")]

    def __str__(self) -> str:
        return self.name


class ServiceStaff(TenantModel):
    """Who can do a service. A service nobody is named for can be done by every member."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE)
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "member"], name="service_staff_unique")]

    def __str__(self) -> str:
        return f"{self.member} — {self.service}"


class JobStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    INVOICED = "invoiced", "Invoiced"
    CANCELLED = "cancelled", "Cancelled"


class Job(TenantModel):
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="jobs")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.REQUESTED)
    assignees = models.ManyToManyField(Membership, through="JobAssignee", related_name="jobs", blank=True)
    notes = models.TextField(blank=True)
    # Recurring work: an RFC 5545 rule over local wall-clock times from recurrence_start.
    recurrence_rule = models.CharField(max_length=300, blank=True, help_text="e.g. FREQ=WEEKLY;INTERVAL=2")
    recurrence_start = models.DateTimeField(null=True, blank=True)
    visit_duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    visits_generated_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"], name="job_status_idx"),
            models.Index(fields=["organization", "contact"], name="job_contact_idx"),
            models.Index(fields=["organization", "-created_at", "-id"], name="job_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class JobAssignee(TenantModel):
    job = models.ForeignKey(Job, on_delete=models.CASCADE)
    member = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "member"], name="job_assignee_unique")]

    def __str__(self) -> str:
        return f"{self.member} on {self.job}"


class JobLineItem(TenantModel):
    """One line of the job's estimate."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="line_items")
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=9, decimal_places=2, default=1)
    unit_price = models.PositiveIntegerField(help_text="In minor units of the organization's currency.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def total(self) -> int:
        return round(self.quantity * self.unit_price)


class JobStatusChange(TenantModel):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=JobStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=JobStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.job}: {self.from_status or '—'} → {self.to_status}"


class JobAttachment(TenantModel):
    """What was attached to a job (a photo, a signed form): its description, not the file."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="attachments")
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    url = models.URLField(max_length=1000, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.file_name


class BookingStatus(models.TextChoices):
    TENTATIVE = "tentative", "Tentative"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


class BookingSource(models.TextChoices):
    STAFF = "staff", "Entered by the team"
    BOOKING_PAGE = "booking_page", "Booked by the client"
    RECURRENCE = "recurrence", "Recurring job"
    ASSISTANT = "assistant", "AI receptionist"


# Every status but cancelled holds the staff member's time.
HOLDING_STATUSES = (BookingStatus.TENTATIVE, BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


class Booking(TenantModel):
    """A block of one staff member's time: an appointment, or a visit of a job.

    ``blocked_from``/``blocked_until`` are the start and end widened by the service's
    buffers: the time nobody else can be booked into. PostgreSQL refuses two holding
    bookings of one staff member whose blocked times overlap (an exclusion constraint
    added in the migration), whatever races between requests.
    """

    staff = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="bookings")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, null=True, blank=True, related_name="visits")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    blocked_from = models.DateTimeField(editable=False)
    blocked_until = models.DateTimeField(editable=False)
    status = models.CharField(max_length=20, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED)
    source = models.CharField(max_length=20, choices=BookingSource.choices, default=BookingSource.STAFF)
    notes = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every change a calendar client must notice (iCalendar SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    # The local start a recurring job's rule produced: generating visits twice makes each once.
    occurrence = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["organization", "starts_at"], name="booking_start_idx"),
            models.Index(fields=["organization", "staff", "blocked_from"], name="booking_staff_idx"),
            models.Index(fields=["organization", "contact", "-starts_at"], name="booking_contact_idx"),
            models.Index(fields=["organization", "job"], name="booking_job_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["job", "occurrence"],
                condition=models.Q(occurrence__isnull=False),
                name="booking_occurrence_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.staff_id}"


class WeeklyHours(TenantModel):
    """One range of a regular week: a staff member's working hours, or, without a staff
    member, the business's opening hours. Several ranges a day are several rows."""

    staff = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    weekday = models.PositiveSmallIntegerField(help_text="0 is Monday, 6 is Sunday.")
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time", "id"]
        verbose_name_plural = "weekly hours"
        indexes = [models.Index(fields=["organization", "staff", "weekday"], name="weekly_hours_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="hours_end_after_start"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="hours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start_time}–{self.end_time}"


class DateHours(TenantModel):
    """An exception to the week on one date: these ranges replace the weekly hours that
    day (none at all: closed). Without a staff member it applies to the whole business."""

    staff = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    date = models.DateField()
    ranges = models.JSONField(default=list, blank=True, help_text='[{"start": "10:00", "end": "14:00"}]; [] is closed.')
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = "date exception"
        indexes = [models.Index(fields=["organization", "date"], name="date_hours_idx")]

    def __str__(self) -> str:
        return f"{self.date}: {self.ranges or 'closed'}"


class TimeOff(TenantModel):
    """A staff member away (holiday, sick, training), or without one, the business closed."""

    staff = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name_plural = "time off"
        indexes = [models.Index(fields=["organization", "starts_at"], name="time_off_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="time_off_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"


class BookingPolicy(TenantModel):
    """How clients may book: lead time, horizon and the step between offered slots."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="booking_policy"
    )
    lead_time_minutes = models.PositiveIntegerField(default=120, help_text="No slot sooner than this from now.")
    horizon_days = models.PositiveIntegerField(default=60, help_text="No slot further ahead than this.")
    slot_step_minutes = models.PositiveIntegerField(default=15, help_text="Slots start on multiples of this.")

    class Meta:
        verbose_name_plural = "booking policies"

    def __str__(self) -> str:
        return f"Booking policy of {self.organization}"


def _feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(TenantModel):
    """A private iCalendar address: one staff member's bookings, or without one, the whole business's."""

    staff = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=_feed_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Feed of {self.staff or self.organization}"


class ExternalCalendarStatus(models.TextChoices):
    PENDING = "pending", "Not read yet"
    OK = "ok", "Read"
    ERROR = "error", "Could not be read"


class ExternalCalendar(TenantModel):
    """A staff member's other calendar (Google, Apple, Outlook), read for busy time only."""

    staff = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=1000, blank=True, help_text="Its iCalendar address; blank for an uploaded file.")
    status = models.CharField(
        max_length=10, choices=ExternalCalendarStatus.choices, default=ExternalCalendarStatus.PENDING
    )
    last_error = models.CharField(max_length=500, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class BusyBlock(TenantModel):
    """Time an external calendar says a staff member is busy. Only times are kept, never titles."""

    calendar = models.ForeignKey(ExternalCalendar, on_delete=models.CASCADE, related_name="busy_blocks")
    staff = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["organization", "staff", "starts_at"], name="busy_block_idx")]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"
