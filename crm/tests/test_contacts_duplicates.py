"""``GET /contacts/{id}/duplicates/``: likely the same person by email, phone or a similar name."""

import pytest
from django.utils import timezone

from crm.models import Contact
from crm.services import contact_create
from crm.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _add(org, **data) -> Contact:
    return contact_create(organization=org, actor=None, data=data)


def _duplicates(client, contact: Contact) -> list[int]:
    response = client.get(f"/api/v1/contacts/{contact.pk}/duplicates/")
    assert response.status_code == 200, response.json()
    return sorted(row["id"] for row in response.json())


@pytest.fixture
def john(org):
    return _add(org, first_name="John", last_name="Smith", email="john@example.com", phone="312 555 0147")


def test_the_same_email_whatever_its_case(owner_client, org, john):
    same = _add(org, first_name="J", last_name="S", email="JOHN@example.com")

    assert _duplicates(owner_client, john) == [same.pk]


def test_the_same_phone_whatever_its_format(owner_client, org, john):
    same = _add(org, company="Smith & Sons", phone="+1 (312) 555-0147")

    assert _duplicates(owner_client, john) == [same.pk]


@pytest.mark.parametrize(("first", "last"), [("Jon", "Smith"), ("John", "smith"), ("Johnny", "Smith")])
def test_a_similar_name(owner_client, org, john, first, last):
    similar = _add(org, first_name=first, last_name=last, email="other@example.net")

    assert _duplicates(owner_client, john) == [similar.pk]


def test_a_similar_name_with_a_company_and_emails(owner_client, org, john):
    similar = _add(
        org,
        first_name="Jon",
        last_name="Smith",
        company="Smith Plumbing Supplies",
        email="orders@smithsupplies.example",
    )

    assert _duplicates(owner_client, john) == [similar.pk]


def test_different_people_are_not_flagged(owner_client, org, john):
    _add(org, first_name="John", last_name="Adams", email="adams@example.com", phone="312 555 0100")
    _add(org, first_name="Maria", last_name="Smith", email="maria@example.com")

    assert _duplicates(owner_client, john) == []


def test_deleted_contacts_and_other_organizations_are_left_out(owner_client, org, other_org, john):
    ContactFactory(organization=org, email="john@example.com", deleted_at=timezone.now())
    ContactFactory(organization=other_org, first_name="John", last_name="Smith", email="john@example.com")

    assert _duplicates(owner_client, john) == []


def test_the_answer_shape(owner_client, org, john):
    same = _add(org, first_name="Johnny", email="john@example.com")

    response = owner_client.get(f"/api/v1/contacts/{john.pk}/duplicates/")

    assert [(row["id"], row["display_name"], row["email"]) for row in response.json()] == [
        (same.pk, "Johnny", "john@example.com")
    ]


def test_another_organizations_contact_has_no_duplicates_to_show(owner_client, other_org):
    theirs = ContactFactory(organization=other_org)

    assert owner_client.get(f"/api/v1/contacts/{theirs.pk}/duplicates/").status_code == 404
