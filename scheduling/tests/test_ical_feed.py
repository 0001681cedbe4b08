"""The private iCalendar feed, read back with the icalendar library as Google, Apple and Outlook would."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from crm.tests.factories import ContactFactory
from scheduling import services
from scheduling.models import BookingStatus
from scheduling.tests.calendar_helpers import events_by_uid, feed_path, fetch_feed, next_dst_change
from scheduling.tests.factories import BookingFactory, CalendarFeedFactory, JobFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(org):
    return MembershipFactory(organization=org, user=UserFactory(email="bob@alpha.example", first_name="Bob"))


def _uid(booking) -> str:
    return f"booking-{booking.id}@127.0.0.1"


def test_the_feed_is_a_calendar_subscribers_accept(client, org, bob):
    feed = CalendarFeedFactory(organization=org, staff=None)
    BookingFactory(organization=org, staff=bob)

    calendar = fetch_feed(client, feed)

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//Bizbox//Bookings//EN"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Alpha Plumbing"
    assert str(calendar["X-WR-TIMEZONE"]) == "America/New_York"
    assert [tz.tz_name for tz in calendar.timezones] == ["America/New_York"]
    assert calendar.get_missing_tzids() == set()
    assert len(calendar.events) == 1


def test_an_appointment_becomes_an_event(client, org, bob):
    contact = ContactFactory(organization=org, first_name="Jane", last_name="Doe")
    booking = BookingFactory(
        organization=org,
        staff=bob,
        contact=contact,
        service=ServiceFactory(organization=org, name="Boiler service"),
        status=BookingStatus.TENTATIVE,
        notes="Side gate is open.",
        sequence=2,
    )
    feed = CalendarFeedFactory(organization=org, staff=bob)

    event = events_by_uid(fetch_feed(client, feed))[_uid(booking)]

    tz = ZoneInfo("America/New_York")
    assert event.start == booking.starts_at and event.start.tzinfo == tz
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event.end == booking.ends_at
    assert str(event["SUMMARY"]) == "Boiler service with Jane Doe"
    assert str(event["DESCRIPTION"]) == "Side gate is open."
    assert str(event["STATUS"]) == "TENTATIVE"
    assert event["SEQUENCE"] == 2
    assert event.decoded("LAST-MODIFIED") == booking.updated_at.replace(microsecond=0)
    assert "DTSTAMP" in event
    assert "LOCATION" not in event


def test_a_job_visit_is_called_by_its_job_and_located_at_its_address(client, org, bob):
    job = JobFactory(
        organization=org,
        title="Replace water heater",
        address_line1="12 Main St",
        city="Chicago",
        region="IL",
        postal_code="60607",
        contact=ContactFactory(organization=org, first_name="Sam", last_name="Lee"),
    )
    visit = BookingFactory(organization=org, staff=bob, job=job, contact=job.contact, service=None)
    feed = CalendarFeedFactory(organization=org, staff=None)

    event = events_by_uid(fetch_feed(client, feed))[_uid(visit)]

    assert str(event["SUMMARY"]) == "Replace water heater with Sam Lee"
    assert str(event["LOCATION"]) == "12 Main St, Chicago, IL 60607"
    assert str(event["DESCRIPTION"]) == "Staff: Bob " + bob.user.last_name


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London"])
def test_nine_o_clock_stays_nine_o_clock_across_a_dst_change(client, zone):
    tz = ZoneInfo(zone)
    organization = OrganizationFactory(timezone=zone)
    staff = MembershipFactory(organization=organization)
    change = next_dst_change(tz, timezone.localdate(timezone.now(), tz) + timedelta(days=3))
    days = [change + timedelta(days=n) for n in range(-3, 4)]
    bookings = [
        BookingFactory(organization=organization, staff=staff, starts_at=datetime.combine(day, time(9), tzinfo=tz))
        for day in days
    ]
    feed = CalendarFeedFactory(organization=organization, staff=staff)

    response = client.get(feed_path(feed))
    events = events_by_uid(fetch_feed(client, feed))

    text = response.content.decode()
    for booking, day in zip(bookings, days, strict=True):
        event = events[_uid(booking)]
        assert event["DTSTART"].params["TZID"] == zone
        assert (event.start.date(), event.start.time()) == (day, time(9))
        assert event.start == booking.starts_at
        assert f"DTSTART;TZID={zone}:{day:%Y%m%d}T090000" in text
    offsets = {booking.starts_at.astimezone(tz).utcoffset() for booking in bookings}
    assert len(offsets) == 2, "the week does cross the change"
    assert [t.tz_name for t in fetch_feed(client, feed).timezones] == [zone]


def test_an_event_keeps_its_uid_and_bumps_its_sequence_when_the_booking_changes(client, org, bob):
    booking = BookingFactory(organization=org, staff=bob)
    feed = CalendarFeedFactory(organization=org, staff=bob)
    before = events_by_uid(fetch_feed(client, feed))[_uid(booking)]

    moved = services.booking_reschedule(booking=booking, actor=None, starts_at=booking.starts_at + timedelta(hours=2))
    after = events_by_uid(fetch_feed(client, feed))

    assert list(after) == [_uid(booking)]
    assert after[_uid(booking)]["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after[_uid(booking)].start == moved.starts_at != before.start


def test_a_cancelled_booking_stays_in_the_feed_as_cancelled(client, org, bob):
    booking = BookingFactory(organization=org, staff=bob)
    feed = CalendarFeedFactory(organization=org, staff=None)

    services.booking_cancel(booking=booking, actor=None, reason="Client is away")
    event = events_by_uid(fetch_feed(client, feed))[_uid(booking)]

    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert event["SEQUENCE"] == 1


def test_completed_and_no_show_bookings_show_as_confirmed(client, org, bob):
    done = BookingFactory(organization=org, staff=bob, status=BookingStatus.COMPLETED)
    missed = BookingFactory(organization=org, staff=bob, status=BookingStatus.NO_SHOW)
    events = events_by_uid(fetch_feed(client, CalendarFeedFactory(organization=org, staff=bob)))

    assert str(events[_uid(done)]["STATUS"]) == str(events[_uid(missed)]["STATUS"]) == "CONFIRMED"


def test_a_staff_feed_shows_only_that_staff_members_bookings(client, org, bob):
    mine = BookingFactory(organization=org, staff=bob)
    theirs = BookingFactory(organization=org)
    feed = CalendarFeedFactory(organization=org, staff=bob)

    calendar = fetch_feed(client, feed)

    assert list(events_by_uid(calendar)) == [_uid(mine)]
    assert str(calendar["X-WR-CALNAME"]) == f"Alpha Plumbing: Bob {bob.user.last_name}"
    assert _uid(theirs) in events_by_uid(fetch_feed(client, CalendarFeedFactory(organization=org, staff=None)))


def test_the_window_is_a_month_back_to_a_year_ahead(client, org, bob):
    now = timezone.now().replace(microsecond=0)
    shown = [
        BookingFactory(organization=org, staff=bob, starts_at=now - timedelta(days=29)),
        BookingFactory(organization=org, staff=bob, starts_at=now + timedelta(days=364)),
    ]
    BookingFactory(organization=org, staff=bob, starts_at=now - timedelta(days=31))
    BookingFactory(organization=org, staff=bob, starts_at=now + timedelta(days=366))

    events = events_by_uid(fetch_feed(client, CalendarFeedFactory(organization=org, staff=bob)))

    assert sorted(events) == sorted(_uid(b) for b in shown)


def test_another_organizations_bookings_never_show(client, org, other_org, bob):
    ours = BookingFactory(organization=org, staff=bob)
    theirs = BookingFactory(organization=other_org, notes="org-b-secret")

    text = client.get(feed_path(CalendarFeedFactory(organization=org, staff=None))).content.decode()
    other = events_by_uid(fetch_feed(client, CalendarFeedFactory(organization=other_org, staff=None)))

    assert _uid(ours) in text and _uid(theirs) not in text and "org-b-secret" not in text
    assert list(other) == [_uid(theirs)]


def test_a_revoked_or_unknown_address_is_not_found(client, org, bob):
    feed = CalendarFeedFactory(organization=org, staff=bob, revoked_at=timezone.now())

    assert client.get(feed_path(feed)).status_code == 404
    assert client.get("/calendar/NoSuchTokenAtAllHere1234.ics").status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404


def test_the_feed_answers_get_and_head_only(client, org):
    feed = CalendarFeedFactory(organization=org, staff=None)

    assert client.head(feed_path(feed)).status_code == 200
    assert client.post(feed_path(feed)).status_code == 405
    assert client.get(feed_path(feed))["Cache-Control"] == "private, max-age=300"


def test_the_feed_takes_the_same_queries_whatever_its_size(client, org, bob):
    feed = CalendarFeedFactory(organization=org, staff=None)
    job = JobFactory(organization=org)
    BookingFactory(organization=org, staff=bob, job=job)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(feed_path(feed)).status_code == 200
        return len(captured)

    few = count()
    for _ in range(8):
        BookingFactory(organization=org, job=JobFactory(organization=org))
    assert count() == few
