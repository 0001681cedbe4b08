"""anymail's Postmark webhooks, answering a malformed body with a 400 that names the problem.

anymail's own views let a body that is not Postmark's JSON (or an event posted to the
wrong one of the two URLs) escape as a 500. These subclasses change only that; the shared
secret is still checked by anymail first, and the events still go to anymail's signals
(``inbox.email_inbound``). They are mounted in ``config/urls.py`` on anymail's own paths.
"""

import logging

from anymail.webhooks.postmark import PostmarkInboundWebhookView, PostmarkTrackingWebhookView
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse

from config.api.errors import error_body

logger = logging.getLogger(__name__)


class MalformedWebhook(Exception):
    """The body is not the webhook this URL takes."""


class _ClearErrors:
    def parse_events(self, request: HttpRequest) -> list:
        try:
            return super().parse_events(request)
        # A wrong event type at this URL is a configuration error in anymail's eyes; a bad
        # body fails on the first field read. Either way the sender is at fault, not us.
        except (ValueError, KeyError, TypeError, AttributeError, ImproperlyConfigured) as error:
            raise MalformedWebhook(str(error)[:200]) from error

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except MalformedWebhook as error:
            logger.warning("Malformed %s webhook refused: %s", self.esp_name, error)
            message = f"The body is not a {self.esp_name} {self.kind} webhook: {error}"
            return JsonResponse(error_body("invalid_webhook", message), status=400)


class PostmarkInboundView(_ClearErrors, PostmarkInboundWebhookView):
    kind = "inbound"


class PostmarkTrackingView(_ClearErrors, PostmarkTrackingWebhookView):
    kind = "tracking"
