"""Calendar sync: the private feeds we publish and the outside calendars we read busy time from.

Feeds are addresses with a secret token (``/calendar/<token>.ics``): the token is the
credential, so a feed is revoked rather than edited. External calendars are read from
their address by a worker every half hour (``scheduling.tasks``) or from an uploaded
file; each read replaces that calendar's busy blocks, which the slot finder counts as
busy. Only times are kept, never what the events were.
"""

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.services import activity_record
from scheduling import ical
from scheduling.models import BusyBlock, CalendarFeed, ExternalCalendar, ExternalCalendarStatus
from scheduling.providers import ical_url
from scheduling.providers.ical_url import CalendarFetchError

# What a read keeps: from a day back (what is going on now) to a year ahead.
SYNC_PAST = timedelta(days=1)
SYNC_AHEAD = timedelta(days=365)
MAX_UPLOAD_BYTES = ical_url.MAX_BYTES
EXTERNAL_CALENDAR_FIELDS = ("staff", "name", "url")


def _same_organization(organization: Organization, field: str, member: Membership | None) -> None:
    if member is not None and member.organization_id != organization.id:
        raise ValidationError({field: ["Not found in this organization."]})


# Feeds ---------------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_create(*, organization: Organization, actor: User | None, staff: Membership | None) -> CalendarFeed:
    """A new private address: one staff member's bookings, or without one, the whole business's."""
    _same_organization(organization, "staff", staff)
    feed = CalendarFeed.objects.create(organization=organization, staff=staff)
    whose = f"{staff.user.email}'s bookings" if staff is not None else "all bookings"
    activity_record(
        organization=organization, actor=actor, verb="calendar_feed.created", target=feed, summary=f"Feed of {whose}"
    )
    return feed


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed, actor: User | None) -> CalendarFeed:
    """The address stops working at once; subscribers keep what they had last read."""
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        activity_record(organization=feed.organization, actor=actor, verb="calendar_feed.revoked", target=feed)
    return feed


# External calendars --------------------------------------------------------------------


def external_calendar_url_clean(url: str) -> str:
    """An address as typed or pasted: webcal:// (what Apple and Google show) is read as https://."""
    url = url.strip()
    if not url:
        return ""
    scheme, separator, rest = url.partition("://")
    if separator and scheme.lower() in ("webcal", "webcals"):
        url = f"https://{rest}"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise ValidationError({"url": ["Give the calendar's iCalendar address, starting with https://."]}) from error
    if len(url) > ExternalCalendar._meta.get_field("url").max_length:
        raise ValidationError({"url": ["This address is too long."]})
    return url


def _sync_soon(calendar: ExternalCalendar) -> None:
    """Read the calendar in a worker once this transaction commits.

    ``robust``: where tasks run in-process (the embedded default), a calendar that
    cannot be read is recorded on the calendar, never an error for the request.
    """
    from scheduling.tasks import external_calendar_sync_run

    def external_calendar_sync_enqueue() -> None:
        external_calendar_sync_run.delay(organization_id=calendar.organization_id, calendar_id=calendar.id)

    transaction.on_commit(external_calendar_sync_enqueue, robust=True)


@transaction.atomic
def external_calendar_create(
    *, organization: Organization, actor: User | None, staff: Membership, name: str, url: str = ""
) -> ExternalCalendar:
    """A staff member's other calendar; one with an address is read straight away, then every half hour."""
    _same_organization(organization, "staff", staff)
    calendar = ExternalCalendar.objects.create(
        organization=organization, staff=staff, name=name.strip(), url=external_calendar_url_clean(url)
    )
    activity_record(
        organization=organization, actor=actor, verb="external_calendar.created", target=calendar, summary=calendar.name
    )
    if calendar.url:
        _sync_soon(calendar)
    return calendar


@transaction.atomic
def external_calendar_update(
    *, calendar: ExternalCalendar, actor: User | None, data: dict[str, Any]
) -> ExternalCalendar:
    """Change the name, the staff member (the busy time moves with it) or the address (read again)."""
    calendar = ExternalCalendar.objects.select_for_update().get(pk=calendar.pk)
    changed = [field for field in EXTERNAL_CALENDAR_FIELDS if field in data]
    if "staff" in data:
        _same_organization(calendar.organization, "staff", data["staff"])
        calendar.staff = data["staff"]
        calendar.busy_blocks.update(staff=calendar.staff)
    if "name" in data:
        calendar.name = data["name"].strip()
    new_url = external_calendar_url_clean(data["url"]) if "url" in data else calendar.url
    if new_url != calendar.url:
        calendar.url = new_url
        calendar.busy_blocks.all().delete()  # what the old address said no longer counts
        calendar.status, calendar.last_error, calendar.last_synced_at = ExternalCalendarStatus.PENDING, "", None
    calendar.save()
    activity_record(
        organization=calendar.organization,
        actor=actor,
        verb="external_calendar.updated",
        target=calendar,
        summary=calendar.name,
        data={"fields": changed},
    )
    if "url" in data and calendar.url:
        _sync_soon(calendar)
    return calendar


