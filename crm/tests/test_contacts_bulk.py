"""``POST /contacts/bulk/``: tag, untag or delete by ids or by the list's filter, within one organization."""

import pytest

from accounts.models import ActivityEntry
from crm.models import Contact, ContactTag, Tag
from crm.services import contact_create
from crm.tests.factories import ContactFactory, ContactTagFactory, TagFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/bulk/"


def _tag_names(contact: Contact) -> list[str]:
    return sorted(contact.tags.values_list("name", flat=True))


@pytest.fixture
def ours(org):
    return [ContactFactory(organization=org, first_name=name, last_name="Smith") for name in ("Ann", "Bob", "Cid")]


@pytest.fixture
def theirs(other_org):
    return ContactFactory(organization=other_org, first_name="Dan", last_name="Smith")


def test_tag_by_ids(owner_client, org, ours):
    response = owner_client.post(
        URL, {"action": "tag", "ids": [ours[0].pk, ours[1].pk], "tags": ["VIP", "Repeat"]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {"affected": 2}
    assert [_tag_names(c) for c in ours] == [["Repeat", "VIP"], ["Repeat", "VIP"], []]
    assert ActivityEntry.objects.filter(organization=org, verb="contact.tagged").count() == 1


def test_tagging_twice_adds_nothing(owner_client, ours):
    for _ in range(2):
        owner_client.post(URL, {"action": "tag", "ids": [ours[0].pk], "tags": ["VIP"]}, format="json")

    assert ContactTag.objects.filter(contact=ours[0]).count() == 1


def test_an_existing_tag_is_reused_whatever_its_case(owner_client, org, ours):
    TagFactory(organization=org, name="VIP")

    owner_client.post(URL, {"action": "tag", "ids": [ours[0].pk], "tags": ["vip"]}, format="json")

    assert list(Tag.objects.filter(organization=org).values_list("name", flat=True)) == ["VIP"]


def test_untag_by_ids(owner_client, org, ours):
    for contact in ours:
        ContactTagFactory(organization=org, contact=contact, tag=TagFactory(organization=org, name=f"T{contact.pk}"))
        ContactTagFactory(
            organization=org, contact=contact, tag=Tag.objects.get_or_create(organization=org, name="VIP")[0]
        )

    response = owner_client.post(URL, {"action": "untag", "ids": [ours[0].pk], "tags": ["VIP"]}, format="json")

    assert response.json() == {"affected": 1}
    assert _tag_names(ours[0]) == [f"T{ours[0].pk}"]
    assert "VIP" in _tag_names(ours[1])


def test_delete_by_ids(owner_client, ours):
    response = owner_client.post(URL, {"action": "delete", "ids": [ours[0].pk, ours[2].pk]}, format="json")

    assert response.json() == {"affected": 2}
    assert list(Contact.objects.filter(deleted_at__isnull=True).values_list("first_name", flat=True)) == ["Bob"]


def test_another_organizations_ids_are_ignored(owner_client, other_org, ours, theirs):
    ids = [ours[0].pk, theirs.pk]

    tagged = owner_client.post(URL, {"action": "tag", "ids": ids, "tags": ["VIP"]}, format="json")
    deleted = owner_client.post(URL, {"action": "delete", "ids": ids}, format="json")

    assert tagged.json() == deleted.json() == {"affected": 1}
    theirs.refresh_from_db()
    assert theirs.deleted_at is None
    assert not ContactTag.objects.filter(contact=theirs).exists()
    assert not Tag.objects.filter(organization=other_org).exists()


def test_untag_never_reaches_another_organization(owner_client, other_org, theirs):
    ContactTagFactory(organization=other_org, contact=theirs, tag__name="VIP")

    response = owner_client.post(URL, {"action": "untag", "ids": [theirs.pk], "tags": ["VIP"]}, format="json")

    assert response.json() == {"affected": 0}
    assert ContactTag.objects.filter(contact=theirs).count() == 1


def test_tag_by_filter(owner_client, org, ours):
    ContactFactory(organization=org, first_name="Eve", email="")

    response = owner_client.post(
        URL, {"action": "tag", "filter": {"has_email": "false"}, "tags": ["Call only"]}, format="json"
    )

    assert response.json() == {"affected": 1}
    assert list(Contact.objects.filter(tags__name="Call only").values_list("first_name", flat=True)) == ["Eve"]


def test_delete_by_a_filter_with_a_search(owner_client, org, theirs):
    for first, last in (("John", "Smith"), ("Jane", "Smith"), ("Maria", "Garcia")):
        contact_create(organization=org, actor=None, data={"first_name": first, "last_name": last})

    response = owner_client.post(URL, {"action": "delete", "filter": {"search": "smiht"}}, format="json")

    assert response.json() == {"affected": 2}
    live = Contact.objects.filter(organization=org, deleted_at__isnull=True)
    assert list(live.values_list("first_name", flat=True)) == ["Maria"]
    theirs.refresh_from_db()
    assert theirs.deleted_at is None


def test_tag_by_a_filter_of_tags_and_search(owner_client, org, ours):
    ContactTagFactory(organization=org, contact=ours[1], tag__name="Commercial")

    response = owner_client.post(
        URL,
        {"action": "tag", "filter": {"tag": "Commercial", "search": "Smith"}, "tags": ["Follow up"]},
        format="json",
    )

    assert response.json() == {"affected": 1}
    assert _tag_names(ours[1]) == ["Commercial", "Follow up"]


def test_an_empty_filter_acts_on_every_live_contact_of_ours_only(owner_client, org, ours, theirs):
    ContactFactory(organization=org, first_name="Gone", deleted_at="2025-01-01T00:00:00Z")

    response = owner_client.post(URL, {"action": "tag", "filter": {}, "tags": ["All"]}, format="json")

    assert response.json() == {"affected": 3}
    assert not ContactTag.objects.filter(contact=theirs).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "tag", "ids": [1]}, "tags"),
        ({"action": "delete"}, "ids"),
        ({"action": "delete", "ids": [1], "filter": {}}, "ids"),
        ({"action": "explode", "ids": [1]}, "action"),
        ({"action": "delete", "filter": {"created_after": "yesterday"}}, "filter"),
    ],
)
def test_bad_requests_name_the_field(owner_client, ours, body, field):
    response = owner_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Contact.objects.filter(deleted_at__isnull=True).count() == 3


def test_a_viewer_cannot_act_in_bulk(viewer_client, ours):
    response = viewer_client.post(URL, {"action": "delete", "ids": [c.pk for c in ours]}, format="json")

    assert response.status_code == 403
    assert Contact.objects.filter(deleted_at__isnull=True).count() == 3
