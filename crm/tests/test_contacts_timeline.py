"""``GET /contacts/{id}/timeline/``: everything that happened with a contact, newest first, a page at a time."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import hooks
from crm.models import Contact, ContactNote
from crm.tests.factories import ContactFactory, ContactNoteFactory

pytestmark = pytest.mark.django_db

START = datetime.fromisoformat("2025-03-01T09:00:00+00:00")


def _url(contact: Contact) -> str:
    return f"/api/v1/contacts/{contact.pk}/timeline/"


def _notes(org, contact: Contact, count: int, author=None) -> list[ContactNote]:
    notes = []
    for index in range(count):
        note = ContactNoteFactory(organization=org, contact=contact, body=f"Note {index}", author=author)
        ContactNote.objects.filter(pk=note.pk).update(created_at=START + timedelta(hours=index))
        notes.append(note)
    return notes


@pytest.fixture
def contact(org):
    return ContactFactory(organization=org)


def test_notes_newest_first_with_their_shape(owner_client, org, owner, contact):
    first, second = _notes(org, contact, 2, author=owner)

    response = owner_client.get(_url(contact))

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "kind": "note",
                "id": second.pk,
                "at": "2025-03-01T10:00:00Z",
                "summary": "Note 1",
                "data": {"body": "Note 1", "author": "alice@alpha.example"},
            },
            {
                "kind": "note",
                "id": first.pk,
                "at": "2025-03-01T09:00:00Z",
                "summary": "Note 0",
                "data": {"body": "Note 0", "author": "alice@alpha.example"},
            },
        ],
        "next_before": None,
    }


def test_paging_with_before(owner_client, org, contact):
    _notes(org, contact, 5)

    first = owner_client.get(_url(contact), {"limit": 2}).json()
    second = owner_client.get(_url(contact), {"limit": 2, "before": first["next_before"]}).json()
    third = owner_client.get(_url(contact), {"limit": 2, "before": second["next_before"]}).json()

    pages = [[item["summary"] for item in page["results"]] for page in (first, second, third)]
    assert pages == [["Note 4", "Note 3"], ["Note 2", "Note 1"], ["Note 0"]]
    assert first["next_before"] == "2025-03-01T12:00:00Z"
    assert third["next_before"] is None


def test_the_query_count_does_not_grow_with_the_limit(owner_client, org, contact):
    _notes(org, contact, 30)

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = owner_client.get(_url(contact), {"limit": limit})
        assert len(response.json()["results"]) == limit
        return len(captured)

    assert queries(1) == queries(30)


def test_later_apps_add_their_events_in_order(owner_client, org, contact):
    _notes(org, contact, 2)

    def jobs(of: Contact, before: datetime | None, limit: int) -> list[hooks.TimelineItem]:
        job = hooks.TimelineItem(kind="job", id=7, at=START + timedelta(minutes=30), summary="Fixed the boiler")
        return [job] if before is None or job.at < before else []

    hooks.register_timeline_source(jobs)
    try:
        response = owner_client.get(_url(contact))
    finally:
        hooks.timeline_sources.remove(jobs)

    assert [(item["kind"], item["summary"]) for item in response.json()["results"]] == [
        ("note", "Note 1"),
        ("job", "Fixed the boiler"),
        ("note", "Note 0"),
    ]


def test_another_contacts_notes_are_not_shown(owner_client, org, contact):
    _notes(org, ContactFactory(organization=org), 2)

    assert owner_client.get(_url(contact)).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"before": "yesterday"}, "before"),
        ({"before": "2025-13-40T10:00:00Z"}, "before"),  # well formed, but no such day
        ({"before": "0001-01-01T00:10:00+20:00"}, "before"),  # before year 1 in UTC
        ({"limit": "many"}, "limit"),
    ],
)
def test_bad_paging_is_a_400_naming_the_parameter(owner_client, contact, params, field):
    response = owner_client.get(_url(contact), params)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_the_limit_is_kept_between_1_and_100(owner_client, org, contact):
    _notes(org, contact, 3)

    assert len(owner_client.get(_url(contact), {"limit": 0}).json()["results"]) == 1
    assert len(owner_client.get(_url(contact), {"limit": 1000}).json()["results"]) == 3


def test_another_organizations_contact_has_no_timeline_for_us(owner_client, other_org):
    theirs = ContactFactory(organization=other_org)

    assert owner_client.get(_url(theirs)).status_code == 404
