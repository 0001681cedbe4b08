"""The providers' webhooks: inbound messages and status callbacks, one pair of URLs per kind.

The organization is found from the integration the request is addressed to (the
number, the Page or account id), never from anything the sender controls, and
only after the request proved it comes from the provider with that integration's
secret. A request for no known integration, or with a bad signature, stores
nothing. Storing is quick; attachments and live updates follow after commit.
"""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.tenancy import organization_scope, system_scope
from config.api.errors import error_body
from inbox import selectors, services
from inbox.providers import provider_for
from inbox.providers.base import Provider, WebhookRefused

logger = logging.getLogger(__name__)


def _provider(kind: str) -> Provider | None:
    try:
        provider = provider_for(kind)
    except LookupError:
        return None
    return provider if type(provider).routing_addresses is not Provider.routing_addresses else None


def _configs_addressed(provider: Provider, request: HttpRequest):
    with system_scope():
        return selectors.integrations_for_addresses(kind=provider.kind, addresses=provider.routing_addresses(request))


def _refused(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def _handle(request: HttpRequest, kind: str, work) -> HttpResponse:
    provider = _provider(kind)
    if provider is None:
        return _refused(404, "not_found", "Not found.")
    if request.method == "GET":
        return provider.handshake(request)
    configs = _configs_addressed(provider, request)
    if not configs:
        logger.info("Webhook for %s addressed to no known integration; ignored", kind)
        return _refused(404, "unknown_integration", "This request is not addressed to a known integration.")
    try:
        provider.verify(request, configs[0])
    except WebhookRefused as refusal:
        logger.warning("Refused a %s webhook: %s", kind, refusal)
        return _refused(403, "invalid_signature", "The request's signature does not match.")
    for config in configs:
        with organization_scope(config.organization_id):
            work(provider, config)
    return provider.acknowledge(request)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def inbound(request: HttpRequest, kind: str) -> HttpResponse:
    def receive(provider: Provider, config) -> None:
        for message in provider.parse_inbound(request, config):
            services.inbound_record(config=config, inbound=message)
        if provider.statuses_with_inbound:
            for update in provider.parse_statuses(request, config):
                services.message_status_apply(config=config, update=update)

    return _handle(request, kind, receive)


@csrf_exempt
@require_http_methods(["POST"])
def status_callback(request: HttpRequest, kind: str) -> HttpResponse:
    def apply(provider: Provider, config) -> None:
        for update in provider.parse_statuses(request, config):
            services.message_status_apply(config=config, update=update)

    return _handle(request, kind, apply)
