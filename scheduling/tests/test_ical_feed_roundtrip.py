"""The feed, parsed with icalendar, says what the calendar API says: same bookings, times and words."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership
from crm.tests.factories import ContactFactory
from scheduling.models import BookingStatus
from scheduling.tests.calendar_helpers import fetch_feed
from scheduling.tests.factories import BookingFactory, CalendarFeedFactory, JobFactory, ServiceFactory

pytestmark = pytest.mark.django_db

ICAL_STATUS = {"tentative": "TENTATIVE", "confirmed": "CONFIRMED", "completed": "CONFIRMED", "cancelled": "CANCELLED"}


def _shown_by_the_api(client, start: datetime, end: datetime, staff: Membership) -> list[dict]:
    response = client.get(
        "/api/v1/calendar/",
        {"from": start.isoformat(), "to": end.isoformat(), "staff": staff.id, "include_cancelled": "true"},
    )
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _expected_summary(entry: dict) -> str:
    what = entry["job"]["title"] if entry["job"] else entry["service"]["name"]
    return f"{what} with {entry['contact']['name']}"


def test_the_feed_round_trips_what_the_calendar_api_shows(client, owner_client, org, staff_member):
    bob = Membership.objects.get(user=staff_member)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    end = start + timedelta(days=14)
    jane = ContactFactory(organization=org, first_name="Jane", last_name="Doe")
    job = JobFactory(organization=org, title="Replace water heater", contact=jane, address_line1="12 Main St")
    BookingFactory(
        organization=org,
        staff=bob,
        contact=jane,
        service=ServiceFactory(organization=org, name="Boiler service"),
        starts_at=start + timedelta(hours=2),
        notes="Side gate is open.",
    )
    BookingFactory(
        organization=org, staff=bob, contact=jane, job=job, service=None, starts_at=start + timedelta(days=2)
    )
    BookingFactory(
        organization=org, staff=bob, starts_at=start + timedelta(days=3), status=BookingStatus.TENTATIVE, sequence=1
    )
    BookingFactory(
        organization=org, staff=bob, starts_at=start + timedelta(days=4, hours=3), status=BookingStatus.CANCELLED
    )
    BookingFactory(organization=org, starts_at=start + timedelta(days=1))  # someone else's
    BookingFactory(organization=org, staff=bob, starts_at=end + timedelta(days=1))  # after the window
    feed = CalendarFeedFactory(organization=org, staff=bob)

    entries = _shown_by_the_api(owner_client, start, end, bob)
    events = {str(event["UID"]): event for event in fetch_feed(client, feed).events if start <= event.start < end}

    assert len(entries) == 4
    assert sorted(events) == sorted(f"booking-{entry['id']}@127.0.0.1" for entry in entries)
    for entry in entries:
        event = events[f"booking-{entry['id']}@127.0.0.1"]
        assert event.start == datetime.fromisoformat(entry["starts_at"])
        assert event.end == datetime.fromisoformat(entry["ends_at"])
        assert event["DTSTART"].params["TZID"] == "America/New_York"
        assert str(event["STATUS"]) == ICAL_STATUS[entry["status"]]
        assert str(event["SUMMARY"]) == _expected_summary(entry)
        assert str(event.get("DESCRIPTION", "")) == entry["notes"]
        assert entry["staff"] == bob.id
