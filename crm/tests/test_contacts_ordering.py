import base64
from datetime import datetime

import pytest

from crm.models import Contact
from crm.services import contact_create
from crm.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def _all_pages(client, **params) -> list[dict]:
    """Follow ``next`` to the end, a page at a time."""
    rows, response = [], client.get(URL, params)
    while True:
        assert response.status_code == 200, response.json()
        rows += response.json()["results"]
        if not response.json()["next"]:
            return rows
        response = client.get(response.json()["next"])


def _names(rows: list[dict]) -> list[str]:
    return [f"{row['first_name']} {row['last_name']}" for row in rows]


@pytest.fixture
def people(org):
    made = []
    for first, last, created, active in (
        ("Ann", "Young", "2025-01-01", "2025-05-01"),
        ("Bob", "Adams", "2025-02-01", "2025-02-01"),
        ("Cid", "Adams", "2025-03-01", "2025-04-01"),
        ("Dee", "Moss", "2025-04-01", "2025-04-01"),
    ):
        contact = contact_create(organization=org, actor=None, data={"first_name": first, "last_name": last})
        Contact.objects.filter(pk=contact.pk).update(
            created_at=datetime.fromisoformat(f"{created}T12:00:00+00:00"),
            last_activity_at=datetime.fromisoformat(f"{active}T12:00:00+00:00"),
        )
        made.append(contact)
    return made


def test_newest_first_by_default(owner_client, people):
    assert _names(_all_pages(owner_client)) == ["Dee Moss", "Cid Adams", "Bob Adams", "Ann Young"]


def test_by_name(owner_client, people):
    rows = _all_pages(owner_client, ordering="last_name,first_name", page_size=1)

    assert _names(rows) == ["Bob Adams", "Cid Adams", "Dee Moss", "Ann Young"]


def test_by_name_backwards(owner_client, people):
    rows = _all_pages(owner_client, ordering="-last_name,-first_name", page_size=3)

    assert _names(rows) == ["Ann Young", "Dee Moss", "Cid Adams", "Bob Adams"]


def test_by_created(owner_client, people):
    assert _names(_all_pages(owner_client, ordering="created_at", page_size=1)) == [
        "Ann Young",
        "Bob Adams",
        "Cid Adams",
        "Dee Moss",
    ]


def test_by_last_activity(owner_client, people):
    rows = _all_pages(owner_client, ordering="-last_activity_at", page_size=1)

    assert _names(rows)[:1] == ["Ann Young"]
    assert sorted(_names(rows)[1:3]) == ["Cid Adams", "Dee Moss"]  # the same moment: either first
    assert _names(rows)[3:] == ["Bob Adams"]


def test_by_last_activity_oldest_first(owner_client, people):
    rows = _all_pages(owner_client, ordering="last_activity_at", page_size=2)

    assert _names(rows)[0] == "Bob Adams"
    assert _names(rows)[3] == "Ann Young"
    assert len(rows) == 4


def test_a_contact_just_added_is_the_most_recently_active(owner_client, org, people):
    contact_create(organization=org, actor=None, data={"first_name": "Eve", "last_name": "New"})

    rows = _all_pages(owner_client, ordering="-last_activity_at", page_size=2)

    assert _names(rows)[0] == "Eve New"
    assert len(rows) == 5


def test_an_unknown_ordering_falls_back_to_newest_first(owner_client, people):
    assert _names(_all_pages(owner_client, ordering="search_text"))[0] == "Dee Moss"


def test_cursor_pages_are_disjoint_and_complete(owner_client, org):
    made = {ContactFactory(organization=org).pk for _ in range(7)}

    first = owner_client.get(URL, {"page_size": 3}).json()
    rows = _all_pages(owner_client, page_size=3)

    assert len(first["results"]) == 3
    assert first["previous"] is None
    assert "cursor=" in first["next"]
    assert [row["id"] for row in rows] == sorted(made, reverse=True)


def test_page_size_is_capped_at_200(owner_client, org):
    for _ in range(3):
        ContactFactory(organization=org)

    response = owner_client.get(URL, {"page_size": 100000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_a_tampered_cursor_is_a_404_not_a_500(owner_client):
    response = owner_client.get(URL, {"cursor": base64.b64encode(b"o=many").decode()})

    assert response.status_code == 404
