"""``POST /contacts/{id}/merge/``: another contact is folded into this one, in one transaction."""

from datetime import datetime

import pytest

from accounts.models import ActivityEntry
from crm import hooks
from crm.models import Contact, ContactNote
from crm.services import contact_create
from crm.tests.factories import ContactFactory, ContactNoteFactory, ContactTagFactory

pytestmark = pytest.mark.django_db

EARLY = datetime.fromisoformat("2025-01-01T12:00:00+00:00")
LATE = datetime.fromisoformat("2025-06-01T12:00:00+00:00")


def _merge(client, target: Contact, other: Contact):
    return client.post(f"/api/v1/contacts/{target.pk}/merge/", {"other": other.pk}, format="json")


@pytest.fixture
def pair(org):
    target = contact_create(
        organization=org,
        actor=None,
        data={
            "first_name": "John",
            "last_name": "Smith",
            "emails": ["john@example.com"],
            "phones": ["312 555 0147"],
            "consent": {"sms": {"granted": True, "how": "Booking page"}},
        },
    )
    merged = contact_create(
        organization=org,
        actor=None,
        data={
            "first_name": "Johnny",
            "company": "Smith & Sons",
            "city": "Chicago",
            "emails": ["j.smith@work.example", "JOHN@example.com"],
            "phones": ["312 555 0148"],
            "consent": {"sms": {"granted": False, "how": "Replied STOP"}, "email": {"granted": True, "how": "Form"}},
        },
    )
    Contact.objects.filter(pk=target.pk).update(last_activity_at=EARLY)
    Contact.objects.filter(pk=merged.pk).update(last_activity_at=LATE)
    target.refresh_from_db()
    merged.refresh_from_db()
    return target, merged


def test_merging_unites_addresses_fills_gaps_and_keeps_the_targets_values(owner_client, pair):
    target, merged = pair

    response = _merge(owner_client, target, merged)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert {key: body[key] for key in ("id", "first_name", "last_name", "company", "city", "email", "phone")} == {
        "id": target.pk,
        "first_name": "John",
        "last_name": "Smith",
        "company": "Smith & Sons",
        "city": "Chicago",
        "email": "john@example.com",
        "phone": "+13125550147",
    }
    assert body["emails"] == [
        {"value": "john@example.com", "label": ""},
        {"value": "j.smith@work.example", "label": ""},
    ]
    assert [entry["value"] for entry in body["phones"]] == ["+13125550147", "+13125550148"]
    assert body["consent"]["sms"]["granted"] is True  # the target's own answer wins
    assert body["consent"]["email"]["granted"] is True  # a channel only the other had is kept
    assert body["last_activity_at"] == "2025-06-01T12:00:00Z"


def test_the_merged_contact_is_found_by_its_old_phone_afterwards(owner_client, pair):
    target, merged = pair

    _merge(owner_client, target, merged)

    found = owner_client.get("/api/v1/contacts/", {"search": "555-0148"}).json()["results"]
    assert [row["id"] for row in found] == [target.pk]


def test_notes_and_tags_move_to_the_target(owner_client, org, pair):
    target, merged = pair
    ContactTagFactory(organization=org, contact=target, tag__name="VIP")
    ContactTagFactory(organization=org, contact=merged, tag__name="Commercial")
    ContactTagFactory(organization=org, contact=merged, tag=target.tags.get())
    note = ContactNoteFactory(organization=org, contact=merged, body="Prefers mornings")

    response = _merge(owner_client, target, merged)

    assert response.json()["tags"] == ["Commercial", "VIP"]
    note.refresh_from_db()
    assert note.contact == target
    assert not merged.tags.exists()


def test_the_merged_contact_is_soft_deleted_and_remembers_where_it_went(owner_client, pair):
    target, merged = pair

    _merge(owner_client, target, merged)

    merged.refresh_from_db()
    assert merged.deleted_at is not None
    assert merged.merged_into == target
    assert owner_client.get(f"/api/v1/contacts/{merged.pk}/").status_code == 404
    assert owner_client.post(f"/api/v1/contacts/{merged.pk}/restore/").status_code == 404


def test_merging_is_recorded_in_the_activity_log(owner_client, org, owner, pair):
    target, merged = pair

    _merge(owner_client, target, merged)

    entry = ActivityEntry.objects.get(organization=org, verb="contact.merged")
    assert (entry.actor, entry.target_id, entry.data) == (owner, str(target.pk), {"merged_id": merged.pk})
    assert entry.summary == "Johnny merged into John Smith"


def test_later_apps_move_their_records_through_the_merge_hook(owner_client, pair):
    target, merged = pair
    seen = []

    def handler(into: Contact, gone: Contact) -> None:
        seen.append((into.pk, gone.pk))

    hooks.register_merge_handler(handler)
    try:
        _merge(owner_client, target, merged)
    finally:
        hooks.merge_handlers.remove(handler)

    assert seen == [(target.pk, merged.pk)]


def test_a_failing_hook_leaves_both_contacts_as_they_were(owner_client, org, pair):
    target, merged = pair
    ContactNoteFactory(organization=org, contact=merged)

    def failing(into: Contact, gone: Contact) -> None:
        raise RuntimeError("the jobs app could not move its jobs")

    hooks.register_merge_handler(failing)
    owner_client.raise_request_exception = False
    try:
        response = _merge(owner_client, target, merged)
    finally:
        hooks.merge_handlers.remove(failing)

    assert response.status_code == 500
    merged.refresh_from_db()
    target.refresh_from_db()
    assert (merged.deleted_at, target.company) == (None, "")
    assert ContactNote.objects.get().contact == merged


def test_a_contact_cannot_be_merged_into_itself(owner_client, pair):
    target, _ = pair

    response = _merge(owner_client, target, target)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"other": ["A contact cannot be merged into itself."]}


def test_another_organizations_contact_cannot_be_merged_either_way(owner_client, other_org, pair):
    target, _ = pair
    theirs = ContactFactory(organization=other_org)

    into_ours = _merge(owner_client, target, theirs)
    into_theirs = _merge(owner_client, theirs, target)

    assert (into_ours.status_code, into_theirs.status_code) == (404, 404)
    theirs.refresh_from_db()
    assert (theirs.deleted_at, theirs.merged_into) == (None, None)


def test_a_deleted_contact_cannot_be_merged(owner_client, pair):
    target, merged = pair
    owner_client.delete(f"/api/v1/contacts/{merged.pk}/")

    assert _merge(owner_client, target, merged).status_code == 404
