"""``?search=`` on PostgreSQL: words over names, company and emails (a typo still finds them), digits over phones."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact
from crm.services import contact_create
from crm.tests.factories import ContactFactory, ContactTagFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def _found(client, term: str, **params) -> list[str]:
    response = client.get(URL, {"search": term, **params})
    assert response.status_code == 200, response.json()
    return [row["display_name"] for row in response.json()["results"]]


@pytest.fixture
def people(org):
    for data in (
        {"first_name": "John", "last_name": "Smith", "company": "Smith & Sons Roofing", "phone": "(312) 555-0147"},
        {
            "first_name": "Maria",
            "last_name": "Garcia",
            "email": "maria.garcia@lakeside.example",
            "phone": "773 555 0199",
        },
        {"first_name": "Wei", "last_name": "Chen", "company": "Northwind Dental", "email": "office@northwind.example"},
        {"first_name": "Olga", "last_name": "Petrova", "phone": "+44 20 7946 0018"},
    ):
        contact_create(organization=org, actor=None, data=data)


def test_a_name(owner_client, people):
    assert _found(owner_client, "Maria")[0] == "Maria Garcia"
    assert _found(owner_client, "garcia maria")[0] == "Maria Garcia"


@pytest.mark.parametrize("typed", ["Jonh Smiht", "jonh", "Smiht", "Johm Smith", "Jon Smith", "Smith Jonh"])
def test_a_typo_in_a_name_still_finds_it(owner_client, people, typed):
    assert _found(owner_client, typed)[0] == "John Smith"


@pytest.mark.parametrize("typed", ["555-0147", "5550147", "3125550147", "(312) 555-0147", "+1 312 555 0147", "312.555"])
def test_a_phone_typed_in_any_format(owner_client, people, typed):
    assert _found(owner_client, typed) == ["John Smith"]


def test_a_foreign_phone_by_its_national_digits(owner_client, people):
    assert _found(owner_client, "7946 0018") == ["Olga Petrova"]


def test_a_company(owner_client, people):
    assert _found(owner_client, "Northwind")[0] == "Wei Chen"
    assert _found(owner_client, "roofing")[0] == "John Smith"


def test_an_email(owner_client, people):
    assert _found(owner_client, "maria.garcia@lakeside.example")[0] == "Maria Garcia"
    assert _found(owner_client, "lakeside")[0] == "Maria Garcia"


def test_an_email_typed_in_part_or_whole_finds_only_its_contact(owner_client, people):
    assert _found(owner_client, "maria.garcia@lake") == ["Maria Garcia"]
    assert _found(owner_client, "office@northwind.example") == ["Wei Chen"]
    assert _found(owner_client, "maria.garcia@northwind") == []


def test_nothing_alike_finds_nothing(owner_client, people):
    assert _found(owner_client, "Zebedee") == []


def test_search_combines_with_the_filters(owner_client, org, people):
    tagged = contact_create(organization=org, actor=None, data={"first_name": "Johnny", "last_name": "Smith"})
    ContactTagFactory(organization=org, contact=tagged, tag__name="VIP")

    assert _found(owner_client, "Smith", tag="VIP") == ["Johnny Smith"]


def test_deleted_contacts_are_not_found(owner_client, org, people):
    owner_client.delete(f"{URL}{Contact.objects.get(first_name='John').pk}/")

    assert "John Smith" not in _found(owner_client, "John Smith")


def test_another_organizations_contacts_are_never_found(owner_client, other_org, people):
    ContactFactory(organization=other_org, first_name="John", last_name="Smith", phone="+13125550147")

    assert _found(owner_client, "John Smith") == ["John Smith"]
    assert _found(owner_client, "555-0147") == ["John Smith"]


def test_a_blank_search_is_the_plain_list(owner_client, people):
    response = owner_client.get(URL, {"search": "   "})

    assert len(response.json()["results"]) == 4
    assert response.json()["next"] is None


def test_a_nul_character_in_the_search_is_ignored_by_the_list_and_the_export(owner_client, people):
    # No database text holds a NUL: it must not reach the query (it did, as a 500).
    assert _found(owner_client, "Mar\x00ia")[0] == "Maria Garcia"
    response = owner_client.get("/api/v1/contacts/export/", {"search": "0\x00"})
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_search_results_cost_the_same_queries_whatever_their_number(owner_client, org):
    def queries_for_smiths(count: int) -> int:
        for index in range(count):
            contact = ContactFactory(organization=org, first_name=f"Pat{index}", last_name="Smithers")
            ContactTagFactory(organization=org, contact=contact)
        with CaptureQueriesContext(connection) as captured:
            response = owner_client.get(URL, {"search": "Smithers"})
        assert response.status_code == 200
        return len(captured)

    assert queries_for_smiths(1) == queries_for_smiths(12)
