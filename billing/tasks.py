from celery import shared_task
from django.conf import settings
from djstripe.models import WebhookEventTrigger

from accounts.services import TransientEmailError
from accounts.tasks import OrganizationTask, SystemTask
from billing import services


@shared_task(
    base=SystemTask,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=10,
)
def stripe_event_process(*, trigger_id: int) -> None:
    """Process a verified Stripe webhook that the endpoint stored; safe to run twice."""
    trigger = WebhookEventTrigger.objects.get(pk=trigger_id)
    if trigger.valid and not trigger.processed:
        trigger.process(save=True)


@shared_task(
    base=OrganizationTask,
    bind=True,
    autoretry_for=(TransientEmailError,),
    retry_backoff=settings.EMAIL_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=1800,
    max_retries=8,
)
def welcome_email_send(self, *, organization_id: int) -> None:
    services.welcome_email_send(organization_id=organization_id, final_attempt=self.request.retries >= self.max_retries)
