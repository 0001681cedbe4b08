"""``seed_demo`` gives the demo business a believable month of jobs and visits, once."""

import io
from datetime import datetime, time, timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Membership, Organization
from accounts.tests.factories import OrganizationFactory, UserFactory
from scheduling.demo import DAYS_AHEAD, DAYS_BACK, MAINTENANCE, demo_schedule_seed
from scheduling.models import (
    Booking,
    BookingPolicy,
    BookingSource,
    BookingStatus,
    Job,
    JobStatus,
    Service,
    TimeOff,
    WeeklyHours,
)
from scheduling.tests.factories import JobFactory

pytestmark = pytest.mark.django_db

PAST_STATUSES = {JobStatus.COMPLETED, JobStatus.INVOICED}


def _seed() -> None:
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def demo(settings) -> Organization:
    settings.DEBUG = True
    _seed()
    return Organization.objects.get(slug="brightside-plumbing")


@pytest.fixture
def seeded(settings) -> tuple[Organization, datetime, datetime]:
    """The demo and when its seeding ran: a visit starting or ending meanwhile may be on either side of "now"."""
    settings.DEBUG = True
    before = timezone.now()
    _seed()
    return Organization.objects.get(slug="brightside-plumbing"), before, timezone.now()


def _ids(model, organization) -> list[int]:
    return list(model.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True))


def test_seeding_again_adds_nothing(demo):
    before = {model: _ids(model, demo) for model in (Job, Booking, Service, WeeklyHours, TimeOff, BookingPolicy)}
    _seed()
    assert {model: _ids(model, demo) for model in before} == before
    _assert_set_up_from_onboarding(demo)


def _assert_set_up_from_onboarding(demo: Organization) -> None:
    assert set(Service.objects.filter(organization=demo).values_list("name", flat=True)) == {
        "Drain cleaning",
        "Leaky faucet repair",
        "Toilet repair or replacement",
        "Water heater installation",
        "Garbage disposal installation",
        "Emergency call-out",
    }
    opening = WeeklyHours.objects.filter(organization=demo, staff=None)
    assert sorted(opening.values_list("weekday", "start_time", "end_time")) == [
        (weekday, time(8), time(17)) for weekday in range(5)
    ]
    team = Membership.objects.filter(organization=demo)
    assert all(WeeklyHours.objects.filter(organization=demo, staff=member).count() == 5 for member in team)
    assert BookingPolicy.objects.filter(organization=demo).exists()
    assert TimeOff.objects.filter(organization=demo).exclude(staff=None).count() == 1


def test_a_month_of_work_spread_over_the_team(seeded):
    """Two weeks back and two ahead, both technicians busy, each job where its visit says it is."""
    demo, now, after = seeded
    visits = Booking.objects.filter(organization=demo)
    assert visits.filter(starts_at__lt=now - timedelta(days=DAYS_BACK + 1)).count() == 0
    assert (
        visits.exclude(source=BookingSource.RECURRENCE)
        .filter(starts_at__gt=now + timedelta(days=DAYS_AHEAD + 1))
        .count()
        == 0
    )
    assert visits.filter(starts_at__lt=now).count() > 20
    assert visits.filter(starts_at__gt=now).count() > 10
    per_member = {
        member.pk: visits.filter(staff=member).count() for member in Membership.objects.filter(organization=demo)
    }
    assert len(per_member) == 2 and min(per_member.values()) > 10, per_member
    assert {BookingSource.STAFF, BookingSource.BOOKING_PAGE, BookingSource.RECURRENCE} <= set(
        visits.values_list("source", flat=True)
    )

    _assert_statuses_agree_with_visits(demo, now, after)
    _assert_weekly_maintenance(demo, now)


def _assert_statuses_agree_with_visits(demo: Organization, before: datetime, after: datetime) -> None:
    one_off = Job.objects.filter(organization=demo, recurrence_rule="").prefetch_related("visits")
    for job in one_off:
        visits = list(job.visits.all())
        if not visits:
            assert job.status == JobStatus.REQUESTED, job
            continue
        (visit,) = visits
        if job.status == JobStatus.CANCELLED:
            assert visit.status == BookingStatus.CANCELLED
        elif visit.ends_at <= before:
            assert (job.status, visit.status) in {(status, BookingStatus.COMPLETED) for status in PAST_STATUSES}
        elif visit.starts_at <= before and visit.ends_at > after:
            assert job.status == JobStatus.IN_PROGRESS
        elif visit.starts_at > after:
            assert job.status == JobStatus.SCHEDULED
            assert visit.status in (BookingStatus.CONFIRMED, BookingStatus.TENTATIVE)
    statuses = list(one_off.values_list("status", flat=True))
    assert statuses.count(JobStatus.CANCELLED) == 2
    assert statuses.count(JobStatus.REQUESTED) == 3
    assert statuses.count(JobStatus.INVOICED) > 5


def _assert_weekly_maintenance(demo: Organization, before: datetime) -> None:
    contract = Job.objects.get(organization=demo, title=MAINTENANCE["title"])
    assert contract.recurrence_rule == MAINTENANCE["rule"]
    assert contract.status == JobStatus.SCHEDULED
    visits = list(contract.visits.order_by("starts_at"))
    assert len(visits) >= 4
    assert all(visit.source == BookingSource.RECURRENCE for visit in visits)
    assert {timezone.localtime(visit.starts_at, demo.timezone).strftime("%a %H:%M") for visit in visits} == {
        "Thu 09:00"
    }
    assert all(visit.status == BookingStatus.COMPLETED for visit in visits if visit.ends_at <= before)


def test_no_one_is_booked_twice_and_the_history_reads_in_order(demo):
    _assert_no_double_booking(demo)
    _assert_history_in_order(demo)


def _assert_no_double_booking(demo: Organization) -> None:
    holding = Booking.objects.filter(organization=demo).exclude(status=BookingStatus.CANCELLED)
    for staff_id in set(holding.values_list("staff_id", flat=True)):
        blocks = list(
            holding.filter(staff_id=staff_id).order_by("blocked_from").values_list("blocked_from", "blocked_until")
        )
        assert all(until <= following for (_, until), (following, _) in pairwise(blocks))


def _assert_history_in_order(demo: Organization) -> None:
    """Each job's steps in order, its visits booked after it was asked for, nothing in the future."""
    now = timezone.now()
    for job in Job.objects.filter(organization=demo).prefetch_related("status_changes", "visits"):
        moments = [change.changed_at for change in job.status_changes.all()]
        assert moments[0] == job.created_at
        assert moments == sorted(moments), job
        assert moments[-1] <= now
        for visit in job.visits.all():
            assert job.created_at <= visit.created_at <= now
            if visit.status == BookingStatus.CANCELLED:
                assert visit.created_at <= visit.cancelled_at <= now


def test_a_business_with_jobs_already_is_left_alone(org):
    owner = UserFactory()
    job = JobFactory(organization=org)
    demo_schedule_seed(org, owner)
    assert _ids(Job, org) == [job.pk]
    assert not Booking.objects.filter(organization=org).exists()


def test_a_business_without_clients_gets_no_month():
    organization = OrganizationFactory()
    demo_schedule_seed(organization, UserFactory())
    assert not Job.objects.filter(organization=organization).exists()
