"""Our handlers of Stripe events, one per kind, run by the worker after dj-stripe has
synced the event's objects from Stripe (see billing.tasks.stripe_event_process)."""

import logging

from djstripe.event_handlers import djstripe_receiver
from djstripe.models import Event, Subscription

from billing import services

logger = logging.getLogger(__name__)


@djstripe_receiver("checkout.session.completed")
def on_checkout_completed(sender, event: Event, **kwargs) -> None:
    """A business paid: create its account, once per checkout session."""
    services.checkout_provision(session_id=event.data["object"]["id"])


@djstripe_receiver(["customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"])
def on_subscription_changed(sender, event: Event, **kwargs) -> None:
    """Keep the organization's subscription status and paid period as Stripe has them now."""
    subscription = Subscription.objects.filter(id=event.data["object"]["id"]).first()
    if subscription is None:
        logger.info("Subscription of event %s is not synced; nothing to update", event.id)
        return
    services.subscription_sync(subscription=subscription)


@djstripe_receiver(["invoice.paid", "invoice.payment_failed"])
def on_invoice_outcome(sender, event: Event, **kwargs) -> None:
    """A renewal was paid or failed: re-read the subscription it belongs to."""
    subscription_id = _invoice_subscription_id(event.data["object"])
    if not subscription_id:
        return
    subscription = Subscription.sync_from_stripe_data(
        Subscription(id=subscription_id).api_retrieve(api_key=event.default_api_key), api_key=event.default_api_key
    )
    services.subscription_sync(subscription=subscription)


def _invoice_subscription_id(invoice: dict) -> str:
    # Newer API versions name the subscription under parent.subscription_details.
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    value = invoice.get("subscription") or parent.get("subscription") or ""
    return value["id"] if isinstance(value, dict) else value
