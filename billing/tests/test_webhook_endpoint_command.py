"""manage.py stripe_webhook_endpoint: the endpoint row and its URL, with no clicking."""

import io

import pytest
from django.core.management import call_command
from djstripe.models import WebhookEndpoint

from config.tests.fakes.stripe import _nested_form

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = io.StringIO()
    call_command("stripe_webhook_endpoint", stdout=out)
    return out.getvalue().strip()


def test_without_a_secret_it_registers_the_endpoint_at_stripe(fake_stripe):
    url = _run()
    endpoint = WebhookEndpoint.objects.get()
    assert url == f"http://127.0.0.1:8000/stripe/webhook/{endpoint.djstripe_uuid}/"
    [registered] = fake_stripe.requests_to("POST", "/v1/webhook_endpoints")
    sent = _nested_form(registered.form())
    assert sent["url"] == url
    assert "checkout.session.completed" in sent["enabled_events"]
    assert endpoint.secret.startswith("whsec_")


def test_with_a_secret_it_records_the_endpoint_made_at_stripe(fake_stripe, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_from_the_dashboard"
    _run()
    assert WebhookEndpoint.objects.get().secret == "whsec_from_the_dashboard"
    assert fake_stripe.requests_to("POST", "/v1/webhook_endpoints") == []


def test_running_it_again_keeps_the_same_endpoint(fake_stripe):
    assert _run() == _run()
    assert WebhookEndpoint.objects.count() == 1
