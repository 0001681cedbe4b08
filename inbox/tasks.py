"""Inbox work done by a worker: sending, fetching attachments, checking integrations."""

from celery import shared_task
from django.conf import settings

from accounts.tasks import OrganizationTask, SystemTask
from inbox import services
from inbox.models import MessageStatus


@shared_task(bind=True, base=OrganizationTask, max_retries=settings.INBOX_SEND_MAX_RETRIES)
def message_deliver(self, *, organization_id: int, message_id: int) -> str:
    """Send a queued message; a transient failure retries with exponential backoff, and the
    last attempt fails the message visibly. Running twice sends once."""
    status = services.message_deliver(message_id=message_id, final_attempt=self.request.retries >= self.max_retries)
    if status == MessageStatus.QUEUED:
        delay = settings.INBOX_SEND_RETRY_BACKOFF_SECONDS * 2**self.request.retries
        raise self.retry(countdown=min(delay, 600))
    return status


@shared_task(base=OrganizationTask)
def attachment_fetch(*, organization_id: int, attachment_id: int) -> bool:
    """Keep our own copy of an attachment the provider holds (size-limited)."""
    return services.attachment_fetch(attachment_id=attachment_id)


@shared_task(base=SystemTask)
def integrations_recheck() -> int:
    """Check every connected integration again; one that stopped working shows as an error."""
    return services.integrations_recheck()
