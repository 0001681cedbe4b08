"""Roles decide who may write: viewers read only, staff cannot run the business's settings."""

import pytest

from accounts import services
from accounts.roles import ROLE_PERMISSIONS, Permission, Role

pytestmark = pytest.mark.django_db


def test_every_role_has_its_permissions_written_down():
    assert set(ROLE_PERMISSIONS) == set(Role.values)
    assert ROLE_PERMISSIONS[Role.VIEWER] < ROLE_PERMISSIONS[Role.STAFF] < ROLE_PERMISSIONS[Role.ADMIN]
    assert ROLE_PERMISSIONS[Role.ADMIN] < ROLE_PERMISSIONS[Role.OWNER]
    assert Permission.RECORDS_CHANGE not in ROLE_PERMISSIONS[Role.VIEWER]


def test_a_viewer_reads_but_cannot_change_the_organization(viewer_client, org):
    assert viewer_client.get("/api/v1/organization/").status_code == 200
    response = viewer_client.patch("/api/v1/organization/", {"name": "Taken over"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "role_forbidden"
    org.refresh_from_db()
    assert org.name == "Alpha Plumbing"


def test_staff_cannot_change_the_organization(staff_client, org):
    response = staff_client.patch("/api/v1/organization/", {"name": "Taken over"}, format="json")
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.name == "Alpha Plumbing"


@pytest.mark.parametrize("role_client", ["owner_client", "admin_client"])
def test_owners_and_admins_change_the_organization(request, role_client, org):
    client = request.getfixturevalue(role_client)
    response = client.patch("/api/v1/organization/", {"name": "Alpha Plumbing & Heating"}, format="json")
    assert response.status_code == 200
    org.refresh_from_db()
    assert org.name == "Alpha Plumbing & Heating"


@pytest.fixture
def owners_token(org, owner):
    token, _ = services.api_token_create(organization=org, user=owner, name="Owner's script")
    return token


def test_staff_neither_see_nor_revoke_other_members_tokens(staff_client, owners_token):
    listed = staff_client.get("/api/v1/api-tokens/").json()["results"]
    assert owners_token.id not in [token["id"] for token in listed]
    assert staff_client.get(f"/api/v1/api-tokens/{owners_token.id}/").status_code == 404
    assert staff_client.delete(f"/api/v1/api-tokens/{owners_token.id}/").status_code == 404
    owners_token.refresh_from_db()
    assert owners_token.revoked_at is None


def test_admins_see_and_revoke_every_token(admin_client, owners_token):
    listed = admin_client.get("/api/v1/api-tokens/").json()["results"]
    assert owners_token.id in [token["id"] for token in listed]
    assert admin_client.delete(f"/api/v1/api-tokens/{owners_token.id}/").status_code == 204
    owners_token.refresh_from_db()
    assert owners_token.revoked_at is not None


def test_only_owners_and_admins_read_the_activity_log(staff_client, owner_client):
    assert staff_client.get("/api/v1/activity/").status_code == 403
    assert owner_client.get("/api/v1/activity/").status_code == 200


def test_a_viewers_token_is_as_limited_as_the_viewer(viewer, org):
    from rest_framework.test import APIClient

    _, key = services.api_token_create(organization=org, user=viewer, name="Read-only export")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/organization/").status_code == 200
    assert client.patch("/api/v1/organization/", {"name": "No"}, format="json").status_code == 403
