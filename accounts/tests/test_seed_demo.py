import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken, IndustryProfile, Membership, Organization, User

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_business_and_can_run_twice(settings):
    settings.DEBUG = True
    first = _seed()
    second = _seed()
    organization = Organization.objects.get(slug="brightside-plumbing")
    assert Organization.objects.count() == 1
    assert Membership.objects.filter(organization=organization).count() == 2
    assert organization.industry.profile.key == "plumber"
    assert IndustryProfile.objects.count() >= 8
    assert User.objects.filter(is_staff=True).count() == 1
    assert ApiToken.objects.filter(organization=organization, revoked_at=None).count() == 1
    for output in (first, second):
        assert "http://127.0.0.1:8000/admin/" in output
        assert "http://127.0.0.1:8000/login/magic/?sesame=" in output

    key = second.strip().splitlines()[-1].split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/organization/").json()["name"] == "Brightside Plumbing"


def test_seed_demo_refuses_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        _seed()


def test_the_printed_link_signs_the_owner_in(settings, client):
    settings.DEBUG = True
    output = _seed()
    link = next(word for word in output.split() if "/login/magic/?sesame=" in word)
    token = link.split("sesame=", 1)[1]
    response = client.post("/login/magic/", {"sesame": token})
    assert response.status_code == 302
    assert client.get("/api/v1/auth/session/").json()["user"]["email"] == "owner@brightside.example"
