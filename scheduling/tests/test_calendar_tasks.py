"""The workers' side of calendar sync: one calendar's read, and the half-hourly refresh of all."""

import time
from datetime import UTC, timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.tests.factories import MembershipFactory
from config.tests.fakes.calendar import FakeCalendarHost
from scheduling.models import BusyBlock, ExternalCalendar, ExternalCalendarStatus
from scheduling.tasks import external_calendar_sync_run, external_calendars_refresh
from scheduling.tests.factories import ExternalCalendarFactory

pytestmark = pytest.mark.django_db

BUSY = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tests//EN\r\nBEGIN:VEVENT\r\nUID:1@example.net\r\n"
    "DTSTAMP:20261201T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def host(settings):
    settings.CALENDAR_FETCH_PRIVATE_ADDRESSES = True  # the fake host is on 127.0.0.1
    fake = FakeCalendarHost().start()
    yield fake
    fake.stop()


def _busy_calendar(host: FakeCalendarHost, path: str) -> str:
    start = (timezone.now() + timedelta(days=1)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    stamp = "%Y%m%dT%H%M%SZ"
    return host.publish(
        path, BUSY.format(start=start.strftime(stamp), end=(start + timedelta(hours=1)).strftime(stamp))
    )


def test_the_refresh_is_scheduled_every_half_hour():
    entry = django_settings.CELERY_BEAT_SCHEDULE["refresh-external-calendars"]
    assert entry == {"task": "scheduling.tasks.external_calendars_refresh", "schedule": 30 * 60}


def test_the_refresh_reads_every_calendar_with_an_address_in_every_organization(host, org, other_org):
    ours = ExternalCalendarFactory(organization=org, url=_busy_calendar(host, "/ours.ics"))
    theirs = ExternalCalendarFactory(organization=other_org, url=_busy_calendar(host, "/theirs.ics"))
    uploaded = ExternalCalendarFactory(organization=org, url="")

    queued = external_calendars_refresh.delay().get()  # tasks run in-process in the tests

    assert queued == 2
    assert sorted(request.path for request in host.requests) == ["/ours.ics", "/theirs.ics"]
    for calendar in (ours, theirs):
        calendar.refresh_from_db()
        assert calendar.status == ExternalCalendarStatus.OK
        assert BusyBlock.objects.filter(calendar=calendar, organization=calendar.organization).count() == 1
    uploaded.refresh_from_db()
    assert uploaded.status == ExternalCalendarStatus.PENDING


def test_a_read_retries_when_the_host_has_a_hiccup(host, org):
    calendar = ExternalCalendarFactory(organization=org, url=_busy_calendar(host, "/me.ics"))
    host.fail_next(1, status=503)

    result = external_calendar_sync_run.apply(
        kwargs={"organization_id": org.id, "calendar_id": calendar.id}, throw=False
    )

    assert result.get() == "ok"
    assert len(host.requests) == 2
    assert BusyBlock.objects.filter(calendar=calendar).count() == 1


def test_a_host_that_is_down_leaves_the_error_on_the_calendar_and_asks_for_a_retry(host, org):
    calendar = ExternalCalendarFactory(organization=org, url=_busy_calendar(host, "/me.ics"))
    host.fail_next(1, status=503)

    with pytest.raises(Retry):
        external_calendar_sync_run.apply(kwargs={"organization_id": org.id, "calendar_id": calendar.id}, throw=True)

    calendar.refresh_from_db()
    assert calendar.status == ExternalCalendarStatus.ERROR
    assert calendar.last_error == "The calendar address answered with an error (503)."


def test_a_calendar_that_is_gone_is_not_retried(host, org):
    calendar = ExternalCalendarFactory(organization=org, url=host.url_of("/deleted.ics"))

    result = external_calendar_sync_run.apply(kwargs={"organization_id": org.id, "calendar_id": calendar.id})

    assert result.get() == "error"
    assert len(host.requests) == 1


def test_running_a_read_twice_is_harmless(host, org):
    calendar = ExternalCalendarFactory(organization=org, url=_busy_calendar(host, "/me.ics"))

    for _ in range(2):
        external_calendar_sync_run.delay(organization_id=org.id, calendar_id=calendar.id)

    assert BusyBlock.objects.filter(calendar=calendar).count() == 1


def test_a_read_sees_only_its_own_organization(host, org, other_org):
    theirs = ExternalCalendarFactory(organization=other_org, url=_busy_calendar(host, "/theirs.ics"))

    outcome = external_calendar_sync_run.delay(organization_id=org.id, calendar_id=theirs.id).get()

    assert outcome == "deleted"
    assert host.requests == []


def test_a_calendar_deleted_before_its_read_is_skipped(org):
    calendar = ExternalCalendarFactory(organization=org)
    calendar_id = calendar.id
    calendar.delete()

    assert external_calendar_sync_run.delay(organization_id=org.id, calendar_id=calendar_id).get() == "deleted"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_reads_the_calendars_the_refresh_queues(celery_worker_process, org):
    # The worker runs with the production rule: an address inside our network is never fetched.
    calendar = ExternalCalendarFactory(
        organization=org, staff=MembershipFactory(organization=org), url="http://127.0.0.1:9/x.ics"
    )

    assert external_calendars_refresh.delay() is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if ExternalCalendar.objects.get(pk=calendar.pk).status != ExternalCalendarStatus.PENDING:
            break
        time.sleep(0.2)

    calendar.refresh_from_db()
    assert calendar.status == ExternalCalendarStatus.ERROR
    assert calendar.last_error == "The calendar address points inside a private network."
