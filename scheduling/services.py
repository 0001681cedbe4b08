"""Writes of the scheduling app: services offered, jobs, bookings, hours and time off.

The API, the admin, the demo seeder, recurring visits and (later) the booking page and the
assistant all book through ``booking_create``, so the rules live in one place: a booking is
inside its staff member's organization, at most a day long, and never overlaps another
holding booking of that staff member (the database has the last word on that).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from dateutil import rrule
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.services import activity_record
from crm.models import Contact
from scheduling import selectors
from scheduling.models import (
    MAX_BOOKING_LENGTH,
    MAX_BUFFER_MINUTES,
    Booking,
    BookingPolicy,
    BookingSource,
    BookingStatus,
    DateHours,
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

EXCLUSION_VIOLATION = "23P01"
# Recurring jobs have their visits on the calendar this far ahead.
RECURRENCE_HORIZON = timedelta(days=60)
MAX_VISITS_PER_RUN = 200
RECURRENCE_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# Ten million in major units: far above any one service, well inside the database's integer.
MAX_PRICE = 1_000_000_000

JOB_TRANSITIONS: dict[str, tuple[str, ...]] = {
    JobStatus.REQUESTED: (JobStatus.SCHEDULED, JobStatus.CANCELLED),
    JobStatus.SCHEDULED: (JobStatus.IN_PROGRESS, JobStatus.REQUESTED, JobStatus.CANCELLED),
    JobStatus.IN_PROGRESS: (JobStatus.COMPLETED, JobStatus.SCHEDULED, JobStatus.CANCELLED),
    JobStatus.COMPLETED: (JobStatus.INVOICED, JobStatus.IN_PROGRESS),
    JobStatus.INVOICED: (),
    JobStatus.CANCELLED: (JobStatus.REQUESTED,),
}
BOOKING_TRANSITIONS: dict[str, tuple[str, ...]] = {
    BookingStatus.TENTATIVE: (BookingStatus.CONFIRMED, BookingStatus.CANCELLED),
    BookingStatus.CONFIRMED: (
        BookingStatus.COMPLETED,
        BookingStatus.NO_SHOW,
        BookingStatus.TENTATIVE,
        BookingStatus.CANCELLED,
    ),
    # A mark made by mistake can be put right; a cancelled booking is booked again instead.
    BookingStatus.COMPLETED: (BookingStatus.NO_SHOW,),
    BookingStatus.NO_SHOW: (BookingStatus.COMPLETED,),
    BookingStatus.CANCELLED: (),
}
JOB_ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postal_code")


class BookingConflict(Exception):
    """The staff member's time is already taken by ``conflicting``."""

    def __init__(self, conflicting: Booking | None):
        self.conflicting = conflicting
        super().__init__("The staff member is already booked at that time.")


@dataclass(frozen=True)
class LineItem:
    description: str
    unit_price: int
    quantity: Decimal = Decimal(1)
    service: Service | None = None


# Checks shared by the writes --------------------------------------------------------


def _same_organization(organization: Organization, field: str, obj: Any) -> None:
    if obj is not None and obj.organization_id != organization.id:
        raise ValidationError({field: ["Not found in this organization."]})


def _transition_check(allowed: dict[str, tuple[str, ...]], current: str, target: str, labels) -> None:
    if target not in allowed:
        raise ValidationError({"status": [f"“{target}” is not a status."]})
    if target not in allowed[current]:
        choices = ", ".join(allowed[current]) or "none"
        raise ValidationError(
            {
                "status": [
                    f"A {labels(current).lower()} one cannot become {labels(target).lower()} "
                    f"({current} → {target} is not allowed; allowed: {choices})."
                ]
            }
        )


# Services offered -------------------------------------------------------------------


