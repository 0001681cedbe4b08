"""Reads of the scheduling app: free slots, the calendar, conflicts, the contact timeline.

Free time is worked out in Python from a handful of queries that each read only the
window asked for: hours and exceptions, then bookings, time off and external busy time
inside the window (a booking's blocked time reaches at most ``MAX_BLOCKED_REACH`` before
its start, which bounds the index range read). The cost therefore grows with what is in
the window, never with the organization's whole history.
"""

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from django.db.models import DateTimeField, F, Q, QuerySet, Value
from django.utils import timezone

from accounts.models import Membership, Organization
from accounts.roles import Role
from crm.hooks import TimelineItem
from scheduling.models import (
    MAX_BLOCKED_REACH,
    MAX_BOOKING_LENGTH,
    MAX_BUSY_BLOCK,
    Booking,
    BookingPolicy,
    BookingStatus,
    BusyBlock,
    DateHours,
    Job,
    ServiceStaff,
    TimeOff,
    WeeklyHours,
)

Interval = tuple[datetime, datetime]
Seconds = tuple[float, float]
Moment = TypeVar("Moment", datetime, float)
Ranges = list[tuple[time, time]]
BOOKABLE_ROLES = (Role.OWNER, Role.ADMIN, Role.STAFF)


# Who can do what ----------------------------------------------------------------------


def service_staff_ids(service) -> list[int]:
    """The members named for a service; none when it is open to every bookable member."""
    links = ServiceStaff.objects.filter(organization_id=service.organization_id, service=service)
    return list(links.values_list("member_id", flat=True))


def bookable_member_ids(organization: Organization) -> list[int]:
    return list(
        Membership.objects.filter(organization=organization, role__in=BOOKABLE_ROLES)
        .order_by("id")
        .values_list("id", flat=True)
    )


def booking_policy(organization: Organization) -> BookingPolicy:
    return BookingPolicy.objects.filter(organization=organization).first() or BookingPolicy(organization=organization)


# Availability -------------------------------------------------------------------------


@dataclass
class Availability:
    """Everything that decides one window's free time, loaded in a constant number of queries.

    Busy and open times are (start, end) pairs of POSIX seconds: the slot finder's arithmetic
    on floats is the same as on UTC datetimes and several times cheaper."""

    tz: ZoneInfo
    weekly: dict[int | None, dict[int, Ranges]] = field(default_factory=dict)
    dated: dict[tuple[int | None, date], Ranges] = field(default_factory=dict)
    busy: dict[int, list[Seconds]] = field(default_factory=lambda: defaultdict(list))
    _moments: dict[tuple[date, time], float] = field(default_factory=dict)

    def hours(self, staff_id: int, day: date) -> Ranges:
        """The staff member's working ranges that day, inside the business's opening hours.

        A staff member without hours of their own works the business's hours; a business
        without opening hours does not limit its staff's."""
        own = self._ranges(staff_id, day)
        business = self._ranges(None, day)
        if own is None:
            return business or []
        if business is None:
            return own
        return _intersect(own, business)

    def _ranges(self, staff_id: int | None, day: date) -> Ranges | None:
        if (staff_id, day) in self.dated:
            return self.dated[(staff_id, day)]
        week = self.weekly.get(staff_id)
        return None if week is None else week.get(day.weekday(), [])

    def open_intervals(self, staff_id: int, start: datetime, end: datetime) -> list[Seconds]:
        """Working time of one staff member overlapping [start, end), in POSIX seconds."""
        intervals = []
        first, last = start.timestamp(), end.timestamp()
        day, last_day = start.astimezone(self.tz).date() - timedelta(days=1), end.astimezone(self.tz).date()
        while day <= last_day:
            for opens, closes in self.hours(staff_id, day):
                interval = (self._at(day, opens), self._at(day, closes))
                if interval[0] < last and interval[1] > first:
                    intervals.append(interval)
            day += timedelta(days=1)
        return intervals

    def _at(self, day: date, moment: time) -> float:
        """A wall-clock time on a date in the business's zone, in POSIX seconds (staff mostly
        share their opening times, so each is worked out once). A time that a DST change
        skips is read with the offset before the change, as zoneinfo does."""
        seconds = self._moments.get((day, moment))
        if seconds is None:
            seconds = self._moments[(day, moment)] = datetime.combine(day, moment, tzinfo=self.tz).timestamp()
        return seconds

    def free(self, staff_id: int, blocked: Interval) -> bool:
        """Whether nothing the staff member is busy with overlaps ``blocked``."""
        busy = self.busy.get(staff_id, [])
        blocked_from, blocked_until = blocked[0].timestamp(), blocked[1].timestamp()
        index = bisect.bisect_right(busy, blocked_from, key=lambda interval: interval[1])
        return index == len(busy) or busy[index][0] >= blocked_until


