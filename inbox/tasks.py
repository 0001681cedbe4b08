"""Inbox work done by a worker: sending, fetching attachments, checking integrations, polling mailboxes."""

from celery import shared_task
from django.conf import settings

from accounts.tasks import OrganizationTask, SystemTask
from inbox import mailbox_sync, services
from inbox.models import IntegrationConfig, IntegrationKind, MessageStatus


@shared_task(bind=True, base=OrganizationTask, max_retries=settings.INBOX_SEND_MAX_RETRIES)
def message_deliver(self, *, organization_id: int, message_id: int) -> str:
    """Send a queued message; a transient failure retries with exponential backoff, and the
    last attempt fails the message visibly. Running twice sends once."""
    status = services.message_deliver(message_id=message_id, final_attempt=self.request.retries >= self.max_retries)
    if status != MessageStatus.QUEUED:
        return status
    if self.request.is_eager:
        # No worker will come back later (the embedded default runs tasks in the caller):
        # the next attempt runs now, and the last one still fails the message visibly.
        next_attempt = message_deliver.apply(
            kwargs={"organization_id": organization_id, "message_id": message_id}, retries=self.request.retries + 1
        )
        return next_attempt.get(disable_sync_subtasks=False)
    delay = settings.INBOX_SEND_RETRY_BACKOFF_SECONDS * 2**self.request.retries
    raise self.retry(countdown=min(delay, 600))


@shared_task(base=OrganizationTask)
def attachment_fetch(*, organization_id: int, attachment_id: int) -> bool:
    """Keep our own copy of an attachment the provider holds (size-limited)."""
    return services.attachment_fetch(attachment_id=attachment_id)


@shared_task(base=SystemTask)
def integrations_recheck() -> int:
    """Check every connected integration again; one that stopped working shows as an error."""
    return services.integrations_recheck()


# A poll still waiting when the next one is enqueued (workers down or busy) is dropped: the next reads the same mail.
MAILBOX_POLL_EXPIRES_SECONDS = 120


@shared_task(base=SystemTask)
def mailboxes_poll() -> int:
    """Enqueue one poll per mailbox (beat, every minute); each runs in its organization's scope."""
    mailboxes = mailbox_sync.mailboxes_to_poll()
    for integration_id, organization_id in mailboxes:
        mailbox_poll.apply_async_on_commit(
            kwargs={"organization_id": organization_id, "integration_id": integration_id},
            expires=MAILBOX_POLL_EXPIRES_SECONDS,
        )
    return len(mailboxes)


@shared_task(base=OrganizationTask)
def mailbox_poll(*, organization_id: int, integration_id: int) -> int:
    """Read one mailbox's new mail into the inbox; safe to run twice (Message-IDs are stored once)."""
    config = (
        IntegrationConfig.objects.filter(pk=integration_id, kind=IntegrationKind.MAILBOX, is_active=True)
        .select_related("organization")
        .first()
    )
    if config is None:
        return 0  # removed or switched off since it was enqueued
    return mailbox_sync.mailbox_poll(config=config)
