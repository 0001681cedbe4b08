"""The thread list: newest activity first, every filter, full-text search, and a constant
number of queries per page."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership
from crm.tests.factories import ContactFactory
from inbox.models import Channel, IntegrationKind, ThreadStatus
from inbox.tests.factories import (
    IntegrationConfigFactory,
    LabelFactory,
    MessageFactory,
    ThreadFactory,
    ThreadLabelFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/inbox/threads/"


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _thread(org, minutes_ago: int = 0, **fields):
    return ThreadFactory(organization=org, last_message_at=timezone.now() - timedelta(minutes=minutes_ago), **fields)


def test_a_thread_as_the_list_shows_it(owner_client, org, owner):
    contact = ContactFactory(organization=org, first_name="Maria", last_name="Lopez", phone="+13125550111", email="")
    sms = IntegrationConfigFactory(organization=org, kind=IntegrationKind.TWILIO_SMS)
    member = Membership.objects.get(user=owner)
    label = LabelFactory(organization=org, name="Urgent", color="#ff0000")
    at = timezone.now().replace(microsecond=0)
    thread = ThreadFactory(
        organization=org,
        contact=contact,
        assigned_to=member,
        unread_count=2,
        last_message_at=at,
        last_message_preview="Is Tuesday fine?",
        last_inbound_integration=sms,
    )
    ThreadLabelFactory(organization=org, thread=thread, label=label)

    [row] = owner_client.get(URL).json()["results"]

    assert row == {
        "id": thread.pk,
        "contact": {"id": contact.pk, "display_name": "Maria Lopez", "phone": "+13125550111", "email": ""},
        "status": "open",
        "snoozed_until": None,
        "assigned_to": {"id": member.pk, "name": f"{owner.first_name} {owner.last_name}".strip(), "email": owner.email},
        "labels": [{"id": label.pk, "name": "Urgent", "color": "#ff0000"}],
        "unread_count": 2,
        "last_message_at": at.isoformat().replace("+00:00", "Z"),
        "last_message_preview": "Is Tuesday fine?",
        "last_channel": "sms",
        "created_at": row["created_at"],
    }


def test_newest_activity_first_and_pages_follow_on(owner_client, org):
    threads = [_thread(org, minutes_ago=minutes) for minutes in range(5)]

    first = owner_client.get(URL, {"page_size": 2}).json()
    second = owner_client.get(first["next"]).json()
    third = owner_client.get(second["next"]).json()

    pages = [[row["id"] for row in page["results"]] for page in (first, second, third)]
    assert pages == [[threads[0].pk, threads[1].pk], [threads[2].pk, threads[3].pk], [threads[4].pk]]
    assert third["next"] is None


def test_a_thread_without_messages_or_of_a_deleted_contact_is_not_listed(owner_client, org):
    shown = _thread(org)
    ThreadFactory(organization=org, last_message_at=None)
    _thread(org, contact=ContactFactory(organization=org, deleted_at=timezone.now()))

    assert _ids(owner_client.get(URL)) == [shown.pk]


def test_status_open_closed_snoozed(owner_client, org):
    now = timezone.now()
    open_ = _thread(org, 1)
    snoozed = _thread(org, 2, snoozed_until=now + timedelta(hours=3))
    snooze_over = _thread(org, 3, snoozed_until=now - timedelta(hours=1))
    closed = _thread(org, 4, status=ThreadStatus.CLOSED)

    assert _ids(owner_client.get(URL, {"status": "open"})) == [open_.pk, snooze_over.pk]
    assert _ids(owner_client.get(URL, {"status": "snoozed"})) == [snoozed.pk]
    assert _ids(owner_client.get(URL, {"status": "closed"})) == [closed.pk]
    row = owner_client.get(URL, {"status": "snoozed"}).json()["results"][0]
    assert row["status"] == "snoozed"


def test_unread(owner_client, org):
    unread = _thread(org, 1, unread_count=3)
    read = _thread(org, 2, unread_count=0)

    assert _ids(owner_client.get(URL, {"unread": "true"})) == [unread.pk]
    assert _ids(owner_client.get(URL, {"unread": "false"})) == [read.pk]


def test_channel_means_a_message_on_that_channel(owner_client, org):
    on_whatsapp = _thread(org, 1)
    on_sms = _thread(org, 2)
    whatsapp = IntegrationConfigFactory(organization=org, kind=IntegrationKind.TWILIO_WHATSAPP)
    MessageFactory(organization=org, thread=on_whatsapp, integration=whatsapp, channel=Channel.WHATSAPP)
    MessageFactory(organization=org, thread=on_whatsapp, channel=Channel.SMS)
    MessageFactory(organization=org, thread=on_sms, channel=Channel.SMS)

    assert _ids(owner_client.get(URL, {"channel": "whatsapp"})) == [on_whatsapp.pk]
    assert _ids(owner_client.get(URL, {"channel": "sms"})) == [on_whatsapp.pk, on_sms.pk]
    assert _ids(owner_client.get(URL, {"channel": "email"})) == []


def test_assigned_to_a_member_to_me_or_to_nobody(owner_client, org, owner, staff_member):
    mine = _thread(org, 1, assigned_to=Membership.objects.get(user=owner))
    bobs_membership = Membership.objects.get(user=staff_member)
    bobs = _thread(org, 2, assigned_to=bobs_membership)
    nobodys = _thread(org, 3)

    assert _ids(owner_client.get(URL, {"assigned": "me"})) == [mine.pk]
    assert _ids(owner_client.get(URL, {"assigned": str(bobs_membership.pk)})) == [bobs.pk]
    assert _ids(owner_client.get(URL, {"assigned": "none"})) == [nobodys.pk]


def test_contact_and_label(owner_client, org):
    labeled = _thread(org, 1)
    other = _thread(org, 2)
    label = LabelFactory(organization=org)
    ThreadLabelFactory(organization=org, thread=labeled, label=label)

    assert _ids(owner_client.get(URL, {"label": label.pk})) == [labeled.pk]
    assert _ids(owner_client.get(URL, {"contact": other.contact_id})) == [other.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"assigned": "someone"}, "assigned"), ({"label": "1.5"}, "label"), ({"contact": "abc"}, "contact")],
)
def test_a_malformed_filter_is_a_400_naming_it(owner_client, params, field):
    response = owner_client.get(URL, params)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_search_reads_the_messages_and_the_contact_name(owner_client, org):
    boiler = _thread(org, 1)
    MessageFactory(organization=org, thread=boiler, body="The boiler is leaking again in the basement")
    invoice = _thread(org, 2)
    MessageFactory(organization=org, thread=invoice, subject="Invoice 1042", body="Paid, thanks")
    named = _thread(org, 3, contact=ContactFactory(organization=org, first_name="Rosalind", last_name="Boilerman"))
    _thread(org, 4)

    assert _ids(owner_client.get(URL, {"search": "leaking boiler"})) == [boiler.pk]
    assert _ids(owner_client.get(URL, {"search": "invoice"})) == [invoice.pk]
    assert _ids(owner_client.get(URL, {"search": "Rosalind Boilerman"})) == [named.pk]
    assert _ids(owner_client.get(URL, {"search": "nothing says this"})) == []
    refused = owner_client.get(URL, {"search": "nul\x00byte"})
    assert (refused.status_code, list(refused.json()["error"]["fields"])) == (400, ["search"])


def test_search_reads_the_indexed_search_column(owner_client, org):
    """The query matches the stored tsvector column that ``message_search_idx`` covers, with
    nothing but the leakproof ``@@`` applied to the row (bin/pg_app_role.py marks it so), so
    that row-level security leaves the planner free to use the index."""
    if connection.vendor != "postgresql":
        pytest.skip("the search column and its GIN index exist on PostgreSQL only")
    thread = _thread(org)
    MessageFactory(organization=org, thread=thread, body="Quote for the water heater")
    with CaptureQueriesContext(connection) as captured:
        assert _ids(owner_client.get(URL, {"search": "heater"})) == [thread.pk]
    [sql] = [q["sql"] for q in captured.captured_queries if 'FROM "inbox_thread"' in q["sql"]]
    found = re.search(
        r"FROM \"inbox_message\" (\w+) WHERE \(\1\.\"search_vector\" @@ plainto_tsquery\('simple', 'heater'\)",
        sql,
    )
    assert found, sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'message_search_idx'")
        [(definition,)] = cursor.fetchall()
    assert "USING gin (search_vector)" in definition


def test_the_query_count_does_not_grow_with_the_page(owner_client, org):
    labels = [LabelFactory(organization=org) for _ in range(3)]
    member = Membership.objects.get(user__email="alice@alpha.example")
    sms = IntegrationConfigFactory(organization=org)

    def add(count: int) -> None:
        for _ in range(count):
            thread = _thread(org, assigned_to=member, last_inbound_integration=sms)
            for label in labels:
                ThreadLabelFactory(organization=org, thread=thread, label=label)

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = owner_client.get(URL, {"page_size": page_size, "search": "", "unread": "false"})
        assert len(response.json()["results"]) == page_size
        return len(captured)

    add(2)
    few = queries(1)
    add(10)
    assert queries(12) == few


def test_another_organizations_threads_are_not_listed(owner_client, org, other_org):
    ours = _thread(org)
    _thread(other_org)

    assert _ids(owner_client.get(URL)) == [ours.pk]
