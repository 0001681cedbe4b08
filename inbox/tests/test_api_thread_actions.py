"""What the team does with a thread: read, unread, assign, close, reopen, snooze, label.
Each is recorded in the activity log and pushed to the organization's live clients."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from accounts.models import ActivityEntry, Membership
from inbox.models import Thread, ThreadLabel, ThreadStatus
from inbox.realtime import organization_group
from inbox.tests.factories import LabelFactory, ThreadFactory, ThreadLabelFactory

pytestmark = pytest.mark.django_db


def _url(thread, action: str) -> str:
    return f"/api/v1/inbox/threads/{thread.pk}/{action}/"


@pytest.fixture
def thread(org):
    return ThreadFactory(organization=org, unread_count=3)


def test_read_and_unread(owner_client, thread):
    read = owner_client.post(_url(thread, "read"))
    assert (read.status_code, read.json()["unread_count"]) == (200, 0)

    unread = owner_client.post(_url(thread, "unread"))
    assert (unread.status_code, unread.json()["unread_count"]) == (200, 1)
    verbs = list(ActivityEntry.objects.filter(target_id=str(thread.pk)).order_by("id").values_list("verb", flat=True))
    assert verbs == ["thread.read", "thread.unread"]


def test_assign_to_a_member_and_to_nobody(owner_client, thread, staff_member):
    bob = Membership.objects.get(user=staff_member)

    response = owner_client.post(_url(thread, "assign"), {"member": bob.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["assigned_to"] == {
        "id": bob.pk,
        "name": f"{staff_member.first_name} {staff_member.last_name}".strip(),
        "email": "bob@alpha.example",
    }

    response = owner_client.post(_url(thread, "assign"), {"member": None}, format="json")
    assert response.json()["assigned_to"] is None
    assert ActivityEntry.objects.filter(verb="thread.assigned").count() == 2


def test_a_member_of_another_organization_cannot_be_assigned(owner_client, thread, outsider):
    charlie = Membership.objects.get(user=outsider)

    response = owner_client.post(_url(thread, "assign"), {"member": charlie.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["member"]
    thread.refresh_from_db()
    assert thread.assigned_to is None


def test_close_and_reopen(owner_client, thread):
    assert owner_client.post(_url(thread, "close")).json()["status"] == "closed"
    assert Thread.objects.get(pk=thread.pk).status == ThreadStatus.CLOSED

    assert owner_client.post(_url(thread, "reopen")).json()["status"] == "open"


def test_snooze_until_a_future_moment(owner_client, thread):
    until = (timezone.now() + timedelta(days=1)).replace(microsecond=0)

    response = owner_client.post(_url(thread, "snooze"), {"until": until.isoformat()}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "snoozed"
    thread.refresh_from_db()
    assert thread.snoozed_until == until
    assert owner_client.post(_url(thread, "reopen")).json()["snoozed_until"] is None


@pytest.mark.parametrize("until", ["2001-01-01T00:00:00Z", "not a time", None])
def test_snooze_in_the_past_or_malformed_is_a_400_naming_until(owner_client, thread, until):
    response = owner_client.post(_url(thread, "snooze"), {"until": until}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["until"]
    thread.refresh_from_db()
    assert thread.snoozed_until is None


def test_labels_are_set_to_exactly_those_given(owner_client, org, thread):
    kept, dropped, added = (LabelFactory(organization=org) for _ in range(3))
    ThreadLabelFactory(organization=org, thread=thread, label=kept)
    ThreadLabelFactory(organization=org, thread=thread, label=dropped)

    response = owner_client.post(_url(thread, "labels"), {"labels": [kept.pk, added.pk]}, format="json")

    assert response.status_code == 200
    assert sorted(label["id"] for label in response.json()["labels"]) == sorted([kept.pk, added.pk])
    assert set(ThreadLabel.objects.filter(thread=thread).values_list("label_id", flat=True)) == {kept.pk, added.pk}


def test_a_label_of_another_organization_is_refused(owner_client, other_org, thread):
    theirs = LabelFactory(organization=other_org)

    response = owner_client.post(_url(thread, "labels"), {"labels": [theirs.pk]}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["labels"]
    assert not ThreadLabel.objects.filter(thread=thread).exists()


def test_live_clients_hear_of_the_change(owner_client, org, thread, django_capture_on_commit_callbacks):
    layer = get_channel_layer()
    listener = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(organization_group(org.pk), listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert owner_client.post(_url(thread, "close")).status_code == 200
        heard = async_to_sync(layer.receive)(listener)
    finally:
        async_to_sync(layer.group_discard)(organization_group(org.pk), listener)

    assert heard == {"type": "inbox.event", "event": {"event": "thread.updated", "thread": thread.pk}}


def test_a_viewer_cannot_act_on_threads(viewer_client, thread):
    for action in ("read", "unread", "close", "reopen"):
        assert viewer_client.post(_url(thread, action)).status_code == 403
    thread.refresh_from_db()
    assert (thread.unread_count, thread.status) == (3, ThreadStatus.OPEN)


def test_another_organizations_thread_is_not_found(owner_client, other_org):
    theirs = ThreadFactory(organization=other_org)

    assert owner_client.post(_url(theirs, "close")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ThreadStatus.OPEN
