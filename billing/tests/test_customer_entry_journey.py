"""The whole way in, with a real Celery worker process on Redis:

Stripe-signed checkout.session.completed -> the account exists -> the welcome
email went out -> its link, confirmed with a POST, signs the owner in -> the
onboarding shows what they typed at checkout.
"""

import time
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from accounts.models import Organization
from billing.models import Provisioning
from billing.tests.stripe_helpers import deliver, start_checkout, webhook_endpoint

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_env(fake_stripe, fake_email, settings) -> dict[str, str]:
    """The worker reaches the same fake Stripe and email service as this test."""
    return {
        "STRIPE_SECRET_KEY": fake_stripe.secret_key,
        "STRIPE_API_HOST": fake_stripe.url,
        "STRIPE_PRICE_IDS": ",".join(f"{key}:{price}" for key, price in settings.STRIPE_PRICE_IDS.items()),
        "EMAIL_RETRY_BACKOFF_SECONDS": "1",
        **fake_email.environment(),
    }


def _eventually(check, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_from_checkout_to_a_signed_in_onboarding(celery_worker_process, fake_stripe, fake_email):
    endpoint = webhook_endpoint()
    session = fake_stripe.complete_checkout(start_checkout(APIClient()))
    fake_email.fail_next(1, status=503)  # the email service stumbles once: the worker retries

    response = deliver(APIClient(), endpoint, fake_stripe.event("checkout.session.completed", session))
    assert response.status_code == 200

    organization = _eventually(lambda: Organization.objects.filter(name="Sparkle Cleaning Co").first())
    [message] = _eventually(lambda: fake_email.messages_to("dana@sparkle.example"))
    # The service has the message a moment before the worker's transaction records it as sent.
    provisioning = _eventually(
        lambda: Provisioning.objects.filter(organization=organization, welcome_email_status="sent").first()
    )
    assert (provisioning.welcome_email_status, provisioning.welcome_email_attempts) == ("sent", 2)

    link = next(link for link in fake_email.links_in(message) if "sesame=" in link)
    url = urlsplit(link)
    browser = APIClient()
    confirm_page = browser.get(f"{url.path}?{url.query}")
    assert confirm_page.status_code == 200
    assert browser.get("/api/v1/auth/session/").json()["authenticated"] is False  # opening the link is not enough

    signed_in = browser.post(url.path, {"sesame": dict(p.split("=", 1) for p in url.query.split("&"))["sesame"]})
    assert signed_in.status_code == 302
    onboarding = browser.get("/api/v1/onboarding/")
    assert onboarding.status_code == 200, onboarding.content
    body = onboarding.json()
    assert body["steps"]["business"]["name"] == "Sparkle Cleaning Co"
    assert body["steps"]["business"]["phone"] == "+15125550188"
    assert body["steps"]["business"]["timezone"] == "America/Chicago"
    assert body["industry"]["key"] == "cleaner"
    assert body["steps"]["services"], "the cleaning profile's services are offered"
    assert body["suggested_invite_count"] == 3
