"""Search by words on PostgreSQL: the full-text index for words and their starts, and each
organization's vocabulary of name and company words, kept by the database, for typos."""

import pytest

from accounts.tenancy import organization_scope
from crm.models import Contact, SearchWord
from crm.services import contact_create
from crm.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def _found(client, term: str) -> list[str]:
    response = client.get(URL, {"search": term})
    assert response.status_code == 200, response.json()
    return [row["display_name"] for row in response.json()["results"]]


def _vocabulary(organization) -> set[str]:
    with organization_scope(organization.pk):
        return set(SearchWord.objects.filter(organization=organization).values_list("word", flat=True))


@pytest.fixture
def ellis(org):
    contact_create(organization=org, actor=None, data={"first_name": "Debra", "last_name": "Ellis"})
    contact_create(organization=org, actor=None, data={"first_name": "Debra", "last_name": "Nolan"})
    contact_create(organization=org, actor=None, data={"first_name": "Marcus", "last_name": "Ellison"})


def test_a_one_letter_typo_in_the_middle_of_a_short_name(owner_client, ellis):
    # "eleis" shares only three of the nine trigrams of "ellis": too few for a match by
    # similarity against the whole search text, enough against the known word alone.
    assert _found(owner_client, "Debra Eleis") == ["Debra Ellis"]


def test_the_start_of_a_word(owner_client, ellis):
    assert set(_found(owner_client, "Deb")) == {"Debra Ellis", "Debra Nolan"}
    assert _found(owner_client, "Debra Elli")[0] == "Debra Ellis"


def test_the_exact_name_comes_first(owner_client, ellis):
    assert _found(owner_client, "Ellis")[0] == "Debra Ellis"


def test_words_of_names_and_companies_join_the_vocabulary_as_contacts_are_saved(owner_client, org):
    response = owner_client.post(
        URL, {"first_name": "Zoë", "last_name": "O'Brien-Kowalski", "company": "Brightwater Plumbing"}, format="json"
    )
    assert response.status_code == 201, response.json()
    contact_id = response.json()["id"]

    assert {"zoë", "brien", "kowalski", "brightwater", "plumbing"} <= _vocabulary(org)
    assert "o" not in _vocabulary(org)  # fewer than three letters: no typo to make

    owner_client.patch(f"{URL}{contact_id}/", {"last_name": "Nakamura"}, format="json")
    assert "nakamura" in _vocabulary(org)
    assert _found(owner_client, "Nakamuar") == ["Zoë Nakamura"]


def test_a_batch_of_contacts_adds_its_words_in_one_go(org):
    with organization_scope(org.pk):
        Contact.objects.bulk_create(
            [
                Contact(organization=org, first_name=first, last_name=last, search_text=f"{first} {last}".lower())
                for first, last in (("Imogen", "Featherstone"), ("Bartholomew", "Quigley"))
            ]
        )

    assert {"imogen", "featherstone", "bartholomew", "quigley"} <= _vocabulary(org)


def test_another_organizations_words_are_neither_seen_nor_used(owner_client, org, other_org, ellis):
    ContactFactory(organization=other_org, first_name="Philippa", last_name="Wetherall")
    with organization_scope(other_org.pk):
        Contact.objects.filter(organization=other_org).update(search_text="philippa wetherall")

    assert "wetherall" in _vocabulary(other_org)
    assert "wetherall" not in _vocabulary(org)
    assert _found(owner_client, "Wetheral") == []
