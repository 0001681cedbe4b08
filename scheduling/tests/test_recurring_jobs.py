"""Recurring jobs put their visits on the calendar ahead of time, on the business's wall clock."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from accounts.models import ActivityEntry
from accounts.tests.factories import MembershipFactory, OrganizationFactory
from crm.tests.factories import ContactFactory
from scheduling import services, tasks
from scheduling.models import Booking, BookingSource

pytestmark = pytest.mark.django_db


def _recurring_job(zone: str, first: datetime, rule: str, **kwargs):
    organization = OrganizationFactory(timezone=zone)
    organization.refresh_from_db()
    member = MembershipFactory(organization=organization)
    job = services.job_create(
        organization=organization,
        actor=None,
        contact=ContactFactory(organization=organization),
        title="Pool cleaning",
        assignees=[member],
        recurrence_rule=rule,
        recurrence_start=first,
        visit_duration_minutes=60,
        **kwargs,
    )
    return job, member


@pytest.mark.parametrize(
    ("zone", "first_visit"),
    [
        ("America/New_York", datetime(2027, 2, 23, 9)),  # clocks go forward on 14 March 2027
        ("Europe/London", datetime(2027, 10, 5, 9)),  # clocks go back on 31 October 2027
    ],
)
def test_a_weekly_visit_stays_at_nine_across_a_dst_change(zone, first_visit):
    tz = ZoneInfo(zone)
    job, member = _recurring_job(zone, first_visit.replace(tzinfo=tz), "FREQ=WEEKLY")

    services.job_visits_generate(job=job, until=first_visit.replace(tzinfo=tz) + timedelta(weeks=7))

    visits = list(Booking.objects.filter(job=job).order_by("starts_at"))
    local = [visit.starts_at.astimezone(tz) for visit in visits]
    assert len(visits) == 8
    assert {moment.time() for moment in local} == {time(9)}
    assert [moment.date() for moment in local] == [first_visit.date() + timedelta(weeks=n) for n in range(8)]
    assert len({moment.utcoffset() for moment in local}) == 2
    assert all(v.staff == member and v.source == BookingSource.RECURRENCE and v.contact == job.contact for v in visits)


def test_generating_again_books_each_visit_once_and_goes_on_from_where_it_stopped():
    tz = ZoneInfo("America/Chicago")
    first = datetime(2027, 1, 4, 8, tzinfo=tz)
    job, _ = _recurring_job("America/Chicago", first, "FREQ=WEEKLY;INTERVAL=2")

    services.job_visits_generate(job=job, until=first + timedelta(weeks=4))
    services.job_visits_generate(job=job, until=first + timedelta(weeks=4))
    assert Booking.objects.filter(job=job).count() == 3  # weeks 0, 2, 4
    services.job_visits_generate(job=job, until=first + timedelta(weeks=8))
    assert Booking.objects.filter(job=job).count() == 5


def test_a_monthly_rule_and_a_busy_week_is_skipped_and_recorded():
    tz = ZoneInfo("America/Chicago")
    first = datetime(2027, 1, 15, 10, tzinfo=tz)
    job, member = _recurring_job("America/Chicago", first, "FREQ=MONTHLY;BYMONTHDAY=15")
    services.booking_create(
        organization=job.organization,
        actor=None,
        staff=member,
        starts_at=datetime(2027, 3, 15, 9, 30, tzinfo=tz),
        ends_at=datetime(2027, 3, 15, 11, tzinfo=tz),
    )

    skipped = services.job_visits_generate(job=job, until=datetime(2027, 5, 1, tzinfo=tz))

    assert skipped == [datetime(2027, 3, 15, 10, tzinfo=tz)]
    dates = [
        b.starts_at.astimezone(tz).date().isoformat() for b in Booking.objects.filter(job=job).order_by("starts_at")
    ]
    assert dates == ["2027-01-15", "2027-02-15", "2027-04-15"]
    assert ActivityEntry.objects.filter(verb="job.visits_skipped", target_id=str(job.pk)).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"recurrence_rule": "every tuesday"}, "recurrence_rule"),
        ({"recurrence_rule": "FREQ=HOURLY"}, "recurrence_rule"),
        ({"recurrence_rule": "FREQ=WEEKLY", "recurrence_start": None}, "recurrence_start"),
        ({"recurrence_rule": "FREQ=WEEKLY", "visit_duration_minutes": None}, "visit_duration_minutes"),
    ],
)
def test_a_bad_recurrence_is_refused_naming_the_field(owner_client, client_contact, fields, field):
    body = {
        "contact": client_contact.pk,
        "title": "Lawn",
        "recurrence_start": "2027-01-04T09:00:00",
        "visit_duration_minutes": 60,
        **fields,
    }
    response = owner_client.post("/api/v1/jobs/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_the_periodic_task_books_every_recurring_job_ahead(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    tz = ZoneInfo("America/Chicago")
    job, _ = _recurring_job(
        "America/Chicago", datetime.now(tz).replace(hour=7, minute=0) + timedelta(days=1), "FREQ=WEEKLY"
    )
    Booking.objects.filter(job=job).delete()
    job.visits_generated_until = None
    job.save()

    assert tasks.recurring_jobs_extend.apply().get() == 1

    assert Booking.objects.filter(job=job).count() == len(
        services.job_occurrences(
            job, after=job.recurrence_start - timedelta(seconds=1), until=datetime.now(tz) + services.RECURRENCE_HORIZON
        )
    )


def test_the_service_refuses_a_rule_with_its_own_start():
    with pytest.raises(ValidationError) as error:
        _recurring_job(
            "UTC", datetime(2027, 1, 1, tzinfo=ZoneInfo("UTC")), "DTSTART:20270101T090000\nRRULE:FREQ=WEEKLY"
        )
    assert "recurrence_rule" in error.value.message_dict
