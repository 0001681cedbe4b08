"""Which organization a request works in: token, X-Organization, or the only membership."""

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.roles import Role
from accounts.tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def _error(response) -> str:
    return response.json()["error"]["code"]


def test_the_only_membership_is_the_default(owner_client, org):
    assert owner_client.get("/api/v1/organization/").json()["id"] == org.id


def test_several_memberships_need_the_header(owner, owner_client, org):
    second = OrganizationFactory(name="Second Business")
    MembershipFactory(organization=second, user=owner, role=Role.ADMIN)

    response = owner_client.get("/api/v1/organization/")
    assert response.status_code == 400
    assert _error(response) == "organization_required"

    assert owner_client.get("/api/v1/organization/", HTTP_X_ORGANIZATION=second.slug).json()["id"] == second.id
    assert owner_client.get("/api/v1/organization/", HTTP_X_ORGANIZATION=str(org.id)).json()["id"] == org.id


@pytest.mark.parametrize(
    "reference", ["no-such-business", "999999", "bravo-salon", "' OR 1=1 --", "²", "99999999999999999999"]
)
def test_an_organization_the_user_is_not_in_is_refused_alike(owner_client, other_org, reference):
    response = owner_client.get("/api/v1/organization/", HTTP_X_ORGANIZATION=reference)
    assert response.status_code == 403
    assert _error(response) == "organization_forbidden"


def test_a_token_works_in_its_own_organization_only(token_client, org, other_org):
    assert token_client.get("/api/v1/organization/").json()["id"] == org.id
    response = token_client.get("/api/v1/organization/", HTTP_X_ORGANIZATION=other_org.slug)
    assert response.status_code == 403
    assert token_client.get("/api/v1/organization/", HTTP_X_ORGANIZATION=org.slug).status_code == 200


def test_a_revoked_token_is_refused(token_client, org, owner):
    token = owner.api_tokens.get()
    services.api_token_revoke(token=token, actor=owner)
    response = token_client.get("/api/v1/organization/")
    assert response.status_code == 401
    assert _error(response) == "invalid_token"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer", "Bearer a b"])
def test_a_malformed_or_unknown_token_is_refused(header):
    response = APIClient().get("/api/v1/organization/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert _error(response) == "invalid_token"


def test_a_token_stops_working_when_its_owner_leaves(token_client, owner, org):
    owner.memberships.filter(organization=org).delete()
    response = token_client.get("/api/v1/organization/")
    assert response.status_code == 403
    assert _error(response) == "organization_forbidden"


def test_a_token_records_when_it_was_last_used(token_client, owner):
    assert owner.api_tokens.get().last_used_at is None
    token_client.get("/api/v1/me/")
    assert owner.api_tokens.get().last_used_at is not None


def test_anonymous_requests_are_refused_with_json():
    response = APIClient().get("/api/v1/organization/")
    assert response.status_code == 401
    assert _error(response) == "not_authenticated"


def test_a_user_in_no_organization_is_told_so():
    from accounts.tests.factories import UserFactory

    client = APIClient()
    client.force_login(UserFactory())
    response = client.get("/api/v1/organization/")
    assert response.status_code == 403
    assert _error(response) == "organization_forbidden"
    assert client.get("/api/v1/me/").json()["memberships"] == []
