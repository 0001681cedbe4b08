"""Starting a purchase: plans on sale, and a Stripe Checkout Session carrying the buyer's details."""

import pytest
from rest_framework.test import APIClient

from billing.tests.stripe_helpers import CHECKOUT
from config.tests.fakes.stripe import _nested_form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()


def _post(**changes):
    return APIClient().post("/api/v1/billing/checkout-sessions/", {**CHECKOUT, **changes}, format="json")


def test_only_plans_with_a_price_are_on_sale(fake_stripe, settings):
    settings.STRIPE_PRICE_IDS = {"pro": fake_stripe.price_id}
    body = APIClient().get("/api/v1/billing/plans/").json()
    assert [plan["key"] for plan in body] == ["pro"]
    assert body[0]["name"] == "Pro" and body[0]["features"]
    assert "price_id" not in body[0]


def test_a_checkout_session_carries_the_buyers_details(fake_stripe, settings):
    response = _post()
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"].startswith(fake_stripe.url + "/pay/")

    sent = _nested_form(fake_stripe.requests_to("POST", "/v1/checkout/sessions")[0].form())
    assert sent["mode"] == "subscription"
    assert sent["line_items"] == [{"price": fake_stripe.price_id, "quantity": "1"}]
    assert sent["customer_email"] == "dana@sparkle.example"
    assert sent["metadata"] == {
        "plan": "pro",
        "email": "dana@sparkle.example",
        "business_name": "Sparkle Cleaning Co",
        "industry": "cleaner",
        "phone": "+15125550188",
        "country": "US",
        "timezone": "America/Chicago",
        "team_size": "4",
        "owner_name": "Dana Whitfield",
    }
    assert sent["subscription_data"]["metadata"] == sent["metadata"]
    assert sent["success_url"] == "http://127.0.0.1:8000/checkout/success/?session_id={CHECKOUT_SESSION_ID}"
    assert sent["cancel_url"] == "http://127.0.0.1:8000/checkout/cancelled/"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"plan": "platinum"}, "plan"),
        ({"email": "not-an-email"}, "email"),
        ({"business_name": "   "}, "business_name"),
        ({"industry": "astronaut"}, "industry"),
        ({"phone": "12"}, "phone"),
        ({"country": "XX"}, "country"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"team_size": 0}, "team_size"),
    ],
)
def test_bad_input_names_the_field_and_never_reaches_stripe(fake_stripe, changes, field):
    response = _post(**changes)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert fake_stripe.requests_to("POST", "/v1/checkout/sessions") == []


def test_stripe_down_is_a_502_not_a_500(fake_stripe):
    fake_stripe.fail_next(3, status=500)  # the first try and the client's two retries
    response = _post()
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "payment_provider_unavailable"


def test_stripe_refusing_the_request_is_a_400(fake_stripe, settings):
    settings.STRIPE_PRICE_IDS = {"pro": "price_that_stripe_does_not_know"}
    response = _post()
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payment_provider_refused"


def test_stripe_not_configured_says_so(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PRICE_IDS = {"pro": "price_123"}
    response = _post()
    assert response.status_code == 400
    assert "STRIPE_SECRET_KEY" in response.json()["error"]["message"]


def test_checkout_is_rate_limited_per_address(fake_stripe, settings):
    settings.CHECKOUT_RATE_PER_IP = "2/m"
    assert [_post().status_code for _ in range(3)] == [201, 201, 429]
    assert _post().json()["error"]["code"] == "rate_limited"


def test_the_success_and_cancel_pages_render(client):
    assert "being set up" in client.get("/checkout/success/?session_id=cs_x").content.decode()
    assert "No payment was taken" in client.get("/checkout/cancelled/").content.decode()
