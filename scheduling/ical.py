"""iCalendar in and out: the feeds we publish, and the busy time we read from other calendars.

A feed is what Google, Apple and Outlook subscribe to. They poll it, replace what they
had with what it says, and match events by UID, so a booking keeps one UID for life,
its SEQUENCE grows with each change, and a cancelled booking stays in the feed for a
while as CANCELLED so that every client notices. Times are written in the
organization's time zone with a VTIMEZONE, so 9:00 stays 9:00 across a DST change.

An external calendar is read for busy time only: each event becomes an interval, its
title and everything else are dropped on the spot.
"""

import itertools
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from scheduling.models import MAX_BUFFER_MINUTES, MAX_BUSY_BLOCK, Booking, BookingStatus, CalendarFeed
from scheduling.selectors import merge_intervals

PRODID = "-//Bizbox//Bookings//EN"
# What a feed shows: a month back (what just happened) to a year ahead.
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=365)
# A hint to subscribers; Google polls at its own pace (several hours) whatever we ask.
FEED_REFRESH = timedelta(hours=1)

# The slot finder reads busy blocks from its window's start less a day, so none may be longer.
# Past this many events in the window a calendar is more likely a runaway rule than a diary.
MAX_OCCURRENCES = 10_000

Interval = tuple[datetime, datetime]

_ICAL_STATUS = {BookingStatus.TENTATIVE: "TENTATIVE", BookingStatus.CANCELLED: "CANCELLED"}


class CalendarParseError(ValueError):
    """The content is not an iCalendar file we can read; the message says why, for a person."""


# Feeds ---------------------------------------------------------------------------------


def _site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "bizbox.localhost"


def booking_uid(booking_id: int) -> str:
    """The UID of a booking's event: stable for the booking's whole life, unique across sites."""
    return f"booking-{booking_id}@{_site_host()}"


def feed_url(feed: CalendarFeed) -> str:
    return settings.SITE_URL + reverse("calendar-feed", kwargs={"token": feed.token})


def feed_webcal_url(feed: CalendarFeed) -> str:
    """The same address as webcal://, which makes Apple's and Outlook's apps offer to subscribe."""
    return "webcal://" + feed_url(feed).split("://", 1)[1]


def feed_window(now: datetime) -> Interval:
    return now - FEED_PAST, now + FEED_AHEAD


def feed_bookings(*, feed: CalendarFeed, start: datetime, end: datetime) -> QuerySet[Booking]:
    """The bookings a feed shows, with everything their events need in the same query."""
    bookings = Booking.objects.filter(organization_id=feed.organization_id, starts_at__gte=start, starts_at__lt=end)
    if feed.staff_id is not None:
        # blocked_from bounds the staff index range: it is at most one buffer before the start.
        reach = timedelta(minutes=MAX_BUFFER_MINUTES)
        bookings = bookings.filter(staff_id=feed.staff_id, blocked_from__gte=start - reach, blocked_from__lt=end)
    # A booking cancelled long ago has been seen as cancelled by every subscriber by now.
    bookings = bookings.exclude(status=BookingStatus.CANCELLED, updated_at__lt=start)
    return bookings.select_related("service", "contact", "job", "staff__user").order_by("starts_at", "id")


def feed_name(feed: CalendarFeed) -> str:
    if feed.staff is None:
        return feed.organization.name
    return f"{feed.organization.name}: {_person(feed.staff.user)}"


def _person(user) -> str:
    return user.full_name or user.email


def booking_summary(booking: Booking) -> str:
    """A job visit is called by its job; an appointment by its service; both add the client."""
    if booking.job is not None:
        what = booking.job.title
    elif booking.service is not None:
        what = booking.service.name
    else:
        what = "Booking"
    return f"{what} with {booking.contact.display_name}" if booking.contact is not None else what


def booking_location(booking: Booking) -> str:
    job = booking.job
    if job is None:
        return ""
    parts = [job.address_line1, job.address_line2, job.city, " ".join(filter(None, [job.region, job.postal_code]))]
    return ", ".join(part for part in parts if part)


def _description(booking: Booking, *, with_staff: bool) -> str:
    lines = [booking.notes.strip()] if booking.notes.strip() else []
    if with_staff:
        lines.append(f"Staff: {_person(booking.staff.user)}")
    return "\n\n".join(lines)


def booking_event(booking: Booking, *, tz: ZoneInfo, now: datetime, with_staff: bool) -> icalendar.Event:
    cancelled = booking.status == BookingStatus.CANCELLED
    return icalendar.Event.new(
        uid=booking_uid(booking.id),
        stamp=now,
        start=booking.starts_at.astimezone(tz),
        end=booking.ends_at.astimezone(tz),
        summary=booking_summary(booking),
        location=booking_location(booking) or None,
        description=_description(booking, with_staff=with_staff) or None,
        status=_ICAL_STATUS.get(booking.status, "CONFIRMED"),
        transparency="TRANSPARENT" if cancelled else "OPAQUE",
        sequence=booking.sequence,
        created=booking.created_at,
        last_modified=booking.updated_at,
    )


