"""Fixtures shared by every app's tests.

The test database connection is the application's own role, so PostgreSQL's
row-level security applies: test set-up runs in the system scope, and each
request the tests make starts from no scope and picks its organization itself,
exactly as in production.
"""

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.roles import Role
from accounts.tenancy import system_scope
from accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _system_scope_for_setup(db):
    with system_scope():
        yield


@pytest.fixture
def org():
    return OrganizationFactory(name="Alpha Plumbing", slug="alpha-plumbing")


@pytest.fixture
def other_org():
    return OrganizationFactory(name="Bravo Salon", slug="bravo-salon")


def _member(organization, role: str, email: str):
    return MembershipFactory(organization=organization, user=UserFactory(email=email), role=role).user


@pytest.fixture
def owner(org):
    return _member(org, Role.OWNER, "alice@alpha.example")


@pytest.fixture
def admin_user(org):
    return _member(org, Role.ADMIN, "adam@alpha.example")


@pytest.fixture
def staff_member(org):
    return _member(org, Role.STAFF, "bob@alpha.example")


@pytest.fixture
def viewer(org):
    return _member(org, Role.VIEWER, "vera@alpha.example")


@pytest.fixture
def outsider(other_org):
    """Charlie owns the other organization and has no access to ours."""
    return _member(other_org, Role.OWNER, "charlie@bravo.example")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def staff_client(staff_member):
    return client_for(staff_member)


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def token_client(org, owner):
    """A client that authenticates with a real bearer token of the owner."""
    _, key = services.api_token_create(organization=org, user=owner, name="Tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.token_key = key
    return client