def service_check(
    *,
    organization: Organization,
    name: str,
    duration_minutes: int,
    price: int,
    buffer_before_minutes: int,
    buffer_after_minutes: int,
    service_id: int | None = None,
) -> None:
    """A service's limits and its unique name, each error under its field (the API and the admin form)."""
    errors = {}
    if not 0 <= price <= MAX_PRICE:
        errors["price"] = [f"A price is from 0 to {MAX_PRICE} (in minor units, e.g. cents)."]
    if not 5 <= duration_minutes <= MAX_BOOKING_LENGTH.total_seconds() // 60:
        errors["duration_minutes"] = ["A service lasts from 5 minutes to 24 hours."]
    for field, value in (
        ("buffer_before_minutes", buffer_before_minutes),
        ("buffer_after_minutes", buffer_after_minutes),
    ):
        if not 0 <= value <= MAX_BUFFER_MINUTES:
            errors[field] = [f"A buffer is from 0 to {MAX_BUFFER_MINUTES} minutes."]
    namesakes = Service.objects.filter(organization=organization, name__iexact=name.strip()).exclude(pk=service_id)
    if namesakes.exists():
        errors["name"] = [f"There is already a service called “{name.strip()}”."]
    if errors:
        raise ValidationError(errors)


def _members_link(link_model, *, owner_field: str, owner, members: Iterable[Membership], field: str) -> None:
    """Make ``members`` exactly the members ``link_model`` links to ``owner``, all of its organization."""
    members = list(members)
    for member in members:
        _same_organization(owner.organization, field, member)
    links = link_model.objects.filter(organization_id=owner.organization_id, **{owner_field: owner})
    links.exclude(member__in=members).delete()
    existing = set(links.values_list("member_id", flat=True))
    link_model.objects.bulk_create(
        link_model(organization=owner.organization, member=member, **{owner_field: owner})
        for member in members
        if member.id not in existing
    )


@transaction.atomic
def service_create(
    *,
    organization: Organization,
    actor: User | None,
    name: str,
    duration_minutes: int = 60,
    price: int = 0,
    buffer_before_minutes: int = 0,
    buffer_after_minutes: int = 0,
    description: str = "",
    staff: Iterable[Membership] = (),
    is_active: bool = True,
) -> Service:
    service_check(
        organization=organization,
        name=name,
        duration_minutes=duration_minutes,
        price=price,
        buffer_before_minutes=buffer_before_minutes,
        buffer_after_minutes=buffer_after_minutes,
    )
    service = Service.objects.create(
        organization=organization,
        name=name.strip(),
        description=description,
        duration_minutes=duration_minutes,
        price=price,
        buffer_before_minutes=buffer_before_minutes,
        buffer_after_minutes=buffer_after_minutes,
        is_active=is_active,
    )
    _members_link(ServiceStaff, owner_field="service", owner=service, members=staff, field="staff")
    activity_record(organization=organization, actor=actor, verb="service.created", target=service, summary=name)
    return service


@transaction.atomic
def service_update(
    *, service: Service, actor: User | None, staff: Iterable[Membership] | None = None, **fields
) -> Service:
    """Change a service; bookings already made keep their times."""
    for field, value in fields.items():
        setattr(service, field, value.strip() if field == "name" else value)
    service_check(
        organization=service.organization,
        name=service.name,
        duration_minutes=service.duration_minutes,
        price=service.price,
        buffer_before_minutes=service.buffer_before_minutes,
        buffer_after_minutes=service.buffer_after_minutes,
        service_id=service.pk,
    )
    service.save()
    if staff is not None:
        _members_link(ServiceStaff, owner_field="service", owner=service, members=staff, field="staff")
    activity_record(
        organization=service.organization, actor=actor, verb="service.updated", target=service, summary=service.name
    )
    return service


# Bookings ---------------------------------------------------------------------------


def _booking_times(
    starts_at: datetime, ends_at: datetime | None, service: Service | None
) -> tuple[datetime, datetime, datetime, datetime]:
    if timezone.is_naive(starts_at) or (ends_at is not None and timezone.is_naive(ends_at)):
        raise ValidationError({"starts_at": ["Give times with their UTC offset or time zone."]})
    if ends_at is None:
        if service is None:
            raise ValidationError({"ends_at": ["Give an end time, or a service whose length sets it."]})
        ends_at = starts_at + timedelta(minutes=service.duration_minutes)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": ["The end must be after the start."]})
    if ends_at - starts_at > MAX_BOOKING_LENGTH:
        raise ValidationError({"ends_at": ["A booking lasts at most 24 hours; book longer work as several visits."]})
    before = timedelta(minutes=service.buffer_before_minutes if service else 0)
    after = timedelta(minutes=service.buffer_after_minutes if service else 0)
    return starts_at, ends_at, starts_at - before, ends_at + after


