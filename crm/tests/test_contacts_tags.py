"""``/tags/``: the organization's tags, with how many contacts carry each."""

from unittest.mock import ANY

import pytest

from crm.models import ContactTag, Tag
from crm.tests.factories import ContactFactory, ContactTagFactory, TagFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/tags/"


def test_create_and_read(owner_client, org):
    created = owner_client.post(URL, {"name": " VIP ", "color": "#2454d6"}, format="json")

    assert created.status_code == 201, created.json()
    assert created.json() == {
        "id": ANY,
        "name": "VIP",
        "color": "#2454d6",
        "created_at": ANY,
        "contact_count": 0,
    }
    assert Tag.objects.get().organization == org


def test_creating_an_existing_name_returns_that_tag(owner_client, org):
    existing = TagFactory(organization=org, name="VIP")

    ContactTagFactory(organization=org, tag=existing)

    response = owner_client.post(URL, {"name": "vip"}, format="json")

    assert (response.json()["id"], response.json()["name"], response.json()["contact_count"]) == (existing.pk, "VIP", 1)
    assert Tag.objects.count() == 1


def test_the_list_counts_contacts_per_tag_in_name_order(owner_client, org, other_org):
    vip, repeat = TagFactory(organization=org, name="VIP"), TagFactory(organization=org, name="Repeat")
    for _ in range(3):
        ContactTagFactory(organization=org, tag=vip)
    ContactTagFactory(organization=org, tag=repeat)
    ContactTagFactory(organization=other_org, tag__name="VIP")

    response = owner_client.get(URL)

    assert [(row["name"], row["contact_count"]) for row in response.json()["results"]] == [("Repeat", 1), ("VIP", 3)]


def test_rename_and_recolor(owner_client, org):
    tag = TagFactory(organization=org, name="Vip")

    response = owner_client.patch(f"{URL}{tag.pk}/", {"name": "VIP", "color": "#000000"}, format="json")

    assert response.status_code == 200, response.json()
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("VIP", "#000000")


def test_renaming_to_another_tags_name_is_a_400_naming_it(owner_client, org):
    TagFactory(organization=org, name="VIP")
    tag = TagFactory(organization=org, name="Regular")

    response = owner_client.patch(f"{URL}{tag.pk}/", {"name": "vip"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["name"]
    tag.refresh_from_db()
    assert tag.name == "Regular"


def test_deleting_a_tag_removes_it_from_contacts_but_keeps_them(owner_client, org):
    link = ContactTagFactory(organization=org, tag__name="Old")

    assert owner_client.delete(f"{URL}{link.tag.pk}/").status_code == 204
    assert not ContactTag.objects.exists()
    assert ContactFactory._meta.model.objects.filter(pk=link.contact.pk).exists()


def test_contacts_list_their_tags(owner_client, org):
    contact = ContactFactory(organization=org)
    for name in ("VIP", "Commercial"):
        ContactTagFactory(organization=org, contact=contact, tag__name=name)

    assert owner_client.get(f"/api/v1/contacts/{contact.pk}/").json()["tags"] == ["Commercial", "VIP"]


def test_another_organizations_tags_are_out_of_reach(owner_client, other_org):
    theirs = TagFactory(organization=other_org, name="Secret")

    assert owner_client.get(URL).json()["results"] == []
    assert owner_client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert owner_client.patch(f"{URL}{theirs.pk}/", {"name": "Mine"}, format="json").status_code == 404
    assert owner_client.delete(f"{URL}{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Secret"


def test_a_viewer_reads_tags_but_cannot_change_them(viewer_client, org):
    tag = TagFactory(organization=org, name="VIP")

    assert viewer_client.get(URL).status_code == 200
    assert viewer_client.post(URL, {"name": "New"}, format="json").status_code == 403
    assert viewer_client.delete(f"{URL}{tag.pk}/").status_code == 403


def test_deleted_contacts_are_not_counted(owner_client, org):
    tag = TagFactory(organization=org, name="VIP")
    kept, deleted = ContactTagFactory(organization=org, tag=tag), ContactTagFactory(organization=org, tag=tag)
    owner_client.delete(f"/api/v1/contacts/{deleted.contact.pk}/")

    assert owner_client.get(f"{URL}{tag.pk}/").json()["contact_count"] == 1
    owner_client.post(f"/api/v1/contacts/{deleted.contact.pk}/restore/")
    assert owner_client.get(f"{URL}{tag.pk}/").json()["contact_count"] == 2
    assert kept.contact.deleted_at is None
