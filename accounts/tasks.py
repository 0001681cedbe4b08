"""Task bases: every task says whose data it works on.

Tasks take ids, never instances. One that works on an organization's data is
called with ``organization_id=`` and runs inside that organization's scope, so
the database shows it that organization's rows and no others; system work
(provisioning, webhooks, periodic sweeps across tenants) says so explicitly.
Both bases enqueue after the current transaction commits with
``delay_on_commit``/``apply_async_on_commit`` (Celery's Django task class).
"""

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings

from accounts import services
from accounts.tenancy import organization_scope, system_scope


class OrganizationTask(DjangoTask):
    abstract = True

    def __call__(self, *args, **kwargs):
        organization_id = kwargs.get("organization_id")
        if organization_id is None:
            raise TypeError(f"{self.name} works on one organization: call it with organization_id=")
        with organization_scope(organization_id):
            return super().__call__(*args, **kwargs)


class SystemTask(DjangoTask):
    abstract = True

    def __call__(self, *args, **kwargs):
        with system_scope():
            return super().__call__(*args, **kwargs)


@shared_task(base=SystemTask)
def idempotency_records_prune() -> int:
    return services.idempotency_records_prune()


@shared_task(
    base=SystemTask,
    autoretry_for=(services.TransientEmailError,),
    retry_backoff=min(10, settings.EMAIL_RETRY_BACKOFF_SECONDS),
    retry_backoff_max=120,
    max_retries=5,
)
def magic_link_email_send(*, email: str) -> bool:
    """Send a sign-in link if the address belongs to an active user.

    System scope: no organization is known yet. Retries stay within a few
    minutes, because the link itself is valid for only a short while.
    """
    return services.magic_link_email_send(email=email)
