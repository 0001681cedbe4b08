"""Stripe, for the plans businesses buy from us. The rest of the code never imports ``stripe``.

dj-stripe talks to Stripe on its own (through the same ``STRIPE_API_HOST``);
this module covers what we call directly.
"""

from dataclasses import dataclass

import stripe
from django.conf import settings


class PaymentProviderError(Exception):
    """Stripe refused or failed. ``permanent`` means retrying the same request will not help."""

    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    if not is_configured():
        raise PaymentProviderError("Stripe is not configured: set STRIPE_SECRET_KEY.", permanent=True)
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": getattr(settings, "STRIPE_API_HOST", "https://api.stripe.com")},
        max_network_retries=2,
    )


def _call(operation):
    try:
        return operation()
    except stripe.InvalidRequestError as error:
        raise PaymentProviderError(error.user_message or str(error), permanent=True) from error
    except stripe.AuthenticationError as error:
        raise PaymentProviderError("Stripe refused our API key.", permanent=True) from error
    except stripe.StripeError as error:
        raise PaymentProviderError(error.user_message or "Stripe is not answering.", permanent=False) from error


def checkout_session_create(
    *, price_id: str, email: str, metadata: dict[str, str], success_url: str, cancel_url: str
) -> CheckoutSession:
    params = {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 1}],
        "customer_email": email,
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "allow_promotion_codes": True,
    }
    session = _call(lambda: _client().v1.checkout.sessions.create(params=params))
    return CheckoutSession(id=session.id, url=session.url)


def webhook_endpoint_create(*, url: str, events: list[str]) -> tuple[str, str]:
    """Register our webhook URL at Stripe; returns its id and signing secret."""
    endpoint = _call(lambda: _client().v1.webhook_endpoints.create(params={"url": url, "enabled_events": events}))
    return endpoint.id, endpoint.secret


def webhook_signature(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for ``payload``; for tools and tests."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
