"""Contact work done by a worker: imports, and forgetting deleted contacts."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounts.tasks import OrganizationTask, SystemTask
from crm import imports, services


@shared_task(
    base=OrganizationTask,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def contact_import_run(*, organization_id: int, import_id: int) -> str:
    """Import what is left of the file. Running twice is harmless: a run resumes after the last
    committed chunk, and a completed import does nothing. A lost database connection retries."""
    return imports.contact_import_run(import_id=import_id).status


@shared_task(base=SystemTask)
def contacts_purge_deleted() -> int:
    """Remove, in every organization, contacts deleted more than 30 days ago."""
    return services.contacts_purge_deleted()
