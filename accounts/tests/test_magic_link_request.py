"""Asking for a sign-in link on the login page: the same answer for every address, and rate limited."""

import uuid

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings):
    # A fresh key prefix rather than clearing the cache: the tests share one
    # Redis with parallel test processes and Celery, which a flush would disturb.
    settings.RATELIMIT_CACHE_PREFIX = f"rl-test-{uuid.uuid4().hex}:"


def _ask(client, email: str, ip: str = "127.0.0.1"):
    return client.post("/login/", {"email": email}, REMOTE_ADDR=ip)


def test_the_login_page_shows_an_email_form(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'type="email"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_a_known_email_gets_the_check_your_email_page_and_a_link(client, owner):
    response = _ask(client, "alice@alpha.example")
    assert response.status_code == 200
    assert b"Check your email" in response.content
    assert [message.to for message in mail.outbox] == [["alice@alpha.example"]]


def test_an_unknown_email_gets_the_very_same_page_and_no_email(client, owner):
    known = _ask(client, "alice@alpha.example").content.replace(b"alice@alpha.example", b"EMAIL")
    mail.outbox.clear()
    unknown = _ask(client, "nobody@alpha.example").content.replace(b"nobody@alpha.example", b"EMAIL")
    assert unknown == known
    assert mail.outbox == []


def test_the_email_is_matched_whatever_its_case(client, owner):
    _ask(client, "  Alice@ALPHA.example ")
    assert [message.to for message in mail.outbox] == [["alice@alpha.example"]]


def test_an_inactive_user_gets_no_link(client):
    UserFactory(email="gone@alpha.example", is_active=False)
    assert _ask(client, "gone@alpha.example").status_code == 200
    assert mail.outbox == []


def test_a_malformed_email_shows_the_form_again_with_the_error(client):
    response = _ask(client, "not-an-email")
    assert response.status_code == 400
    assert b"Enter a valid email address." in response.content
    assert mail.outbox == []


def test_too_many_requests_for_one_email_get_a_friendly_429(client, owner, settings):
    settings.MAGIC_LINK_RATE_PER_EMAIL = "2/h"
    assert [_ask(client, "alice@alpha.example", ip=f"10.0.0.{n}").status_code for n in range(3)] == [200, 200, 429]
    limited = _ask(client, "ALICE@alpha.example", ip="10.0.0.9")
    assert limited.status_code == 429
    assert b"Please wait a little" in limited.content
    assert len(mail.outbox) == 2


def test_too_many_requests_from_one_address_get_a_friendly_429(client, settings):
    settings.MAGIC_LINK_RATE_PER_IP = "3/h"
    statuses = [_ask(client, f"person{n}@example.com", ip="192.0.2.7").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert _ask(client, "person9@example.com", ip="192.0.2.8").status_code == 200


def test_the_page_and_the_api_draw_on_one_allowance(client, owner, settings):
    settings.MAGIC_LINK_RATE_PER_EMAIL = "2/h"
    assert _ask(client, "alice@alpha.example").status_code == 200
    assert (
        client.post("/api/v1/auth/magic-link/", {"email": "alice@alpha.example"}, "application/json").status_code == 202
    )
    assert _ask(client, "alice@alpha.example").status_code == 429