def _booking_relations_check(booking: Booking) -> None:
    organization = booking.organization
    for field in ("staff", "contact", "service", "job"):
        _same_organization(organization, field, getattr(booking, field))
    if booking.contact is not None and booking.contact.deleted_at is not None:
        raise ValidationError({"contact": ["This contact is deleted."]})
    service = booking.service
    named = selectors.service_staff_ids(service) if service is not None else []
    if named and booking.staff_id not in named:
        raise ValidationError({"staff": [f"{_member_name(booking.staff)} does not do “{service.name}”."]})


def _member_name(member: Membership) -> str:
    return member.user.full_name or member.user.email


def _booking_save(booking: Booking, *, outside_hours_ok: bool) -> Booking:
    """Insert or update, turning the database's refusal of an overlap into a BookingConflict."""
    if booking.status != BookingStatus.CANCELLED:
        conflicting = selectors.booking_conflicting(booking)
        if conflicting is not None:
            raise BookingConflict(conflicting)
        if not outside_hours_ok and not selectors.booking_fits_availability(booking):
            raise ValidationError(
                {"starts_at": [f"{_member_name(booking.staff)} is not available for the whole of that time."]}
            )
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION:
            # Another request took the time between our check and our insert.
            raise BookingConflict(selectors.booking_conflicting(booking)) from error
        raise
    return booking


@transaction.atomic
def booking_create(
    *,
    organization: Organization,
    actor: User | None,
    staff: Membership,
    starts_at: datetime,
    ends_at: datetime | None = None,
    service: Service | None = None,
    contact: Contact | None = None,
    job: Job | None = None,
    status: str = BookingStatus.CONFIRMED,
    notes: str = "",
    source: str = BookingSource.STAFF,
    outside_hours_ok: bool = True,
    occurrence: datetime | None = None,
) -> Booking:
    """Book ``staff``'s time. ``outside_hours_ok=False`` (client bookings) also requires the
    time to be inside the staff member's availability."""
    if status not in (BookingStatus.TENTATIVE, BookingStatus.CONFIRMED):
        raise ValidationError({"status": ["A new booking is tentative or confirmed."]})
    if contact is None and job is not None:
        contact = job.contact
    starts_at, ends_at, blocked_from, blocked_until = _booking_times(starts_at, ends_at, service)
    booking = Booking(
        organization=organization,
        staff=staff,
        contact=contact,
        service=service,
        job=job,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_from=blocked_from,
        blocked_until=blocked_until,
        status=status,
        source=source,
        notes=notes,
        occurrence=occurrence,
        created_by=actor,
    )
    _booking_relations_check(booking)
    _booking_save(booking, outside_hours_ok=outside_hours_ok)
    activity_record(
        organization=organization,
        actor=actor,
        verb="booking.created",
        target=booking,
        summary=f"Booked {_member_name(staff)} at {timezone.localtime(starts_at, organization.timezone):%Y-%m-%d %H:%M}",
    )
    return booking


def _locked_booking(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("organization", "service", "staff__user")
        .get(pk=booking.pk)
    )


@transaction.atomic
def booking_update(*, booking: Booking, actor: User | None, **fields) -> Booking:
    """Change what a booking is about (notes, contact); times change through booking_reschedule."""
    booking = _locked_booking(booking)
    for field, value in fields.items():
        setattr(booking, field, value)
    _booking_relations_check(booking)
    booking.sequence += 1
    booking.save()
    activity_record(organization=booking.organization, actor=actor, verb="booking.updated", target=booking)
    return booking


@transaction.atomic
def booking_reschedule(
    *,
    booking: Booking,
    actor: User | None,
    starts_at: datetime,
    ends_at: datetime | None = None,
    staff: Membership | None = None,
    reason: str = "",
    outside_hours_ok: bool = True,
) -> Booking:
    booking = _locked_booking(booking)
    if booking.status not in (BookingStatus.TENTATIVE, BookingStatus.CONFIRMED):
        raise ValidationError({"status": [f"A {booking.get_status_display().lower()} booking cannot be moved."]})
    if ends_at is None:
        ends_at = starts_at + (booking.ends_at - booking.starts_at)
    previous = booking.starts_at
    booking.starts_at, booking.ends_at, booking.blocked_from, booking.blocked_until = _booking_times(
        starts_at, ends_at, booking.service
    )
    if staff is not None:
        booking.staff = staff
    _booking_relations_check(booking)
    booking.sequence += 1
    _booking_save(booking, outside_hours_ok=outside_hours_ok)
    tz = booking.organization.timezone
    activity_record(
        organization=booking.organization,
        actor=actor,
        verb="booking.rescheduled",
        target=booking,
        summary=f"Moved from {timezone.localtime(previous, tz):%Y-%m-%d %H:%M} "
        f"to {timezone.localtime(booking.starts_at, tz):%Y-%m-%d %H:%M}",
        data={"reason": reason, "from": previous.isoformat(), "to": booking.starts_at.isoformat()},
    )
    return booking


