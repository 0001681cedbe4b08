"""Opening a magic link: GET only shows a "Sign in" button; the POST signs in and spends the link."""

import re
import time
import uuid
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from accounts.magic_links import magic_link_url
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/login/magic/\?sesame=[\w-]+")


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings):
    # A fresh key prefix rather than clearing the shared Redis (see test_magic_link_request).
    settings.RATELIMIT_CACHE_PREFIX = f"rl-test-{uuid.uuid4().hex}:"


def _emailed_link(client: Client, email: str) -> str:
    """Ask for a link on the login page and return it, as a path, from the email."""
    client.post("/login/", {"email": email})
    link = LINK.search(mail.outbox[-1].body).group(0)
    return f"{urlsplit(link).path}?{urlsplit(link).query}"


def _token(link: str) -> str:
    return urlsplit(link).query.removeprefix("sesame=")


def _signed_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def test_the_emailed_link_signs_in_only_after_the_button(client, owner):
    link = _emailed_link(client, "alice@alpha.example")

    page = client.get(link)
    assert page.status_code == 200
    assert b"alice@alpha.example" in page.content
    assert b'<button type="submit">Sign in</button>' in page.content
    assert _signed_in_user_id(client) is None

    response = client.post("/login/magic/", {"sesame": _token(link)})
    assert response.status_code == 302
    assert response["Location"] == "/app/"
    assert _signed_in_user_id(client) == owner.pk
    assert b"Signed in as <strong>alice@alpha.example</strong>" in client.get("/app/").content


def test_opening_the_link_does_not_spend_it(client, owner):
    link = _emailed_link(client, "alice@alpha.example")
    # A mail scanner, then the owner, open the link.
    assert Client().get(link).status_code == 200
    assert client.get(link).status_code == 200
    owner.refresh_from_db()
    assert owner.last_login is None
    assert client.post("/login/magic/", {"sesame": _token(link)}).status_code == 302


def test_a_used_link_no_longer_works(client, owner):
    token = _token(_emailed_link(client, "alice@alpha.example"))
    assert client.post("/login/magic/", {"sesame": token}).status_code == 302

    elsewhere = Client()
    for response in (
        elsewhere.get(f"/login/magic/?sesame={token}"),
        elsewhere.post("/login/magic/", {"sesame": token}),
    ):
        assert response.status_code == 400
        assert b"This link no longer works" in response.content
    assert _signed_in_user_id(elsewhere) is None


def test_an_expired_link_no_longer_works(client, owner, settings):
    token = _token(_emailed_link(client, "alice@alpha.example"))
    settings.SESAME_MAX_AGE = 1
    time.sleep(1.1)
    assert client.get(f"/login/magic/?sesame={token}").status_code == 400
    response = client.post("/login/magic/", {"sesame": token})
    assert response.status_code == 400
    assert b"This link no longer works" in response.content
    assert _signed_in_user_id(client) is None


def test_a_tampered_link_does_not_work(client, owner):
    token = _token(_emailed_link(client, "alice@alpha.example"))
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    assert client.get(f"/login/magic/?sesame={tampered}").status_code == 400
    assert client.post("/login/magic/", {"sesame": tampered}).status_code == 400
    assert _signed_in_user_id(client) is None


@pytest.mark.parametrize(
    "query", ["", "?sesame=", "?sesame=probe", "?sesame=a:b:c", "?sesame=%00", "?sesame=" + "x" * 600]
)
def test_a_missing_or_garbled_token_gets_a_friendly_page_with_the_email_form(client, query):
    response = client.get(f"/login/magic/{query}")
    assert response.status_code == 400
    assert b"This link no longer works" in response.content
    assert b'type="email"' in response.content


def test_a_link_of_user_b_signs_in_b_never_the_current_user_a(client, owner):
    bob = UserFactory(email="bob@elsewhere.example")
    client.force_login(owner)
    link = magic_link_url(bob)
    path = f"{urlsplit(link).path}?{urlsplit(link).query}"

    page = client.get(path)
    assert b"You are about to sign in as <strong>bob@elsewhere.example</strong>" in page.content
    assert b"This browser is signed in as alice@alpha.example now" in page.content

    client.post("/login/magic/", {"sesame": _token(path)})
    assert _signed_in_user_id(client) == bob.pk
    assert b"bob@elsewhere.example" in client.get("/app/").content


def test_the_sign_in_button_is_protected_against_cross_site_posts(owner):
    browser = Client(enforce_csrf_checks=True)
    token = _token(magic_link_url(owner))
    assert browser.post("/login/magic/", {"sesame": token}).status_code == 403

    page = browser.get(f"/login/magic/?sesame={token}")
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    response = browser.post("/login/magic/", {"sesame": token, "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    assert _signed_in_user_id(browser) == owner.pk


def test_an_inactive_users_link_does_not_work(client):
    user = UserFactory(email="gone@alpha.example")
    token = _token(magic_link_url(user))
    user.is_active = False
    user.save()
    assert client.post("/login/magic/", {"sesame": token}).status_code == 400
