"""A thread's messages: pages from the newest backwards, each in chronological order, with
status history and attachments, in a number of queries that does not grow with the page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.models import Direction, Message, MessageStatus
from inbox.tests.factories import AttachmentFactory, MessageEventFactory, MessageFactory, ThreadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def thread(org):
    return ThreadFactory(organization=org)


def _url(thread) -> str:
    return f"/api/v1/inbox/threads/{thread.pk}/messages/"


def _messages(org, thread, count: int) -> list[Message]:
    start = timezone.now() - timedelta(hours=1)
    made = []
    for index in range(count):
        message = MessageFactory(organization=org, thread=thread, body=f"Message {index}")
        Message.objects.filter(pk=message.pk).update(created_at=start + timedelta(minutes=index))
        made.append(message)
    return made


def test_pages_go_backwards_and_read_forwards(owner_client, org, thread):
    _messages(org, thread, 5)

    first = owner_client.get(_url(thread), {"page_size": 2}).json()
    second = owner_client.get(first["next"]).json()
    third = owner_client.get(second["next"]).json()

    bodies = [[row["body"] for row in page["results"]] for page in (first, second, third)]
    assert bodies == [["Message 3", "Message 4"], ["Message 1", "Message 2"], ["Message 0"]]
    assert third["next"] is None


def test_a_message_with_its_history_author_and_attachments(owner_client, org, owner, thread):
    message = MessageFactory(
        organization=org,
        thread=thread,
        direction=Direction.OUTBOUND,
        status=MessageStatus.FAILED,
        author=owner,
        body="See you at 9",
        error_code="30006",
        error_message="Landline or unreachable carrier",
    )
    MessageEventFactory(organization=org, message=message, status=MessageStatus.QUEUED)
    MessageEventFactory(organization=org, message=message, status=MessageStatus.FAILED, detail="30006")
    stored = AttachmentFactory(organization=org, message=message)
    remote = AttachmentFactory(
        organization=org, message=message, source_url="https://files.example/x", error="Larger than 10 bytes"
    )

    [row] = owner_client.get(_url(thread)).json()["results"]

    assert {
        key: row[key] for key in ("id", "thread", "direction", "status", "body", "error_code", "error_message")
    } == {
        "id": message.pk,
        "thread": thread.pk,
        "direction": "outbound",
        "status": "failed",
        "body": "See you at 9",
        "error_code": "30006",
        "error_message": "Landline or unreachable carrier",
    }
    assert row["author"] == {
        "id": owner.pk,
        "name": f"{owner.first_name} {owner.last_name}".strip(),
        "email": owner.email,
    }
    assert [(event["status"], event["detail"]) for event in row["events"]] == [("queued", ""), ("failed", "30006")]
    assert row["attachments"] == [
        {
            "id": stored.pk,
            "filename": "photo.jpg",
            "content_type": "image/jpeg",
            "size": stored.size,
            "download_url": f"http://testserver/api/v1/inbox/attachments/{stored.pk}/download/",
            "error": "",
        },
        {
            "id": remote.pk,
            "filename": "photo.jpg",
            "content_type": "image/jpeg",
            "size": remote.size,
            "download_url": None,
            "error": "Larger than 10 bytes",
        },
    ]


def test_the_query_count_does_not_grow_with_the_page(owner_client, org, thread, owner):
    def add(count: int) -> None:
        for message in _messages(org, thread, count):
            Message.objects.filter(pk=message.pk).update(author=owner)
            MessageEventFactory(organization=org, message=message)
            MessageEventFactory(organization=org, message=message)
            AttachmentFactory(organization=org, message=message)

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = owner_client.get(_url(thread), {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(captured)

    add(2)
    few = queries(1)
    add(10)
    assert queries(12) == few


def test_another_organizations_thread_is_not_found(owner_client, other_org):
    theirs = ThreadFactory(organization=other_org)
    MessageFactory(organization=other_org, thread=theirs)

    assert owner_client.get(_url(theirs)).status_code == 404