@transaction.atomic
def booking_transition(*, booking: Booking, actor: User | None, to_status: str, reason: str = "") -> Booking:
    booking = _locked_booking(booking)
    _transition_check(BOOKING_TRANSITIONS, booking.status, to_status, lambda s: BookingStatus(s).label)
    booking.status = to_status
    if to_status == BookingStatus.CANCELLED:
        booking.cancelled_at = timezone.now()
        booking.cancel_reason = reason[:300]
    booking.sequence += 1
    booking.save()  # nothing leaves the cancelled state, so no status here can newly take time
    activity_record(
        organization=booking.organization,
        actor=actor,
        verb=f"booking.{to_status}",
        target=booking,
        summary=reason[:300],
        data={"status": to_status, "reason": reason},
    )
    return booking


def booking_cancel(*, booking: Booking, actor: User | None, reason: str = "") -> Booking:
    return booking_transition(booking=booking, actor=actor, to_status=BookingStatus.CANCELLED, reason=reason)


# Jobs -------------------------------------------------------------------------------


def _recurrence_check(rule: str, start: datetime | None, duration: int | None) -> None:
    if not rule:
        return
    errors = {}
    try:
        parsed = rrule.rrulestr(rule, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError) as error:
        raise ValidationError({"recurrence_rule": [f"Not a recurrence rule: {error}."]}) from error
    if "DTSTART" in rule.upper() or rrule.FREQNAMES[parsed._freq] not in RECURRENCE_FREQUENCIES:
        errors["recurrence_rule"] = ["Use FREQ=DAILY, WEEKLY or MONTHLY (with INTERVAL, BYDAY...), without DTSTART."]
    if start is None:
        errors["recurrence_start"] = ["A recurring job needs the date and time of its first visit."]
    if not duration:
        errors["visit_duration_minutes"] = ["A recurring job needs the length of its visits."]
    if errors:
        raise ValidationError(errors)


def _line_items_set(job: Job, items: Sequence[LineItem]) -> None:
    for item in items:
        _same_organization(job.organization, "line_items", item.service)
    JobLineItem.objects.filter(job=job).delete()
    JobLineItem.objects.bulk_create(
        JobLineItem(
            organization=job.organization,
            job=job,
            service=item.service,
            description=item.description,
            quantity=item.quantity,
            unit_price=item.unit_price,
            position=position,
        )
        for position, item in enumerate(items)
    )


