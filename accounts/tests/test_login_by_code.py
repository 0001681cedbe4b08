"""allauth's login by emailed code, the fallback to magic links, at /accounts/; signing up is closed."""

import re

import pytest
from django.core import mail

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_allauth_rate_limits(settings):
    # allauth counts code requests per email in the shared cache; repeated runs would trip them.
    settings.ACCOUNT_RATE_LIMITS = False


def test_a_member_signs_in_with_an_emailed_code(client, owner):
    response = client.post("/accounts/login/code/", {"email": "alice@alpha.example"})
    assert response["Location"] == "/accounts/login/code/confirm/"
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[0].body, re.MULTILINE).group(1)

    response = client.post("/accounts/login/code/confirm/", {"code": code})
    assert response["Location"] == "/app/"
    assert int(client.session["_auth_user_id"]) == owner.pk


def test_the_login_page_points_to_the_code_fallback(client):
    assert b'href="/accounts/login/code/"' in client.get("/login/").content


def test_nobody_can_sign_up_there(client):
    response = client.post("/accounts/signup/", {"email": "new@example.com"})
    assert b"Sign Up Closed" in response.content
    assert not client.session.get("_auth_user_id")
    assert not User.objects.filter(email="new@example.com").exists()
