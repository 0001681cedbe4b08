from django.db import models

from accounts.models import Organization, TenantModel


class ProvisioningSource(models.TextChoices):
    CHECKOUT = "checkout", "Stripe Checkout"
    STAFF = "staff", "Created by staff"
    DEMO = "demo", "Demo data"


class WelcomeEmailStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Provisioning(TenantModel):
    """How an organization came to exist, and the welcome that followed.

    One per checkout session: the unique id is what makes a replayed or
    duplicated checkout event create nothing a second time.
    """

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="provisioning")
    source = models.CharField(max_length=20, choices=ProvisioningSource.choices, default=ProvisioningSource.CHECKOUT)
    checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    welcome_email_status = models.CharField(
        max_length=20, choices=WelcomeEmailStatus.choices, default=WelcomeEmailStatus.PENDING
    )
    welcome_email_sent_at = models.DateTimeField(null=True, blank=True)
    welcome_email_attempts = models.PositiveSmallIntegerField(default=0)
    welcome_email_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_source_display()})"