@transaction.atomic
def external_calendar_delete(*, calendar: ExternalCalendar, actor: User | None) -> None:
    """Forget the calendar and its busy time."""
    activity_record(
        organization=calendar.organization,
        actor=actor,
        verb="external_calendar.deleted",
        target=calendar,
        summary=calendar.name,
    )
    calendar.delete()


@transaction.atomic
def external_calendar_refresh(*, calendar: ExternalCalendar, actor: User | None) -> ExternalCalendar:
    """Ask for a read now instead of at the next half hour."""
    if not calendar.url:
        raise ValidationError({"url": ["This calendar has no address to read; upload its file instead."]})
    activity_record(
        organization=calendar.organization,
        actor=actor,
        verb="external_calendar.refresh_requested",
        target=calendar,
        summary=calendar.name,
    )
    _sync_soon(calendar)
    return calendar


def _sync_window() -> tuple:
    now = timezone.now()
    return now - SYNC_PAST, now + SYNC_AHEAD


def _busy_intervals(calendar: ExternalCalendar, content: bytes) -> list[ical.Interval]:
    start, end = _sync_window()
    return ical.busy_intervals(content=content, tz=calendar.organization.timezone, start=start, end=end)


def external_calendar_sync(*, calendar: ExternalCalendar) -> ExternalCalendar:
    """Read the calendar's address and replace its busy blocks with what it says now.

    The download happens outside any transaction; the replacement is one. A failure is
    recorded on the calendar (status error, with a message for the business); one that
    may pass soon (a timeout, a 5xx) is raised again afterwards so that a task retries.
    """
    if not calendar.url:
        return calendar
    try:
        intervals = _busy_intervals(calendar, ical_url.fetch(calendar.url))
    except CalendarFetchError as error:
        failed = _sync_failed(calendar, str(error))
        if not error.permanent:
            raise
        return failed
    except ical.CalendarParseError as error:
        return _sync_failed(calendar, f"The address did not give a calendar we can read: {error}")
    return _busy_blocks_replace(calendar, intervals, actor=None, verb="external_calendar.synced")


def external_calendar_upload(*, calendar: ExternalCalendar, actor: User | None, file: File) -> ExternalCalendar:
    """Replace the calendar's busy time with what an exported .ics file shows."""
    name = getattr(file, "name", None) or "The file"
    if calendar.url:
        raise ValidationError({"file": ["This calendar is read from its address; remove the address to upload files."]})
    content = file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [f"“{name}” is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB."]})
    try:
        intervals = _busy_intervals(calendar, content)
    except ical.CalendarParseError as error:
        raise ValidationError({"file": [f"“{name}” cannot be read as a calendar: {error}"]}) from error
    return _busy_blocks_replace(calendar, intervals, actor=actor, verb="external_calendar.uploaded")


@transaction.atomic
def _busy_blocks_replace(
    calendar: ExternalCalendar, intervals: list[ical.Interval], *, actor: User | None, verb: str
) -> ExternalCalendar:
    # The row lock makes two reads of one calendar (a retried task, a click on refresh) take turns.
    locked = ExternalCalendar.objects.select_for_update().filter(pk=calendar.pk).first()
    if locked is None:  # deleted while we were reading it
        return calendar
    locked.busy_blocks.all().delete()
    BusyBlock.objects.bulk_create(
        BusyBlock(
            organization_id=locked.organization_id, calendar=locked, staff_id=locked.staff_id, starts_at=a, ends_at=b
        )
        for begin, finish in intervals
        for a, b in ical.split_interval(begin, finish)
    )
    was = locked.status
    locked.status, locked.last_error, locked.last_synced_at = ExternalCalendarStatus.OK, "", timezone.now()
    locked.save(update_fields=["status", "last_error", "last_synced_at"])
    # A read every half hour would drown the activity log: record uploads, and reads that change the status.
    if actor is not None or was != locked.status:
        activity_record(
            organization=locked.organization,
            actor=actor,
            verb=verb,
            target=locked,
            summary=locked.name,
            data={"intervals": len(intervals)},
        )
    return locked


@transaction.atomic
def _sync_failed(calendar: ExternalCalendar, message: str) -> ExternalCalendar:
    locked = ExternalCalendar.objects.select_for_update().filter(pk=calendar.pk).first()
    if locked is None:
        return calendar
    was = locked.status
    locked.status, locked.last_error = ExternalCalendarStatus.ERROR, message[:500]
    locked.save(update_fields=["status", "last_error"])
    if was != locked.status:
        activity_record(
            organization=locked.organization,
            actor=None,
            verb="external_calendar.sync_failed",
            target=locked,
            summary=f"{locked.name}: {message}",
        )
    return locked
