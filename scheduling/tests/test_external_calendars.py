"""Outside calendars: read from their address or an uploaded file into busy blocks, through the API."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import ActivityEntry
from accounts.tests.factories import MembershipFactory
from config.tests.fakes.calendar import FakeCalendarHost
from scheduling import calendar_sync, selectors
from scheduling.models import BusyBlock, ExternalCalendar, ExternalCalendarStatus
from scheduling.providers.ical_url import CalendarFetchError
from scheduling.tests.factories import ExternalCalendarFactory, ServiceFactory, WeeklyHoursFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/external-calendars/"


@pytest.fixture
def host(settings):
    settings.CALENDAR_FETCH_PRIVATE_ADDRESSES = True  # the fake host is on 127.0.0.1
    fake = FakeCalendarHost().start()
    yield fake
    fake.stop()


@pytest.fixture
def member(org):
    return MembershipFactory(organization=org)


def _stamp(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(*spans, extra: str = "") -> str:
    """A calendar with one event per (start, end), titled as a private diary would be."""
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{n}@example.net\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:{_stamp(a)}\r\n"
        f"DTEND:{_stamp(b)}\r\nSUMMARY:Private matter {n}\r\n{extra}END:VEVENT\r\n"
        for n, (a, b) in enumerate(spans)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tests//EN\r\n{events}END:VCALENDAR\r\n"


def tomorrow(hour: int):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    return start.replace(hour=hour)


def _blocks(calendar) -> list[tuple]:
    return list(BusyBlock.objects.filter(calendar=calendar).order_by("starts_at").values_list("starts_at", "ends_at"))


def test_a_calendar_read_from_its_address_becomes_busy_blocks(host, org, member):
    spans = [(tomorrow(9), tomorrow(10)), (tomorrow(14), tomorrow(15))]
    calendar = ExternalCalendarFactory(organization=org, staff=member, url=host.publish("/me.ics", ics(*spans)))

    synced = calendar_sync.external_calendar_sync(calendar=calendar)

    assert synced.status == ExternalCalendarStatus.OK and synced.last_error == ""
    assert synced.last_synced_at is not None
    assert _blocks(calendar) == spans
    assert set(BusyBlock.objects.values_list("staff", flat=True)) == {member.id}
    assert ActivityEntry.objects.filter(verb="external_calendar.synced").count() == 1


def test_a_read_replaces_what_the_last_one_found(host, org, member):
    url = host.publish("/me.ics", ics((tomorrow(9), tomorrow(10))))
    calendar = ExternalCalendarFactory(organization=org, staff=member, url=url)
    calendar_sync.external_calendar_sync(calendar=calendar)

    host.publish("/me.ics", ics((tomorrow(11), tomorrow(12))))
    calendar_sync.external_calendar_sync(calendar=calendar)
    calendar_sync.external_calendar_sync(calendar=calendar)

    assert _blocks(calendar) == [(tomorrow(11), tomorrow(12))]
    assert ActivityEntry.objects.filter(verb="external_calendar.synced").count() == 1  # only the status change


def test_a_recurring_event_is_expanded(host, org, member):
    start = tomorrow(8)
    recurring = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tests//EN\r\nBEGIN:VEVENT\r\nUID:gym@example.net\r\n"
        f"DTSTAMP:20261201T000000Z\r\nDTSTART:{_stamp(start)}\r\nDTEND:{_stamp(start + timedelta(hours=1))}\r\n"
        "RRULE:FREQ=DAILY;COUNT=3\r\nSUMMARY:Gym\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    calendar = ExternalCalendarFactory(organization=org, staff=member, url=host.publish("/gym.ics", recurring))

    calendar_sync.external_calendar_sync(calendar=calendar)

    assert _blocks(calendar) == [(start + timedelta(days=n), start + timedelta(days=n, hours=1)) for n in range(3)]


def test_a_long_absence_is_stored_in_pieces_of_at_most_a_day(host, org, member):
    begin = tomorrow(6)
    calendar = ExternalCalendarFactory(
        organization=org, staff=member, url=host.publish("/away.ics", ics((begin, begin + timedelta(hours=50))))
    )

    calendar_sync.external_calendar_sync(calendar=calendar)

    assert _blocks(calendar) == [
        (begin, begin + timedelta(hours=24)),
        (begin + timedelta(hours=24), begin + timedelta(hours=48)),
        (begin + timedelta(hours=48), begin + timedelta(hours=50)),
    ]


def test_an_unreachable_address_is_an_error_on_the_calendar(host, org, member):
    url = host.url_of("/gone.ics")
    host.stop()
    calendar = ExternalCalendarFactory(organization=org, staff=member, url=url)

    with pytest.raises(CalendarFetchError) as raised:
        calendar_sync.external_calendar_sync(calendar=calendar)

    calendar.refresh_from_db()
    assert raised.value.permanent is False  # a task retries it
    assert calendar.status == ExternalCalendarStatus.ERROR
    assert calendar.last_error == "The calendar address could not be reached."
    assert ActivityEntry.objects.filter(verb="external_calendar.sync_failed").count() == 1
    host.stop = lambda: None  # already stopped


def test_a_missing_calendar_is_a_permanent_error_and_keeps_the_last_busy_time(host, org, member):
    url = host.publish("/me.ics", ics((tomorrow(9), tomorrow(10))))
    calendar = ExternalCalendarFactory(organization=org, staff=member, url=url)
    calendar_sync.external_calendar_sync(calendar=calendar)
    host.files.clear()

    failed = calendar_sync.external_calendar_sync(calendar=calendar)

    assert failed.status == ExternalCalendarStatus.ERROR
    assert failed.last_error == "The calendar address was not found (404): check it is still shared."
    assert _blocks(calendar) == [(tomorrow(9), tomorrow(10))]


def test_a_page_that_is_not_a_calendar_is_an_error(host, org, member):
    url = host.publish("/login", "<html><body>Please sign in</body></html>")
    calendar = ExternalCalendarFactory(organization=org, staff=member, url=url)

    failed = calendar_sync.external_calendar_sync(calendar=calendar)

    assert failed.status == ExternalCalendarStatus.ERROR
    assert failed.last_error.startswith("The address did not give a calendar we can read")


def test_a_calendar_over_the_size_limit_is_refused(host, org, member):
    url = host.publish("/huge.ics", b"X" * (5 * 1024 * 1024 + 1))
    calendar = ExternalCalendarFactory(organization=org, staff=member, url=url)

    failed = calendar_sync.external_calendar_sync(calendar=calendar)

    assert failed.last_error == "The calendar is larger than 5 MB."


def test_an_address_inside_our_network_is_never_fetched(host, settings, org, member):
    settings.CALENDAR_FETCH_PRIVATE_ADDRESSES = False
    calendar = ExternalCalendarFactory(organization=org, staff=member, url=host.publish("/me.ics", ics()))

    failed = calendar_sync.external_calendar_sync(calendar=calendar)

    assert failed.last_error == "The calendar address points inside a private network."
    assert host.requests == []


def test_an_uploaded_file_replaces_the_busy_time(org, member, owner):
    calendar = ExternalCalendarFactory(organization=org, staff=member, url="")
    upload = SimpleUploadedFile("export.ics", ics((tomorrow(9), tomorrow(10))).encode(), "text/calendar")

    calendar_sync.external_calendar_upload(calendar=calendar, actor=owner, file=upload)

    assert _blocks(calendar) == [(tomorrow(9), tomorrow(10))]
    assert ActivityEntry.objects.filter(verb="external_calendar.uploaded", actor=owner).exists()


# Through the API -----------------------------------------------------------------------


def test_adding_a_calendar_reads_it_at_once(host, owner_client, org, member, django_capture_on_commit_callbacks):
    url = host.publish("/me.ics", ics((tomorrow(9), tomorrow(10))))

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            URL, {"staff": member.id, "name": " Personal ", "url": url.replace("http://", "webcal://")}, format="json"
        )

    assert response.status_code == 201, response.json()
    calendar = ExternalCalendar.objects.get()
    assert response.json()["name"] == "Personal" and response.json()["status"] == "pending"
    assert calendar.url == url.replace("http://", "https://")  # webcal:// is read as https://
    # The fake host speaks plain http, so the https read fails: the error is on the calendar.
    assert calendar.status == ExternalCalendarStatus.ERROR


def test_a_calendar_with_an_http_address_is_read_through_the_api(
    host, owner_client, org, member, django_capture_on_commit_callbacks
):
    url = host.publish("/me.ics", ics((tomorrow(9), tomorrow(10))))

    with django_capture_on_commit_callbacks(execute=True):
        created = owner_client.post(URL, {"staff": member.id, "name": "Personal", "url": url}, format="json")
    detail = owner_client.get(f"{URL}{created.json()['id']}/")

    assert detail.json()["status"] == "ok"
    assert detail.json()["staff"] == member.id
    assert BusyBlock.objects.filter(staff=member).count() == 1


def test_refresh_reads_the_address_again(host, owner_client, org, member, django_capture_on_commit_callbacks):
    calendar = ExternalCalendarFactory(organization=org, staff=member, url=host.publish("/me.ics", ics()))

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"{URL}{calendar.id}/refresh/")

    assert response.status_code == 202
    assert len(host.requests) == 1
    calendar.refresh_from_db()
    assert calendar.status == ExternalCalendarStatus.OK


def test_a_calendar_without_an_address_cannot_be_refreshed(owner_client, org, member):
    calendar = ExternalCalendarFactory(organization=org, staff=member, url="")

    response = owner_client.post(f"{URL}{calendar.id}/refresh/")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["url"]


def test_uploading_a_file(owner_client, org, member):
    calendar = ExternalCalendarFactory(organization=org, staff=member, url="")
    upload = SimpleUploadedFile("export.ics", ics((tomorrow(9), tomorrow(10))).encode(), "text/calendar")

    response = owner_client.post(f"{URL}{calendar.id}/upload/", {"file": upload}, format="multipart")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"
    assert _blocks(calendar) == [(tomorrow(9), tomorrow(10))]
    assert "Private matter" not in str(list(BusyBlock.objects.values()))


def test_a_bad_file_is_a_400_naming_the_file(owner_client, org, member):
    calendar = ExternalCalendarFactory(organization=org, staff=member, url="")
    upload = SimpleUploadedFile("notes.ics", b"Just some notes, not a calendar", "text/calendar")

    response = owner_client.post(f"{URL}{calendar.id}/upload/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "file": ["“notes.ics” cannot be read as a calendar: it is not in iCalendar format (.ics)."]
    }


def test_a_file_over_the_limit_is_refused_while_it_is_read(owner_client, org, member):
    calendar = ExternalCalendarFactory(organization=org, staff=member, url="")
    upload = SimpleUploadedFile("big.ics", b"X" * (5 * 1024 * 1024 + 10), "text/calendar")

    response = owner_client.post(f"{URL}{calendar.id}/upload/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["file"]


def test_a_staff_member_of_another_organization_is_refused(owner_client, other_org):
    stranger = MembershipFactory(organization=other_org)

    created = owner_client.post(URL, {"staff": stranger.id, "name": "Theirs"}, format="json")

    assert created.status_code == 400
    assert list(created.json()["error"]["fields"]) == ["staff"]
    assert not ExternalCalendar.objects.exists()


def test_a_bad_address_is_refused(owner_client, member):
    response = owner_client.post(
        URL, {"staff": member.id, "name": "X", "url": "ftp://example.net/a.ics"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["url"]


def test_changing_the_staff_member_moves_the_busy_time(owner_client, org, member, django_capture_on_commit_callbacks):
    calendar = ExternalCalendarFactory(organization=org, staff=member, url="")
    upload = SimpleUploadedFile("export.ics", ics((tomorrow(9), tomorrow(10))).encode(), "text/calendar")
    owner_client.post(f"{URL}{calendar.id}/upload/", {"file": upload}, format="multipart")
    other = MembershipFactory(organization=org)

    response = owner_client.patch(f"{URL}{calendar.id}/", {"staff": other.id, "name": "Work"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Work"
    assert set(BusyBlock.objects.values_list("staff", flat=True)) == {other.id}


def test_changing_the_address_forgets_the_old_busy_time(host, owner_client, org, member):
    calendar = ExternalCalendarFactory(organization=org, staff=member, url=host.publish("/a.ics", ics()))
    host.publish("/a.ics", ics((tomorrow(9), tomorrow(10))))
    calendar_sync.external_calendar_sync(calendar=calendar)

    response = owner_client.patch(f"{URL}{calendar.id}/", {"url": host.url_of("/b.ics")}, format="json")

    assert response.json()["status"] == "pending" and response.json()["last_synced_at"] is None
    assert not BusyBlock.objects.exists()


def test_deleting_a_calendar_forgets_its_busy_time(owner_client, org, member):
    calendar = ExternalCalendarFactory(organization=org, staff=member, url="")
    calendar_sync.external_calendar_upload(
        calendar=calendar, actor=None, file=SimpleUploadedFile("a.ics", ics((tomorrow(9), tomorrow(10))).encode())
    )

    assert owner_client.delete(f"{URL}{calendar.id}/").status_code == 204
    assert not BusyBlock.objects.exists()
    assert ActivityEntry.objects.filter(verb="external_calendar.deleted").exists()


def test_the_list_is_the_organizations_calendars_by_name(owner_client, org, other_org):
    ExternalCalendarFactory(organization=org, name="Work")
    ExternalCalendarFactory(organization=org, name="Home")
    ExternalCalendarFactory(organization=other_org, name="Theirs")

    response = owner_client.get(URL)

    assert [item["name"] for item in response.json()["results"]] == ["Home", "Work"]


def test_the_slot_finder_counts_the_busy_time(org, member):
    tz = org.timezone
    day = timezone.localdate(timezone.now(), tz) + timedelta(days=3)
    for weekday in range(7):
        WeeklyHoursFactory(organization=org, staff=member, weekday=weekday, start_time=time(9), end_time=time(17))
    service = ServiceFactory(organization=org, duration_minutes=60)
    start = datetime.combine(day, time(0), tzinfo=tz)

    def starts() -> set[time]:
        slots = selectors.free_slots(
            organization=org, service=service, start=start, end=start + timedelta(days=1), staff_ids=[member.id]
        )
        return {slot.start.astimezone(tz).time() for slot in slots}

    assert {time(9, 30), time(10), time(10, 30)} <= starts()
    calendar = ExternalCalendarFactory(organization=org, staff=member, url="")
    busy = (datetime.combine(day, time(10), tzinfo=tz), datetime.combine(day, time(11), tzinfo=tz))
    calendar_sync.external_calendar_upload(
        calendar=calendar, actor=None, file=SimpleUploadedFile("a.ics", ics(busy).encode())
    )

    after = starts()
    assert {time(9, 30), time(10), time(10, 30)}.isdisjoint(after)
    assert {time(9), time(11)} <= after


def test_a_calendar_read_from_an_address_takes_no_uploads(owner_client, org, member):
    calendar = ExternalCalendarFactory(organization=org, staff=member, url="https://calendar.example.net/a.ics")
    upload = SimpleUploadedFile("export.ics", ics((tomorrow(9), tomorrow(10))).encode(), "text/calendar")

    response = owner_client.post(f"{URL}{calendar.id}/upload/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["file"]
    assert not BusyBlock.objects.exists()
