"""The signed-in landing page and signing out."""

import pytest

from accounts.roles import Role
from accounts.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_the_page_needs_a_signed_in_user(client):
    response = client.get("/app/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/app/"


def test_it_shows_who_is_signed_in_and_their_businesses(client, owner, other_org):
    MembershipFactory(organization=other_org, user=owner, role=Role.VIEWER)
    client.force_login(owner)
    page = client.get("/app/").content.decode()
    assert "Signed in as <strong>alice@alpha.example</strong>" in page
    assert "Alpha Plumbing" in page
    assert page.index("Alpha Plumbing") < page.index("Bravo Salon")
    assert 'action="/logout/"' in page


def test_signing_out_ends_the_session_and_returns_to_the_login_page(client, owner):
    client.force_login(owner)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/app/").status_code == 302


def test_signing_out_takes_a_post(client, owner):
    client.force_login(owner)
    assert client.get("/logout/").status_code == 405
    assert client.get("/app/").status_code == 200
