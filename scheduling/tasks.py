"""Scheduling work done by a worker."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounts.tasks import OrganizationTask, SystemTask
from scheduling import calendar_sync, services
from scheduling.models import ExternalCalendar, Job, JobStatus
from scheduling.providers.ical_url import CalendarFetchError


@shared_task(
    base=OrganizationTask,
    autoretry_for=(CalendarFetchError, OperationalError, InterfaceError),
    retry_backoff=60,
    retry_backoff_max=600,
    max_retries=3,
)
def external_calendar_sync_run(*, organization_id: int, calendar_id: int) -> str:
    """Read an external calendar's address into busy blocks.

    Running twice is harmless: each read replaces the calendar's blocks under a row
    lock. A timeout or a server error retries a few times; every failure is on the
    calendar for the business to see, and the next half-hourly refresh tries again.
    """
    calendar = ExternalCalendar.objects.filter(organization_id=organization_id, pk=calendar_id).first()
    if calendar is None:
        return "deleted"
    return calendar_sync.external_calendar_sync(calendar=calendar).status


@shared_task(base=SystemTask)
def external_calendars_refresh() -> int:
    """Queue a read of every external calendar that has an address, in every organization."""
    calendars = list(ExternalCalendar.objects.exclude(url="").values_list("organization_id", "id"))
    for organization_id, calendar_id in calendars:
        external_calendar_sync_run.delay(organization_id=organization_id, calendar_id=calendar_id)
    return len(calendars)


@shared_task(base=OrganizationTask)
def job_visits_generate_run(*, organization_id: int, job_id: int) -> int:
    """Put a recurring job's visits on the calendar up to the horizon; running twice books each visit once."""
    job = Job.objects.filter(organization_id=organization_id, pk=job_id).first()
    if job is None:
        return 0
    services.job_visits_generate(job=job)
    return job.visits.count()


@shared_task(base=SystemTask)
def recurring_jobs_extend() -> int:
    """Daily: keep every live recurring job's visits booked to the horizon, in every organization."""
    due = Job.objects.exclude(recurrence_rule="").exclude(status__in=(JobStatus.CANCELLED, JobStatus.INVOICED))
    jobs = list(due.values_list("organization_id", "id"))
    for organization_id, job_id in jobs:
        job_visits_generate_run.delay(organization_id=organization_id, job_id=job_id)
    return len(jobs)
