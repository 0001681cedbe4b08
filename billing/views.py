"""Public pages around buying, and the Stripe webhook endpoint."""

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from djstripe.models import WebhookEndpoint, WebhookEventTrigger
from djstripe.models.webhooks import get_remote_ip
from djstripe.settings import djstripe_settings

from billing import tasks


@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookView(View):
    """Verify a Stripe delivery with dj-stripe, store it, and leave the processing to a worker.

    The answer comes as soon as the event is safely stored, so Stripe never
    waits on our work, and slow or failed processing is retried by Celery.
    Every delivery is kept, valid or not, as dj-stripe's webhook log.
    """

    def post(self, request: HttpRequest, uuid) -> HttpResponse:
        if "stripe-signature" not in request.headers:
            return HttpResponseBadRequest("Missing Stripe-Signature header.")
        endpoint = get_object_or_404(WebhookEndpoint, djstripe_uuid=uuid)
        with transaction.atomic():
            trigger = WebhookEventTrigger.objects.create(
                headers=dict(request.headers),
                body=request.body.decode(request.encoding or "utf-8", errors="replace"),
                remote_ip=get_remote_ip(request),
                webhook_endpoint=endpoint,
            )
            trigger.valid = trigger.validate(
                secret=endpoint.secret, api_key=djstripe_settings.get_default_api_key(endpoint.livemode)
            )
            trigger.save(update_fields=["valid"])
            if not trigger.valid:
                return HttpResponseBadRequest("The signature does not match or is too old.")
            tasks.stripe_event_process.delay_on_commit(trigger_id=trigger.id)
        return HttpResponse(str(trigger.id))


def checkout_success(request):
    return render(request, "billing/checkout_success.html")


def checkout_cancel(request):
    return render(request, "billing/checkout_cancel.html")
