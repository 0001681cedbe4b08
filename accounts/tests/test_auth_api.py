"""Signing in from the single-page app: ask for a link, spend it, read and end the session, with CSRF."""

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.magic_links import magic_link_url
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK_SENT = {"detail": "If this email belongs to a Bizbox account, a sign-in link is on its way."}


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings):
    # A fresh key prefix rather than clearing the shared Redis (see test_magic_link_request).
    settings.RATELIMIT_CACHE_PREFIX = f"rl-test-{uuid.uuid4().hex}:"


@pytest.fixture
def browser() -> APIClient:
    """The single-page app: session cookie, and Django's CSRF checks as in production."""
    return APIClient(enforce_csrf_checks=True)


def _token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["sesame"][0]


def _csrf(client: APIClient) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


@pytest.fixture
def alice(owner) -> dict:
    """The owner, named, and how the API shows her."""
    owner.first_name, owner.last_name = "Alice", "Archer"
    owner.save()
    return {
        "id": owner.pk,
        "email": "alice@alpha.example",
        "first_name": "Alice",
        "last_name": "Archer",
        "full_name": "Alice Archer",
    }


def test_asking_for_a_link_answers_202_the_same_for_known_and_unknown_emails(browser, owner):
    known = browser.post("/api/v1/auth/magic-link/", {"email": "alice@alpha.example"}, format="json")
    assert (known.status_code, known.json()) == (202, LINK_SENT)
    assert [message.to for message in mail.outbox] == [["alice@alpha.example"]]

    unknown = browser.post("/api/v1/auth/magic-link/", {"email": "nobody@alpha.example"}, format="json")
    assert (unknown.status_code, unknown.json()) == (202, LINK_SENT)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("body", [{"email": "not-an-email"}, {}, {"email": ""}, {"email": ["a@b.example"]}])
def test_a_bad_email_is_a_400_naming_the_field(browser, body):
    response = browser.post("/api/v1/auth/magic-link/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", ["email"])


def test_too_many_links_for_one_email_is_a_429(browser, owner, settings):
    settings.MAGIC_LINK_RATE_PER_EMAIL = "2/h"
    statuses = [
        browser.post("/api/v1/auth/magic-link/", {"email": email}, format="json", REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n, email in enumerate(["alice@alpha.example", "ALICE@alpha.example", "alice@alpha.example"])
    ]
    assert statuses == [202, 202, 429]
    assert len(mail.outbox) == 2


def test_too_many_links_from_one_address_is_a_429(browser, settings):
    settings.MAGIC_LINK_RATE_PER_IP = "2/h"
    responses = [
        browser.post("/api/v1/auth/magic-link/", {"email": f"p{n}@example.com"}, format="json") for n in range(3)
    ]
    assert [response.status_code for response in responses] == [202, 202, 429]
    assert responses[-1].json()["error"]["code"] == "rate_limited"


def test_the_session_starts_anonymous_and_sets_the_csrf_cookie(browser):
    response = browser.get("/api/v1/auth/session/")
    assert response.json() == {"authenticated": False, "user": None}
    assert response.cookies["csrftoken"].value


def test_the_emailed_token_signs_in_with_a_session_cookie(browser, alice):
    browser.post("/api/v1/auth/magic-link/", {"email": "alice@alpha.example"}, format="json")
    token = _token_of(next(line for line in mail.outbox[0].body.splitlines() if "sesame=" in line))
    browser.get("/api/v1/auth/session/")

    response = browser.post("/api/v1/auth/magic-link/confirm/", {"token": token}, format="json", **_csrf(browser))
    assert response.status_code == 200
    assert response.json() == {"authenticated": True, "user": alice}
    assert browser.get("/api/v1/auth/session/").json() == {"authenticated": True, "user": alice}
    assert browser.get("/api/v1/me/").status_code == 200


def test_confirming_needs_the_csrf_token(browser, owner):
    browser.get("/api/v1/auth/session/")
    response = browser.post(
        "/api/v1/auth/magic-link/confirm/", {"token": _token_of(magic_link_url(owner))}, format="json"
    )
    assert response.status_code == 403
    assert browser.get("/api/v1/auth/session/").json()["authenticated"] is False


def test_a_token_is_spent_by_signing_in(owner):
    token = _token_of(magic_link_url(owner))
    assert APIClient().post("/api/v1/auth/magic-link/confirm/", {"token": token}, format="json").status_code == 200
    again = APIClient().post("/api/v1/auth/magic-link/confirm/", {"token": token}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_link"


@pytest.mark.parametrize("token", ["probe", "a:b:c", "AAAAAAAAAAAAAAAAAAAAAAAA", "ü"])
def test_a_bad_token_is_a_400_invalid_link(token):
    response = APIClient().post("/api/v1/auth/magic-link/confirm/", {"token": token}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid_link", ["token"])


def test_a_missing_token_is_a_400_naming_the_field():
    response = APIClient().post("/api/v1/auth/magic-link/confirm/", {}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["token"]


def test_a_token_of_user_b_signs_in_b_never_the_current_user_a(owner):
    bob = UserFactory(email="bob@elsewhere.example")
    client = APIClient()
    client.force_login(owner)
    response = client.post("/api/v1/auth/magic-link/confirm/", {"token": _token_of(magic_link_url(bob))}, format="json")
    assert response.json()["user"]["email"] == "bob@elsewhere.example"
    assert client.get("/api/v1/auth/session/").json()["user"]["email"] == "bob@elsewhere.example"


def test_signing_out_needs_the_csrf_token_then_ends_the_session(browser, owner):
    browser.get("/api/v1/auth/session/")
    browser.post(
        "/api/v1/auth/magic-link/confirm/", {"token": _token_of(magic_link_url(owner))}, format="json", **_csrf(browser)
    )

    refused = browser.delete("/api/v1/auth/session/")
    assert refused.status_code == 403
    assert browser.get("/api/v1/auth/session/").json()["authenticated"] is True

    # Signing in rotated the CSRF token; the cookie holds the new one.
    assert browser.delete("/api/v1/auth/session/", **_csrf(browser)).status_code == 204
    assert browser.get("/api/v1/auth/session/").json() == {"authenticated": False, "user": None}
    assert browser.get("/api/v1/me/").status_code in (401, 403)