def _status_change_record(job: Job, actor: User | None, from_status: str, reason: str = "") -> None:
    JobStatusChange.objects.create(
        organization=job.organization,
        job=job,
        from_status=from_status,
        to_status=job.status,
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def job_create(
    *,
    organization: Organization,
    actor: User | None,
    contact: Contact,
    title: str,
    description: str = "",
    notes: str = "",
    assignees: Iterable[Membership] = (),
    line_items: Sequence[LineItem] = (),
    recurrence_rule: str = "",
    recurrence_start: datetime | None = None,
    visit_duration_minutes: int | None = None,
    address: dict[str, str] | None = None,
) -> Job:
    _same_organization(organization, "contact", contact)
    _recurrence_check(recurrence_rule, recurrence_start, visit_duration_minutes)
    job = Job.objects.create(
        organization=organization,
        contact=contact,
        title=title.strip(),
        description=description,
        notes=notes,
        recurrence_rule=recurrence_rule,
        recurrence_start=recurrence_start,
        visit_duration_minutes=visit_duration_minutes,
        created_by=actor,
        **{field: (address or {}).get(field, "") for field in JOB_ADDRESS_FIELDS},
    )
    _members_link(JobAssignee, owner_field="job", owner=job, members=assignees, field="assignees")
    _line_items_set(job, line_items)
    _status_change_record(job, actor, "")
    activity_record(organization=organization, actor=actor, verb="job.created", target=job, summary=job.title)
    if recurrence_rule:
        transaction.on_commit(lambda: _visits_generate_later(job))
    return job


def _visits_generate_later(job: Job) -> None:
    from scheduling.tasks import job_visits_generate_run

    job_visits_generate_run.delay(organization_id=job.organization_id, job_id=job.id)


@transaction.atomic
def job_update(
    *,
    job: Job,
    actor: User | None,
    assignees: Iterable[Membership] | None = None,
    line_items: Sequence[LineItem] | None = None,
    **fields,
) -> Job:
    """Change a job's details; its status changes only through job_transition."""
    job = Job.objects.select_for_update().select_related("organization").get(pk=job.pk)
    if "contact" in fields:
        _same_organization(job.organization, "contact", fields["contact"])
    for field, value in fields.items():
        setattr(job, field, value)
    _recurrence_check(job.recurrence_rule, job.recurrence_start, job.visit_duration_minutes)
    job.save()
    if assignees is not None:
        _members_link(JobAssignee, owner_field="job", owner=job, members=assignees, field="assignees")
    if line_items is not None:
        _line_items_set(job, line_items)
    activity_record(organization=job.organization, actor=actor, verb="job.updated", target=job, summary=job.title)
    if {"recurrence_rule", "recurrence_start", "visit_duration_minutes"} & set(fields) and job.recurrence_rule:
        transaction.on_commit(lambda: _visits_generate_later(job))
    return job


@transaction.atomic
def job_transition(*, job: Job, actor: User | None, to_status: str, reason: str = "") -> Job:
    """Move a job along its allowed statuses, recording who and when. Cancelling a job
    cancels its visits still to come."""
    job = Job.objects.select_for_update().select_related("organization").get(pk=job.pk)
    _transition_check(JOB_TRANSITIONS, job.status, to_status, lambda s: JobStatus(s).label)
    previous, job.status = job.status, to_status
    job.save(update_fields=["status", "updated_at"])
    _status_change_record(job, actor, previous, reason[:300])
    if to_status == JobStatus.CANCELLED:
        upcoming = job.visits.filter(
            starts_at__gt=timezone.now(), status__in=(BookingStatus.TENTATIVE, BookingStatus.CONFIRMED)
        )
        for visit in upcoming:
            booking_cancel(booking=visit, actor=actor, reason=f"The job was cancelled. {reason}".strip())
    activity_record(
        organization=job.organization,
        actor=actor,
        verb="job.status_changed",
        target=job,
        summary=f"{JobStatus(previous).label} → {JobStatus(to_status).label}",
        data={"from": previous, "to": to_status, "reason": reason},
    )
    return job


@transaction.atomic
def job_attachment_add(
    *, job: Job, actor: User | None, file_name: str, content_type: str, size: int, url: str = ""
) -> JobAttachment:
    attachment = JobAttachment.objects.create(
        organization=job.organization,
        job=job,
        file_name=file_name,
        content_type=content_type,
        size=size,
        url=url,
        uploaded_by=actor,
    )
    activity_record(
        organization=job.organization, actor=actor, verb="job.attachment_added", target=job, summary=file_name
    )
    return attachment


def job_occurrences(job: Job, *, after: datetime, until: datetime) -> list[datetime]:
    """The starts of a recurring job's visits in (after, until], as aware datetimes.

    The rule runs over the organization's wall-clock times, so a weekly 9:00 visit stays
    at 9:00 across a daylight-saving change."""
    tz = job.organization.timezone
    first_local = timezone.localtime(job.recurrence_start, tz).replace(tzinfo=None)
    rule = rrule.rrulestr(job.recurrence_rule, dtstart=first_local)
    after_local = timezone.localtime(after, tz).replace(tzinfo=None)
    until_local = timezone.localtime(until, tz).replace(tzinfo=None)
    starts = []
    for local in rule.xafter(after_local, count=MAX_VISITS_PER_RUN, inc=False):
        if local > until_local:
            break
        starts.append(local.replace(tzinfo=tz))
    return starts


@transaction.atomic
def job_visits_generate(*, job: Job, actor: User | None = None, until: datetime | None = None) -> list[datetime]:
    """Put a recurring job's visits on the calendar up to ``until`` (by default the horizon);
    safe to run twice. Returns the starts that could not be booked (the staff member was busy)."""
    job = Job.objects.select_for_update().select_related("organization").get(pk=job.pk)
    if not job.recurrence_rule or job.status in (JobStatus.CANCELLED, JobStatus.INVOICED):
        return []
    # The first person assigned does the visits.
    lead = JobAssignee.objects.filter(job=job).select_related("member__user").order_by("id").first()
    if lead is None:
        return []
    staff = lead.member
    until = until or timezone.now() + RECURRENCE_HORIZON
    after = job.visits_generated_until or job.recurrence_start - timedelta(seconds=1)
    skipped = []
    for start in job_occurrences(job, after=after, until=until):
        if job.visits.filter(occurrence=start).exists():
            continue
        try:
            booking_create(
                organization=job.organization,
                actor=actor,
                staff=staff,
                starts_at=start,
                ends_at=start + timedelta(minutes=job.visit_duration_minutes),
                job=job,
                source=BookingSource.RECURRENCE,
                occurrence=start,
            )
        except BookingConflict:
            skipped.append(start)
    job.visits_generated_until = until
    job.save(update_fields=["visits_generated_until", "updated_at"])
    if skipped:
        activity_record(
            organization=job.organization,
            actor=actor,
            verb="job.visits_skipped",
            target=job,
            summary=f"{len(skipped)} visit(s) not booked: the staff member was busy",
            data={"starts": [start.isoformat() for start in skipped]},
        )
    return skipped


# Hours, exceptions, time off and the booking policy ---------------------------------


@transaction.atomic
def weekly_hours_set(
    *, organization: Organization, actor: User | None, staff: Membership | None, week: dict[int, list[tuple]]
) -> list[WeeklyHours]:
    """Replace a staff member's (or, without one, the business's) regular week.
    ``week`` maps weekday (0 = Monday) to its ``(start, end)`` time ranges."""
    _same_organization(organization, "staff", staff)
    rows = []
    for weekday, ranges in sorted(week.items()):
        ordered = sorted(ranges)
        for index, (start, end) in enumerate(ordered):
            if end <= start:
                raise ValidationError({"hours": [f"On day {weekday} a range ends before it starts ({start}–{end})."]})
            if index + 1 < len(ordered) and ordered[index + 1][0] < end:
                raise ValidationError({"hours": [f"On day {weekday} two ranges overlap ({start}–{end})."]})
            rows.append(
                WeeklyHours(organization=organization, staff=staff, weekday=weekday, start_time=start, end_time=end)
            )
    WeeklyHours.objects.filter(organization=organization, staff=staff).delete()
    WeeklyHours.objects.bulk_create(rows)
    activity_record(
        organization=organization,
        actor=actor,
        verb="hours.updated",
        target=staff,
        summary=f"Weekly hours of {_member_name(staff) if staff else organization.name}",
    )
    return rows


@transaction.atomic
def date_hours_set(
    *,
    organization: Organization,
    actor: User | None,
    date,
    staff: Membership | None = None,
    ranges: list[dict[str, str]],
    reason: str = "",
) -> DateHours:
    _same_organization(organization, "staff", staff)
    exception, _ = DateHours.objects.update_or_create(
        organization=organization, staff=staff, date=date, defaults={"ranges": ranges, "reason": reason}
    )
    activity_record(
        organization=organization, actor=actor, verb="hours.exception_set", target=exception, summary=reason
    )
    return exception


@transaction.atomic
def time_off_create(
    *,
    organization: Organization,
    actor: User | None,
    starts_at: datetime,
    ends_at: datetime,
    staff: Membership | None = None,
    reason: str = "",
) -> TimeOff:
    _same_organization(organization, "staff", staff)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": ["The end must be after the start."]})
    time_off = TimeOff.objects.create(
        organization=organization, staff=staff, starts_at=starts_at, ends_at=ends_at, reason=reason
    )
    activity_record(organization=organization, actor=actor, verb="time_off.created", target=time_off, summary=reason)
    return time_off


@transaction.atomic
def booking_policy_update(*, organization: Organization, actor: User | None, **fields) -> BookingPolicy:
    policy, _ = BookingPolicy.objects.select_for_update().get_or_create(organization=organization)
    for field, value in fields.items():
        setattr(policy, field, value)
    policy.save()
    activity_record(organization=organization, actor=actor, verb="booking_policy.updated", target=policy, data=fields)
    return policy