def feed_calendar(*, feed: CalendarFeed, bookings: Iterable[Booking], start: datetime, end: datetime, now: datetime):
    """The VCALENDAR of a feed; ``feed`` comes with its organization and staff member's user."""
    tz = feed.organization.timezone
    name = feed_name(feed)
    calendar = icalendar.Calendar.new(
        prodid=PRODID,
        calscale="GREGORIAN",
        method="PUBLISH",
        name=name,
        uid=f"feed-{feed.id}@{_site_host()}",
        refresh_interval=FEED_REFRESH,
    )
    calendar.add("X-WR-TIMEZONE", tz.key)
    calendar.add("X-PUBLISHED-TTL", FEED_REFRESH)  # Outlook's spelling of the refresh hint
    calendar.add_component(
        icalendar.Timezone.from_tzinfo(tz, tzid=tz.key, first_date=start.date(), last_date=end.date() + timedelta(1))
    )
    for booking in bookings:
        calendar.add_component(booking_event(booking, tz=tz, now=now, with_staff=feed.staff_id is None))
    return calendar


def feed_ics(*, feed: CalendarFeed, now: datetime | None = None) -> bytes:
    """The feed as a file, in a constant number of queries whatever its size."""
    now = now or timezone.now()
    start, end = feed_window(now)
    bookings = feed_bookings(feed=feed, start=start, end=end)
    return feed_calendar(feed=feed, bookings=bookings, start=start, end=end, now=now).to_ical()


# External calendars --------------------------------------------------------------------


def parse_calendar(content: bytes) -> icalendar.Calendar:
    content = content.removeprefix(b"\xef\xbb\xbf")
    try:
        calendar = icalendar.Calendar.from_ical(content)
    except ValueError as error:
        raise CalendarParseError("it is not in iCalendar format (.ics).") from error
    if calendar.name != "VCALENDAR":
        raise CalendarParseError("it does not start with BEGIN:VCALENDAR.")
    return calendar


def busy_intervals(*, content: bytes, tz: ZoneInfo, start: datetime, end: datetime) -> list[Interval]:
    """The busy time a calendar file shows between start and end, merged, times only.

    Recurring events are expanded; free (TRANSP:TRANSPARENT) and cancelled events are
    left out; an all-day event blocks whole days in ``tz``, as does a floating time.
    """
    calendar = parse_calendar(content)
    intervals: list[Interval] = []
    for occurrence in _occurrences(calendar, start):
        begin, finish = _span(occurrence, tz)
        if begin >= end:
            # Occurrences come in order of start; a day's slack covers floating and all-day ones.
            if begin >= end + timedelta(days=1):
                break
            continue
        if finish > start and finish > begin and _holds_time(occurrence):
            intervals.append((max(begin, start), min(finish, end)))
    return merge_intervals(intervals)


def _occurrences(calendar: icalendar.Calendar, start: datetime) -> Iterator[icalendar.Event]:
    query = recurring_ical_events.of(calendar, skip_bad_series=True)
    events = query.after(start)
    try:
        # The file is untrusted input to a third-party parser: whatever it raises means
        # we cannot read the file, and the person who gave it to us must hear that.
        for count, occurrence in enumerate(events, start=1):
            if count > MAX_OCCURRENCES:
                raise CalendarParseError(f"it has more than {MAX_OCCURRENCES} events in the coming year.")
            yield occurrence
    except CalendarParseError:
        raise
    except Exception as error:
        raise CalendarParseError(f"one of its events could not be read ({type(error).__name__}).") from error


def _holds_time(event: icalendar.Event) -> bool:
    transparency = str(event.get("TRANSP", "OPAQUE")).upper()
    status = str(event.get("STATUS", "")).upper()
    return transparency != "TRANSPARENT" and status != "CANCELLED"


def _span(event: icalendar.Event, tz: ZoneInfo) -> Interval:
    return _instant(event.start, tz), _instant(event.end, tz)


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        # A floating time means the wall clock where the business is.
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    return datetime.combine(value, time.min, tzinfo=tz)


def split_interval(begin: datetime, finish: datetime, most: timedelta = MAX_BUSY_BLOCK) -> list[Interval]:
    """Pieces of at most ``most`` each, end to end."""
    cuts = itertools.takewhile(lambda at: at < finish, (begin + most * n for n in itertools.count()))
    return [(at, min(at + most, finish)) for at in cuts]
