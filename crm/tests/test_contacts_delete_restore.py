from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ActivityEntry
from crm.models import Contact
from crm.services import contacts_purge_deleted
from crm.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_a_deleted_contact_leaves_the_list_and_can_be_restored(owner_client, org):
    contact = ContactFactory(organization=org)
    kept = ContactFactory(organization=org)

    deleted = owner_client.delete(f"{URL}{contact.pk}/")

    assert deleted.status_code == 204
    assert _ids(owner_client.get(URL)) == [kept.pk]
    assert _ids(owner_client.get(URL, {"deleted": "true"})) == [contact.pk]
    assert owner_client.get(f"{URL}{contact.pk}/").status_code == 404

    restored = owner_client.post(f"{URL}{contact.pk}/restore/")

    assert restored.status_code == 200, restored.json()
    assert restored.json()["deleted_at"] is None
    assert sorted(_ids(owner_client.get(URL))) == sorted([contact.pk, kept.pk])
    assert _ids(owner_client.get(URL, {"deleted": "true"})) == []
    verbs = list(ActivityEntry.objects.filter(organization=org).order_by("id").values_list("verb", flat=True))
    assert verbs == ["contact.deleted", "contact.restored"]


def test_the_row_stays_in_the_database_while_it_can_be_restored(owner_client, org):
    contact = ContactFactory(organization=org)

    owner_client.delete(f"{URL}{contact.pk}/")

    contact.refresh_from_db()
    assert contact.deleted_at is not None


def test_restore_is_refused_after_30_days(owner_client, org):
    contact = ContactFactory(organization=org, deleted_at=timezone.now() - timedelta(days=31))

    response = owner_client.post(f"{URL}{contact.pk}/restore/")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "non_field_errors": ["Deleted more than 30 days ago: it can no longer be restored."]
    }
    contact.refresh_from_db()
    assert contact.deleted_at is not None


def test_restore_works_on_the_29th_day(owner_client, org):
    contact = ContactFactory(organization=org, deleted_at=timezone.now() - timedelta(days=29))

    assert owner_client.post(f"{URL}{contact.pk}/restore/").status_code == 200


def test_a_live_contact_has_nothing_to_restore(owner_client, org):
    contact = ContactFactory(organization=org)

    assert owner_client.post(f"{URL}{contact.pk}/restore/").status_code == 404


def test_a_merged_contact_is_not_listed_as_deleted(owner_client, org):
    target = ContactFactory(organization=org)
    ContactFactory(organization=org, deleted_at=timezone.now(), merged_into=target)

    assert _ids(owner_client.get(URL, {"deleted": "true"})) == []


def test_another_organizations_deleted_contact_cannot_be_restored(owner_client, other_org):
    theirs = ContactFactory(organization=other_org, deleted_at=timezone.now())

    assert owner_client.post(f"{URL}{theirs.pk}/restore/").status_code == 404
    assert owner_client.delete(f"{URL}{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.deleted_at is not None


def test_contacts_deleted_over_30_days_ago_are_purged(org):
    old = ContactFactory(organization=org, deleted_at=timezone.now() - timedelta(days=31))
    recent = ContactFactory(organization=org, deleted_at=timezone.now() - timedelta(days=2))
    live = ContactFactory(organization=org)

    contacts_purge_deleted()

    assert set(Contact.objects.values_list("pk", flat=True)) == {recent.pk, live.pk}
    assert not Contact.objects.filter(pk=old.pk).exists()


def test_the_periodic_task_purges_across_organizations(org, other_org):
    from datetime import timedelta

    from django.utils import timezone

    from crm.models import Contact
    from crm.tasks import contacts_purge_deleted as purge_task
    from crm.tests.factories import ContactFactory

    old = [ContactFactory(organization=o) for o in (org, other_org)]
    Contact.objects.filter(pk__in=[c.pk for c in old]).update(deleted_at=timezone.now() - timedelta(days=31))
    recent = ContactFactory(organization=org)
    Contact.objects.filter(pk=recent.pk).update(deleted_at=timezone.now() - timedelta(days=2))
    assert purge_task.delay().get() == 2
    assert list(Contact.objects.values_list("pk", flat=True)) == [recent.pk]
