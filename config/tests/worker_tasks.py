"""A task on the organization base, loaded into the test worker to show what it can see."""

from celery import shared_task

from accounts.models import ActivityEntry, Membership
from accounts.tasks import OrganizationTask


@shared_task(base=OrganizationTask)
def report_visible_organizations(*, organization_id: int) -> None:
    """Record, as the organization, which organizations' memberships the database shows."""
    seen = sorted(set(Membership.objects.values_list("organization_id", flat=True)))
    ActivityEntry.objects.create(organization_id=organization_id, verb="test.visibility", data={"seen": seen})
