"""Shared set-up for the email tests: the business's inbound address, anymail's webhook
secret, and POSTing Postmark-shaped webhooks to anymail's URLs."""

import base64
import json

from django.test import Client
from django.urls import reverse

from inbox.models import IntegrationConfig, IntegrationKind
from inbox.providers.email import inbound_address
from inbox.tests.factories import IntegrationConfigFactory

WEBHOOK_SECRET = "postmark-hooks:a-long-shared-webhook-secret"


def email_integration(organization) -> IntegrationConfig:
    return IntegrationConfigFactory(
        organization=organization,
        kind=IntegrationKind.EMAIL,
        name="Inbound email",
        address=inbound_address(organization),
        credentials={},
    )


def webhook_secret_set(settings) -> None:
    settings.ANYMAIL = {**getattr(settings, "ANYMAIL", {}), "WEBHOOK_SECRET": WEBHOOK_SECRET}


def basic_auth(secret: str) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


def post_webhook(client: Client, name: str, payload: dict, *, secret: str | None = WEBHOOK_SECRET):
    """POST ``payload`` to anymail's Postmark webhook ``name`` ("inbound" or "tracking")."""
    headers = {"HTTP_AUTHORIZATION": basic_auth(secret)} if secret else {}
    url = reverse(f"anymail:postmark_{name}_webhook")
    return client.post(url, data=json.dumps(payload), content_type="application/json", **headers)