def _intersect(first: Ranges, second: Ranges) -> Ranges:
    return [
        (max(a_start, b_start), min(a_end, b_end))
        for a_start, a_end in first
        for b_start, b_end in second
        if max(a_start, b_start) < min(a_end, b_end)
    ]


def _parse_ranges(ranges: list[dict[str, str]]) -> Ranges:
    return sorted((time.fromisoformat(item["start"]), time.fromisoformat(item["end"])) for item in ranges)


def merge_intervals(intervals: Iterable[tuple[Moment, Moment]]) -> list[tuple[Moment, Moment]]:
    """Overlapping or touching intervals as one, in order."""
    merged: list[tuple[Moment, Moment]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _for_staff(staff_ids: list[int]) -> Q:
    return Q(staff_id__in=staff_ids) | Q(staff__isnull=True)


def availability_load(
    *,
    organization: Organization,
    staff_ids: list[int],
    start: datetime,
    end: datetime,
    with_bookings: bool = True,
) -> Availability:
    """The hours, exceptions and busy time of ``staff_ids`` around [start, end)."""
    tz = organization.timezone
    availability = Availability(tz=tz)
    for row in WeeklyHours.objects.filter(_for_staff(staff_ids), organization=organization).values_list(
        "staff_id", "weekday", "start_time", "end_time"
    ):
        staff_id, weekday, opens, closes = row
        availability.weekly.setdefault(staff_id, {}).setdefault(weekday, []).append((opens, closes))
    first_day, last_day = start.astimezone(tz).date() - timedelta(days=1), end.astimezone(tz).date() + timedelta(days=1)
    for staff_id, day, ranges in DateHours.objects.filter(
        _for_staff(staff_ids), organization=organization, date__range=(first_day, last_day)
    ).values_list("staff_id", "date", "ranges"):
        availability.dated[(staff_id, day)] = _parse_ranges(ranges)

    # Bookings, time off and external busy time come back in one query, each blocked time as
    # intervals from the window's start: Django parses each timestamp in Python (the largest
    # cost of a busy month), psycopg an interval in C. No ORDER BY: merge_intervals sorts.
    origin = start.astimezone(UTC)  # aware arithmetic in a local zone would move across DST changes
    parts = [
        _blocked_from_origin(
            TimeOff.objects.filter(
                _for_staff(staff_ids), organization=organization, starts_at__lt=end, ends_at__gt=start
            ),
            origin,
        ),
        _blocked_from_origin(
            BusyBlock.objects.filter(
                organization=organization,
                staff_id__in=staff_ids,
                starts_at__gte=start - MAX_BUSY_BLOCK,
                starts_at__lt=end,
                ends_at__gt=start,
            ),
            origin,
        ),
    ]
    if with_bookings:
        bookings = Booking.objects.filter(
            organization=organization,
            staff_id__in=staff_ids,
            blocked_from__gte=start - MAX_BLOCKED_REACH,
            blocked_from__lt=end,
            blocked_until__gt=start,
        ).exclude(status=BookingStatus.CANCELLED)
        parts.append(_blocked_from_origin(bookings, origin, "blocked_from", "blocked_until"))
    at = origin.timestamp()
    busy: dict[int | None, list[Seconds]] = defaultdict(list)
    for staff_id, from_origin, until_origin in parts[0].union(*parts[1:], all=True):
        busy[staff_id].append((at + from_origin.total_seconds(), at + until_origin.total_seconds()))
    closed = busy.pop(None, [])
    for staff_id in staff_ids:
        availability.busy[staff_id] = merge_intervals([*busy.get(staff_id, []), *closed])
    return availability


def _blocked_from_origin(
    rows: QuerySet, origin: datetime, starts: str = "starts_at", ends: str = "ends_at"
) -> QuerySet:
    """(staff, start, end) of each row, the times as intervals from ``origin``."""
    at_origin = Value(origin, output_field=DateTimeField())
    return rows.order_by().values_list("staff_id", F(starts) - at_origin, F(ends) - at_origin)


class Slot(NamedTuple):
    start: datetime
    end: datetime
    staff: list[int]


def free_slots(
    *,
    organization: Organization,
    service,
    start: datetime,
    end: datetime,
    staff_ids: list[int] | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """Every start in [start, end) at which the service can be booked, with the staff free then.

    A slot must fit the service inside a staff member's working hours, with the service's
    buffers clear of bookings, time off and external busy time; it starts on a multiple of
    the policy's step from the opening of the working range, no sooner than the lead time
    and no further than the horizon."""
    now = now or timezone.now()
    policy = booking_policy(organization)
    earliest = max(start, now + timedelta(minutes=policy.lead_time_minutes))
    latest = min(end, now + timedelta(days=policy.horizon_days))
    candidates = service_staff_ids(service) or bookable_member_ids(organization)
    if staff_ids is not None:
        candidates = [staff_id for staff_id in candidates if staff_id in set(staff_ids)]
    if not candidates or earliest >= latest:
        return []
    duration = timedelta(minutes=service.duration_minutes)
    before, after = timedelta(minutes=service.buffer_before_minutes), timedelta(minutes=service.buffer_after_minutes)
    availability = availability_load(
        organization=organization, staff_ids=candidates, start=earliest - before, end=latest + duration + after
    )
    # The walk runs in POSIX seconds: the same arithmetic as on UTC datetimes, a few times cheaper.
    step, length = policy.slot_step_minutes * 60, duration.total_seconds()
    lead, tail = before.total_seconds(), after.total_seconds()
    first, last = earliest.timestamp(), latest.timestamp()
    free_by_start: dict[float, list[int]] = defaultdict(list)
    for staff_id in candidates:
        busy = availability.busy[staff_id]
        for opens, closes in availability.open_intervals(staff_id, earliest, latest + duration):
            for moment in _starts(opens, closes, first, last, length, lead, tail, step, busy):
                free_by_start[moment].append(staff_id)
    moments: dict[float, datetime] = {}  # a slot's end is mostly another slot's start

    def at(moment: float) -> datetime:
        if moment not in moments:
            moments[moment] = datetime.fromtimestamp(moment, UTC)
        return moments[moment]

    return [Slot(at(moment), at(moment + length), staff) for moment, staff in sorted(free_by_start.items())]


def _starts(opens, closes, earliest, latest, duration, before, after, step, busy: list[tuple[float, float]]):
    """The starts (in seconds) in one working range whose blocked time is clear of ``busy`` (sorted, merged)."""
    moment = opens if opens >= earliest else opens + step * math.ceil((earliest - opens) / step)
    # Merged busy times have sorted ends too: start at the first one ending after this range's
    # first blocked time, not at the window's first (a walk per range over the whole window).
    index = bisect.bisect_right(busy, moment - before, key=lambda interval: interval[1])
    count = len(busy)
    while moment + duration <= closes and moment < latest:
        blocked_from, blocked_until = moment - before, moment + duration + after
        while index < count and busy[index][1] <= blocked_from:
            index += 1
        if index < count and busy[index][0] < blocked_until:
            # Jump to the first step whose blocked time starts after this busy time ends.
            moment = opens + step * math.ceil((busy[index][1] + before - opens) / step)
            continue
        yield moment
        moment += step


def booking_fits_availability(booking: Booking) -> bool:
    """Whether a booking lies inside its staff member's hours, clear of time off and external busy time."""
    availability = availability_load(
        organization=booking.organization,
        staff_ids=[booking.staff_id],
        start=booking.blocked_from,
        end=booking.blocked_until,
        # Other bookings are the conflict check's (and in the end the database's) business:
        # counting them here would turn a lost race into "not available" instead of a 409.
        with_bookings=False,
    )
    starts, ends = booking.starts_at.timestamp(), booking.ends_at.timestamp()
    inside = any(
        opens <= starts and ends <= closes
        for opens, closes in availability.open_intervals(booking.staff_id, booking.starts_at, booking.ends_at)
    )
    return inside and availability.free(booking.staff_id, (booking.blocked_from, booking.blocked_until))


def booking_conflicting(booking: Booking) -> Booking | None:
    """The holding booking of the same staff member whose blocked time overlaps this one's."""
    overlapping = Booking.objects.filter(
        organization_id=booking.organization_id,
        staff_id=booking.staff_id,
        blocked_from__gte=booking.blocked_from - MAX_BLOCKED_REACH,
        blocked_from__lt=booking.blocked_until,
        blocked_until__gt=booking.blocked_from,
    ).exclude(status=BookingStatus.CANCELLED)
    if booking.pk is not None:
        overlapping = overlapping.exclude(pk=booking.pk)
    return overlapping.order_by("blocked_from").first()


# The calendar -------------------------------------------------------------------------

CALENDAR_FIELDS = (
    "id",
    "staff_id",
    "starts_at",
    "ends_at",
    "status",
    "notes",
    "service_id",
    "service__name",
    "contact_id",
    "contact__first_name",
    "contact__last_name",
    "contact__company",
    "job_id",
    "job__title",
)


def calendar_rows(
    *,
    organization: Organization,
    start: datetime,
    end: datetime,
    staff_ids: list[int] | None = None,
    include_cancelled: bool = False,
) -> list[dict]:
    """The bookings overlapping [start, end) with their service, contact and job, in one query."""
    bookings = Booking.objects.filter(
        organization=organization,
        starts_at__gte=start - MAX_BOOKING_LENGTH,
        starts_at__lt=end,
        ends_at__gt=start,
    )
    if staff_ids:
        bookings = bookings.filter(staff_id__in=staff_ids)
    if not include_cancelled:
        bookings = bookings.exclude(status=BookingStatus.CANCELLED)
    return list(bookings.order_by("starts_at", "id").values(*CALENDAR_FIELDS))


# The contact timeline and merges ----------------------------------------------------------


def _older(rows, at_field: str, before: datetime | None, limit: int):
    if before is not None:
        rows = rows.filter(**{f"{at_field}__lt": before})
    return rows.order_by(f"-{at_field}", "-id")[:limit]


def contact_jobs_timeline(contact, before: datetime | None, limit: int) -> list[TimelineItem]:
    jobs = _older(
        Job.objects.filter(organization_id=contact.organization_id, contact=contact), "created_at", before, limit
    )
    return [
        TimelineItem(
            kind="job", id=job["id"], at=job["created_at"], summary=job["title"], data={"status": job["status"]}
        )
        for job in jobs.values("id", "created_at", "title", "status")
    ]


def contact_bookings_timeline(contact, before: datetime | None, limit: int) -> list[TimelineItem]:
    bookings = _older(
        Booking.objects.filter(organization_id=contact.organization_id, contact=contact), "starts_at", before, limit
    )
    return [
        TimelineItem(
            kind="booking",
            id=row["id"],
            at=row["starts_at"],
            summary=row["service__name"] or row["job__title"] or "Booking",
            data={"status": row["status"], "ends_at": row["ends_at"].isoformat(), "staff": row["staff_id"]},
        )
        for row in bookings.values("id", "starts_at", "ends_at", "status", "staff_id", "service__name", "job__title")
    ]


def contact_scheduling_merge(target, merged) -> None:
    """A merged contact's jobs and bookings become the surviving contact's."""
    Job.objects.filter(organization_id=target.organization_id, contact=merged).update(contact=target)
    Booking.objects.filter(organization_id=target.organization_id, contact=merged).update(contact=target)
