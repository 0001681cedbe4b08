"""Acting as Stripe in tests: a checkout to completion and its signed webhook delivery."""

import json
import time

from django.core.management import call_command
from djstripe.models import WebhookEndpoint

from billing.providers.stripe import webhook_signature

CHECKOUT = {
    "plan": "pro",
    "email": "dana@sparkle.example",
    "business_name": "Sparkle Cleaning Co",
    "industry": "cleaner",
    "phone": "(512) 555-0188",
    "country": "US",
    "timezone": "America/Chicago",
    "team_size": 4,
    "owner_name": "Dana Whitfield",
}


def webhook_endpoint() -> WebhookEndpoint:
    call_command("stripe_webhook_endpoint", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return WebhookEndpoint.objects.get()


def deliver(client, endpoint: WebhookEndpoint, event: dict, *, secret: str | None = None, timestamp: int | None = None):
    """POST ``event`` to our webhook URL the way Stripe does, signed with the endpoint's secret."""
    payload = json.dumps(event)
    signature = webhook_signature(payload, secret or endpoint.secret, timestamp or int(time.time()))
    return client.post(
        f"/stripe/webhook/{endpoint.djstripe_uuid}/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def start_checkout(api_client, **changes) -> str:
    response = api_client.post("/api/v1/billing/checkout-sessions/", {**CHECKOUT, **changes}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]
