"""The sidebar's unread counts: all, mine, unassigned, per channel and per label, in a few queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from inbox.models import Channel, IntegrationKind
from inbox.tests.factories import (
    IntegrationConfigFactory,
    LabelFactory,
    MessageFactory,
    ThreadFactory,
    ThreadLabelFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/inbox/threads/counts/"


def test_counts_of_threads_with_unread_messages(owner_client, org, other_org, owner, staff_member):
    me, bob = Membership.objects.get(user=owner), Membership.objects.get(user=staff_member)
    whatsapp = IntegrationConfigFactory(organization=org, kind=IntegrationKind.TWILIO_WHATSAPP)
    urgent, quotes = LabelFactory(organization=org, name="Urgent"), LabelFactory(organization=org, name="Quotes")
    mine = ThreadFactory(organization=org, unread_count=2, assigned_to=me)
    bobs = ThreadFactory(organization=org, unread_count=1, assigned_to=bob)
    nobodys = ThreadFactory(organization=org, unread_count=5)
    read = ThreadFactory(organization=org, unread_count=0)
    MessageFactory(organization=org, thread=mine, channel=Channel.SMS)
    MessageFactory(organization=org, thread=mine, channel=Channel.SMS)
    MessageFactory(organization=org, thread=bobs, integration=whatsapp, channel=Channel.WHATSAPP)
    MessageFactory(organization=org, thread=nobodys, channel=Channel.SMS)
    MessageFactory(organization=org, thread=read, channel=Channel.SMS)
    ThreadLabelFactory(organization=org, thread=mine, label=urgent)
    ThreadLabelFactory(organization=org, thread=read, label=urgent)
    ThreadFactory(organization=other_org, unread_count=9)

    response = owner_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "all": 3,
        "mine": 1,
        "unassigned": 1,
        "channels": {"sms": 2, "whatsapp": 1, "email": 0, "messenger": 0, "instagram": 0},
        "labels": [
            {"id": quotes.pk, "name": "Quotes", "color": quotes.color, "unread": 0},
            {"id": urgent.pk, "name": "Urgent", "color": urgent.color, "unread": 1},
        ],
    }


def test_the_query_count_does_not_grow_with_labels_or_threads(owner_client, org):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(URL).status_code == 200
        return len(captured)

    ThreadLabelFactory(organization=org, thread=ThreadFactory(organization=org, unread_count=1))
    few = queries()
    for _ in range(8):
        ThreadLabelFactory(organization=org, thread=ThreadFactory(organization=org, unread_count=1))
    assert queries() == few


def test_a_viewer_may_read_the_counts(viewer_client):
    assert viewer_client.get(URL).json()["all"] == 0
