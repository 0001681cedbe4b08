"""``/contacts/{id}/notes/``: what the team writes down about a client."""

from unittest.mock import ANY

import pytest

from crm.models import Contact, ContactNote
from crm.tests.factories import ContactFactory, ContactNoteFactory

pytestmark = pytest.mark.django_db


def _url(contact: Contact) -> str:
    return f"/api/v1/contacts/{contact.pk}/notes/"


@pytest.fixture
def contact(org):
    return ContactFactory(organization=org)


def test_a_note_is_written_by_the_member_and_touches_the_contact(staff_client, staff_member, contact):
    response = staff_client.post(_url(contact), {"body": "  Gate code is 4521.  "}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json() == {
        "id": ANY,
        "body": "Gate code is 4521.",
        "author": "bob@alpha.example",
        "created_at": ANY,
        "updated_at": ANY,
    }
    note = ContactNote.objects.get()
    assert (note.contact, note.author, note.organization) == (contact, staff_member, contact.organization)
    contact.refresh_from_db()
    assert contact.last_activity_at == note.created_at


def test_notes_are_listed_newest_first_a_page_at_a_time(owner_client, org, contact):
    for body in ("First", "Second", "Third"):
        owner_client.post(_url(contact), {"body": body}, format="json")

    first = owner_client.get(_url(contact), {"page_size": 2}).json()
    second = owner_client.get(first["next"]).json()

    assert [note["body"] for note in first["results"] + second["results"]] == ["Third", "Second", "First"]


def test_an_empty_note_is_refused(owner_client, contact):
    response = owner_client.post(_url(contact), {"body": "   "}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["body"]
    assert not ContactNote.objects.exists()


def test_only_this_contacts_notes_are_listed(owner_client, org, contact):
    ContactNoteFactory(organization=org, contact=ContactFactory(organization=org), body="Someone else")

    assert owner_client.get(_url(contact)).json()["results"] == []


def test_a_viewer_reads_notes_but_cannot_write_one(viewer_client, org, contact):
    ContactNoteFactory(organization=org, contact=contact, body="Call after 5")

    assert [note["body"] for note in viewer_client.get(_url(contact)).json()["results"]] == ["Call after 5"]
    assert viewer_client.post(_url(contact), {"body": "Hi"}, format="json").status_code == 403


def test_no_note_on_another_organizations_contact(owner_client, other_org):
    theirs = ContactFactory(organization=other_org)
    ContactNoteFactory(organization=other_org, contact=theirs, body="Private")

    assert owner_client.get(_url(theirs)).status_code == 404
    assert owner_client.post(_url(theirs), {"body": "Hello"}, format="json").status_code == 404
    assert ContactNote.objects.filter(contact=theirs).count() == 1
