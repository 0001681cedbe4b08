"""Reading and changing the current organization."""

import pytest

from accounts.models import ActivityEntry
from accounts.tests.factories import IndustryProfileFactory, OrganizationIndustryFactory

pytestmark = pytest.mark.django_db


def test_the_organization_with_its_industry(owner_client, org):
    profile = IndustryProfileFactory(key="window_cleaner", name="Window cleaner", vocabulary={"client": "Customer"})
    OrganizationIndustryFactory(organization=org, profile=profile, vocabulary_overrides={"client": "Household"})
    body = owner_client.get("/api/v1/organization/").json()
    assert body["slug"] == "alpha-plumbing"
    assert body["timezone"] == "America/New_York"
    assert body["industry"] == {
        "key": "window_cleaner",
        "name": "Window cleaner",
        "work_mode": "jobs",
        "vocabulary": {"client": "Household"},
    }


def test_an_update_normalizes_the_phone_and_is_logged(owner_client, org, owner):
    response = owner_client.patch(
        "/api/v1/organization/",
        {"phone": "(415) 555-0132", "timezone": "Europe/London", "city": "Leeds"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "+14155550132"
    assert response.json()["timezone"] == "Europe/London"
    entry = ActivityEntry.objects.get(organization=org, verb="organization.updated")
    assert entry.actor == owner
    assert set(entry.data["changed"]) == {"phone", "timezone", "city"}


def test_the_phone_is_read_in_the_organizations_country(owner_client):
    response = owner_client.patch("/api/v1/organization/", {"country": "GB", "phone": "020 7946 0018"}, format="json")
    assert response.json()["phone"] == "+442079460018"


def test_an_invalid_phone_names_the_field(owner_client):
    response = owner_client.patch("/api/v1/organization/", {"phone": "12"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["phone"]


def test_read_only_fields_are_ignored(owner_client, org):
    owner_client.patch("/api/v1/organization/", {"slug": "hijack", "subscription_status": "active"}, format="json")
    org.refresh_from_db()
    assert (org.slug, org.subscription_status) == ("alpha-plumbing", "none")
