"""The slot finder: hours, breaks, buffers, bookings, time off, busy time, policy, DST."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import MembershipFactory, OrganizationFactory
from scheduling import selectors, services
from scheduling.models import BookingPolicy, DateHours, WeeklyHours
from scheduling.tests.conftest import at, next_weekday
from scheduling.tests.factories import BusyBlockFactory, ServiceFactory, TimeOffFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/availability/slots/"
TUESDAY = 1


def _slots(organization, service, start, end, **kwargs) -> list[tuple[str, list[int]]]:
    tz = organization.timezone
    found = selectors.free_slots(organization=organization, service=service, start=start, end=end, **kwargs)
    return [(slot.start.astimezone(tz).strftime("%a %H:%M"), slot.staff) for slot in found]


def _times(slots) -> list[str]:
    return [label.split()[1] for label, _ in slots]


def test_slots_fill_the_working_day_on_the_step(chicago_org, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    slots = _slots(chicago_org, haircut, at(tuesday, 0), at(tuesday, 23), staff_ids=[bob.pk])
    # 9:00 to 17:00, an hour long, every 30 minutes: the last starts at 16:00.
    assert _times(slots) == [f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)][:-1]
    assert all(staff == [bob.pk] for _, staff in slots)


def test_a_lunch_break_splits_the_day(chicago_org, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    WeeklyHours.objects.bulk_create(
        WeeklyHours(organization=chicago_org, staff=bob, weekday=TUESDAY, start_time=start, end_time=end)
        for start, end in ((time(9), time(12)), (time(13), time(15)))
    )
    slots = _slots(chicago_org, haircut, at(tuesday, 0), at(tuesday, 23), staff_ids=[bob.pk])
    assert _times(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00", "13:00", "13:30", "14:00"]


def test_staff_hours_stay_inside_the_business_opening_hours(chicago_org, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    WeeklyHours.objects.create(
        organization=chicago_org, staff=bob, weekday=TUESDAY, start_time=time(7), end_time=time(11)
    )
    slots = _slots(chicago_org, haircut, at(tuesday, 0), at(tuesday, 23), staff_ids=[bob.pk])
    assert _times(slots) == ["09:00", "09:30", "10:00"]


def test_bookings_and_their_buffers_take_slots_away(chicago_org, bob, haircut, owner):
    tuesday = next_weekday(TUESDAY)
    drain = ServiceFactory(organization=chicago_org, duration_minutes=60, buffer_after_minutes=30)
    services.booking_create(organization=chicago_org, actor=owner, staff=bob, starts_at=at(tuesday, 11), service=drain)
    buffered = ServiceFactory(organization=chicago_org, duration_minutes=60, buffer_before_minutes=30)

    plain = _times(_slots(chicago_org, haircut, at(tuesday, 9), at(tuesday, 14), staff_ids=[bob.pk]))
    with_buffer = _times(_slots(chicago_org, buffered, at(tuesday, 9), at(tuesday, 14), staff_ids=[bob.pk]))

    # The booking blocks 11:00-12:30; an hour-long slot must end by 11:00 or start at 12:30.
    assert plain == ["09:00", "09:30", "10:00", "12:30", "13:00", "13:30"]
    # With 30 minutes before, a slot must start 30 minutes after 12:30; a buffer need
    # only be clear of other bookings, not inside the hours (09:00 stays).
    assert with_buffer == ["09:00", "09:30", "10:00", "13:00", "13:30"]


def test_a_cancelled_booking_gives_its_slots_back(chicago_org, bob, haircut, owner):
    tuesday = next_weekday(TUESDAY)
    booking = services.booking_create(
        organization=chicago_org, actor=owner, staff=bob, starts_at=at(tuesday, 10), service=haircut
    )
    services.booking_cancel(booking=booking, actor=owner)
    slots = _times(_slots(chicago_org, haircut, at(tuesday, 9), at(tuesday, 12), staff_ids=[bob.pk]))
    assert slots == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]  # slots that start in the window


def test_time_off_business_closures_and_external_busy_time_are_busy(chicago_org, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    TimeOffFactory(organization=chicago_org, staff=bob, starts_at=at(tuesday, 9), ends_at=at(tuesday, 10))
    TimeOffFactory(organization=chicago_org, staff=None, starts_at=at(tuesday, 12), ends_at=at(tuesday, 13))
    BusyBlockFactory(
        organization=chicago_org, calendar__staff=bob, staff=bob, starts_at=at(tuesday, 14), ends_at=at(tuesday, 17)
    )
    slots = _times(_slots(chicago_org, haircut, at(tuesday, 0), at(tuesday, 23), staff_ids=[bob.pk]))
    assert slots == ["10:00", "10:30", "11:00", "13:00"]


def test_a_date_exception_replaces_the_week(chicago_org, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    wednesday = tuesday + timedelta(days=1)
    DateHours.objects.create(organization=chicago_org, staff=None, date=tuesday, ranges=[], reason="Holiday")
    DateHours.objects.create(
        organization=chicago_org, staff=bob, date=wednesday, ranges=[{"start": "15:00", "end": "17:00"}]
    )
    assert _slots(chicago_org, haircut, at(tuesday, 0), at(tuesday, 23), staff_ids=[bob.pk]) == []
    assert _times(_slots(chicago_org, haircut, at(wednesday, 0), at(wednesday, 23), staff_ids=[bob.pk])) == [
        "15:00",
        "15:30",
        "16:00",
    ]


def test_lead_time_and_horizon_bound_the_slots(chicago_org, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    BookingPolicy.objects.filter(organization=chicago_org).update(lead_time_minutes=60, horizon_days=30)
    now = at(tuesday, 10, 10)
    slots = selectors.free_slots(
        organization=chicago_org,
        service=haircut,
        start=at(tuesday, 0),
        end=at(tuesday, 23),
        staff_ids=[bob.pk],
        now=now,
    )
    assert slots[0].start == at(tuesday, 11, 30)  # the first step after 11:10
    beyond = selectors.free_slots(
        organization=chicago_org,
        service=haircut,
        start=now + timedelta(days=31),
        end=now + timedelta(days=40),
        now=now,
    )
    assert beyond == []


def test_each_slot_lists_every_staff_member_free_then(chicago_org, bob, haircut, owner):
    tuesday = next_weekday(TUESDAY)
    other = MembershipFactory(organization=chicago_org)
    services.booking_create(organization=chicago_org, actor=owner, staff=bob, starts_at=at(tuesday, 9), service=haircut)
    slots = dict(_slots(chicago_org, haircut, at(tuesday, 9), at(tuesday, 10, 30), staff_ids=[bob.pk, other.pk]))
    assert slots == {"Tue 09:00": [other.pk], "Tue 09:30": [other.pk], "Tue 10:00": [bob.pk, other.pk]}


def _dst_org(zone: str):
    organization = OrganizationFactory(timezone=zone)
    organization.refresh_from_db()
    BookingPolicy.objects.create(
        organization=organization, lead_time_minutes=0, horizon_days=3650, slot_step_minutes=60
    )
    for weekday in range(7):
        WeeklyHours.objects.create(
            organization=organization, staff=None, weekday=weekday, start_time=time(9), end_time=time(12)
        )
    return organization, MembershipFactory(organization=organization)


@pytest.mark.parametrize(
    ("zone", "first_day"),
    [
        ("America/New_York", date(2027, 3, 11)),  # clocks go forward on Sunday 14 March 2027
        ("America/New_York", date(2027, 11, 4)),  # and back on Sunday 7 November
        ("Europe/London", date(2027, 3, 25)),  # forward on Sunday 28 March 2027
        ("Europe/London", date(2027, 10, 28)),  # back on Sunday 31 October
    ],
)
def test_opening_hours_keep_their_wall_clock_through_a_dst_week(zone, first_day):
    organization, member = _dst_org(zone)
    tz = ZoneInfo(zone)
    service = ServiceFactory(organization=organization, duration_minutes=60)
    start = datetime.combine(first_day, time(0), tzinfo=tz)
    now = start - timedelta(days=1)

    slots = selectors.free_slots(
        organization=organization, service=service, start=start, end=start + timedelta(days=7), now=now
    )

    local = [slot.start.astimezone(tz) for slot in slots]
    assert [moment.strftime("%H:%M") for moment in local] == ["09:00", "10:00", "11:00"] * 7
    offsets = {moment.utcoffset() for moment in local}
    assert len(offsets) == 2, "the week crosses the change, so the UTC offset changes"
    assert all(slot.staff == [member.pk] for slot in slots)


def test_the_api_answers_in_the_asked_time_zone_and_refuses_an_unknown_one(owner_client, chicago_org, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    params = {"service": haircut.pk, "from": at(tuesday, 0).isoformat(), "to": at(tuesday, 23).isoformat()}

    local = owner_client.get(URL, params).json()
    in_london = owner_client.get(URL, {**params, "tz": "Europe/London"}).json()
    unknown = owner_client.get(URL, {**params, "tz": "Mars/Olympus_Mons"})
    too_long = owner_client.get(URL, {**params, "tz": "Europe/" + "x" * 300})

    assert local["time_zone"] == "America/Chicago"
    assert local["slots"][0]["start"] == at(tuesday, 9).isoformat()
    assert in_london["slots"][0]["start"] == at(tuesday, 9).astimezone(ZoneInfo("Europe/London")).isoformat()
    assert unknown.status_code == 400
    assert "tz" in unknown.json()["error"]["fields"]
    assert too_long.status_code == 400, "a name too long for a file is refused like any unknown one"
    assert "tz" in too_long.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "service"),
        ({"service": "999999"}, "service"),
        ({"from": "2027-01-10T00:00:00Z", "to": "2027-01-09T00:00:00Z"}, "to"),
        ({"from": "2027-01-01T00:00:00Z", "to": "2027-05-01T00:00:00Z"}, "to"),
        ({"from": "next tuesday"}, "from"),
        ({"staff": "1,two"}, "staff"),
    ],
)
def test_bad_slot_queries_are_a_400_naming_the_parameter(owner_client, haircut, params, field):
    response = owner_client.get(URL, {"service": haircut.pk, **params} if "service" not in params else params)
    if params == {}:
        response = owner_client.get(URL)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_another_organizations_service_is_not_found(owner_client, other_org):
    theirs = ServiceFactory(organization=other_org)
    response = owner_client.get(URL, {"service": theirs.pk})
    assert response.status_code == 400
    assert "service" in response.json()["error"]["fields"]


def test_the_slot_finder_reads_a_constant_number_of_queries(chicago_org, bob, haircut, owner):
    tuesday = next_weekday(TUESDAY)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors.free_slots(
                organization=chicago_org,
                service=haircut,
                start=at(tuesday, 0),
                end=at(tuesday, 23) + timedelta(days=20),
            )
        return len(captured)

    before = count()
    for week in range(3):
        for hour in (9, 11, 14):
            services.booking_create(
                organization=chicago_org,
                actor=owner,
                staff=bob,
                starts_at=at(tuesday + timedelta(days=7 * week), hour),
                service=haircut,
            )
    assert count() == before
