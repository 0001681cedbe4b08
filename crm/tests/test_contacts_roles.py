"""Everyone in the team reads the contacts; viewers change nothing; strangers see nothing."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ActivityEntry
from crm.models import Contact
from crm.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(org):
    return ContactFactory(organization=org, first_name="Ann")


@pytest.fixture
def deleted(org):
    return ContactFactory(organization=org, deleted_at=timezone.now())


def _writes(contact: Contact, deleted: Contact, other: Contact) -> list[tuple[str, str, dict | None]]:
    base = "/api/v1/contacts/"
    return [
        ("post", base, {"first_name": "New"}),
        ("patch", f"{base}{contact.pk}/", {"first_name": "Changed"}),
        ("post", f"{base}{deleted.pk}/restore/", None),
        ("post", f"{base}{contact.pk}/merge/", {"other": other.pk}),
        ("post", f"{base}{contact.pk}/notes/", {"body": "Hi"}),
        ("post", f"{base}bulk/", {"action": "tag", "ids": [contact.pk], "tags": ["VIP"]}),
        ("post", "/api/v1/tags/", {"name": "VIP"}),
        ("delete", f"{base}{contact.pk}/", None),
    ]


def _reads(contact: Contact) -> list[str]:
    base = "/api/v1/contacts/"
    return [
        base,
        f"{base}{contact.pk}/",
        f"{base}{contact.pk}/notes/",
        f"{base}{contact.pk}/timeline/",
        f"{base}{contact.pk}/duplicates/",
        f"{base}export/",
        "/api/v1/tags/",
    ]


def test_a_viewer_reads_everything(viewer_client, contact):
    for path in _reads(contact):
        assert viewer_client.get(path).status_code == 200, path


def test_a_viewer_changes_nothing(viewer_client, org, contact, deleted):
    other = ContactFactory(organization=org)
    for method, path, body in _writes(contact, deleted, other):
        response = getattr(viewer_client, method)(path, body, format="json")
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "role_forbidden"

    assert Contact.objects.filter(organization=org).count() == 3
    contact.refresh_from_db()
    assert (contact.first_name, contact.deleted_at) == ("Ann", None)
    assert not ActivityEntry.objects.filter(organization=org).exists()


def test_staff_change_contacts(staff_client, org, contact, deleted):
    other = ContactFactory(organization=org)
    for method, path, body in _writes(contact, deleted, other):
        response = getattr(staff_client, method)(path, body, format="json")
        assert response.status_code in (200, 201, 204), (method, path, response.content)


def test_someone_signed_out_gets_nothing(contact):
    for path in _reads(contact):
        assert APIClient().get(path).status_code in (401, 403), path


def test_a_member_of_another_business_sees_only_their_own(outsider_client, contact):
    assert outsider_client.get("/api/v1/contacts/").json()["results"] == []
    assert outsider_client.get(f"/api/v1/contacts/{contact.pk}/").status_code == 404
