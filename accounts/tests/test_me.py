import pytest

from accounts.roles import Role
from accounts.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_me_lists_every_membership_with_its_permissions(owner_client, owner, other_org):
    MembershipFactory(organization=other_org, user=owner, role=Role.VIEWER)
    body = owner_client.get("/api/v1/me/").json()
    assert body["user"]["email"] == "alice@alpha.example"
    assert [(m["organization"]["slug"], m["role"]) for m in body["memberships"]] == [
        ("alpha-plumbing", "owner"),
        ("bravo-salon", "viewer"),
    ]
    assert body["memberships"][1]["permissions"] == ["records.view", "tokens.manage_own"]


def test_me_updates_the_name_but_not_the_email(owner_client, owner):
    response = owner_client.patch("/api/v1/me/", {"first_name": "Alicia", "email": "x@evil.example"}, format="json")
    assert response.status_code == 200
    owner.refresh_from_db()
    assert (owner.first_name, owner.email) == ("Alicia", "alice@alpha.example")
