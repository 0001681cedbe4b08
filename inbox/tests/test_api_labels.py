"""Labels: create, rename, recolour, delete; a name is used once per organization."""

import pytest

from accounts.models import ActivityEntry
from inbox.models import Label, ThreadLabel
from inbox.tests.factories import LabelFactory, ThreadLabelFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/inbox/labels/"


def test_create_list_update_and_delete(owner_client, org):
    created = owner_client.post(URL, {"name": "  Needs   quote ", "color": "#22C55E"}, format="json")
    assert created.status_code == 201, created.content
    label = created.json()
    assert {key: label[key] for key in ("name", "color")} == {"name": "Needs quote", "color": "#22c55e"}

    assert [row["name"] for row in owner_client.get(URL).json()["results"]] == ["Needs quote"]
    renamed = owner_client.patch(f"{URL}{label['id']}/", {"name": "Quote"}, format="json")
    assert renamed.json()["name"] == "Quote"

    thread_label = ThreadLabelFactory(organization=org, label=Label.objects.get(pk=label["id"]))
    assert owner_client.delete(f"{URL}{label['id']}/").status_code == 204
    assert not ThreadLabel.objects.filter(pk=thread_label.pk).exists()
    verbs = set(ActivityEntry.objects.filter(organization=org).values_list("verb", flat=True))
    assert {"label.created", "label.updated", "label.deleted"} <= verbs


@pytest.mark.parametrize("name", ["Urgent", "urgent", " URGENT "])
def test_a_name_already_used_is_a_400_naming_name(owner_client, org, name):
    LabelFactory(organization=org, name="Urgent")

    response = owner_client.post(URL, {"name": name}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["name"]
    assert Label.objects.count() == 1


def test_renaming_onto_another_label_is_refused(owner_client, org):
    LabelFactory(organization=org, name="Urgent")
    other = LabelFactory(organization=org, name="Later")

    response = owner_client.patch(f"{URL}{other.pk}/", {"name": "urgent"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["name"]


def test_another_organization_may_use_the_same_name(owner_client, other_org):
    LabelFactory(organization=other_org, name="Urgent")

    assert owner_client.post(URL, {"name": "Urgent"}, format="json").status_code == 201


@pytest.mark.parametrize(("body", "field"), [({"name": ""}, "name"), ({"name": "Ok", "color": "red"}, "color")])
def test_bad_input_names_the_field(owner_client, body, field):
    response = owner_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_a_viewer_reads_but_cannot_write(viewer_client, org):
    label = LabelFactory(organization=org)

    assert viewer_client.get(URL).status_code == 200
    assert viewer_client.post(URL, {"name": "New"}, format="json").status_code == 403
    assert viewer_client.delete(f"{URL}{label.pk}/").status_code == 403
    assert Label.objects.count() == 1
