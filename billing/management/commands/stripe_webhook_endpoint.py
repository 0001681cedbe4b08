from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from djstripe.models import WebhookEndpoint

from billing.providers import stripe as stripe_provider

EVENTS = [
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
]


class Command(BaseCommand):
    help = (
        "Create the Stripe webhook endpoint and print its URL. With STRIPE_WEBHOOK_SECRET set, the endpoint "
        "already exists at Stripe and only our side is recorded; otherwise it is registered at Stripe too."
    )

    def handle(self, *args, **options):
        endpoint = (
            WebhookEndpoint.objects.filter(livemode=settings.STRIPE_LIVE_MODE).order_by("djstripe_created").first()
        )
        if endpoint is None:
            endpoint = WebhookEndpoint(livemode=settings.STRIPE_LIVE_MODE, enabled_events=EVENTS, status="enabled")
            url = self._url(endpoint)
            if settings.STRIPE_WEBHOOK_SECRET:
                endpoint.id, endpoint.secret = (
                    f"we_local_{endpoint.djstripe_uuid.hex[:16]}",
                    settings.STRIPE_WEBHOOK_SECRET,
                )
            else:
                try:
                    endpoint.id, endpoint.secret = stripe_provider.webhook_endpoint_create(url=url, events=EVENTS)
                except stripe_provider.PaymentProviderError as error:
                    raise CommandError(f"Stripe refused the webhook endpoint: {error}") from error
            endpoint.url = url
            endpoint.api_version = settings.STRIPE_API_VERSION if hasattr(settings, "STRIPE_API_VERSION") else ""
            endpoint.save()
        self.stdout.write(endpoint.url)

    def _url(self, endpoint: WebhookEndpoint) -> str:
        return f"{settings.SITE_URL}{reverse('stripe-webhook', kwargs={'uuid': endpoint.djstripe_uuid})}"
