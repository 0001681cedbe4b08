"""Public pages around buying, and the Stripe webhook endpoint."""

from django.shortcuts import render
from djstripe.views import ProcessWebhookView

from billing import tasks


class StripeWebhookView(ProcessWebhookView):
    """dj-stripe's endpoint verifies the signature and stores the event; a worker processes it.

    The answer comes as soon as the event is safely stored, so Stripe never
    waits on our work, and a slow or failed processing is retried by Celery.
    """

    def post(self, request, uuid):
        response = super().post(request, uuid)
        if response.status_code == 200:
            trigger_id = int(response.content)
            tasks.stripe_event_process.delay_on_commit(trigger_id=trigger_id)
        return response


def checkout_success(request):
    return render(request, "billing/checkout_success.html")


def checkout_cancel(request):
    return render(request, "billing/checkout_cancel.html")
