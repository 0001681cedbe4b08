"""``seed_demo`` gives the demo business its channels and a few dozen conversations, once."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Organization
from inbox.demo import DEMO_THREADS
from inbox.models import Channel, Direction, IntegrationConfig, IntegrationStatus, Message, Thread, ThreadStatus

pytestmark = pytest.mark.django_db


def _seed() -> None:
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def demo(settings) -> Organization:
    settings.DEBUG = True
    _seed()
    return Organization.objects.get(slug="brightside-plumbing")


def test_the_demo_inbox_has_connected_channels_and_lively_threads(demo):
    configs = IntegrationConfig.objects.filter(organization=demo)
    assert {config.channel for config in configs} == {Channel.SMS, Channel.WHATSAPP, Channel.EMAIL, Channel.MESSENGER}
    assert {config.status for config in configs} == {IntegrationStatus.CONNECTED}
    assert all(config.credentials or config.channel == Channel.EMAIL for config in configs)

    threads = Thread.objects.filter(organization=demo)
    assert threads.count() == DEMO_THREADS
    messages = Message.objects.filter(organization=demo)
    assert {Direction.INBOUND, Direction.OUTBOUND} == set(messages.values_list("direction", flat=True))
    assert set(messages.values_list("channel", flat=True)) == {
        Channel.SMS,
        Channel.WHATSAPP,
        Channel.EMAIL,
        Channel.MESSENGER,
    }
    assert threads.filter(unread_count__gt=0).exists()
    assert threads.filter(assigned_to__isnull=False).exists()
    assert threads.filter(status=ThreadStatus.CLOSED).count() == 1
    assert threads.filter(snoozed_until__gt=timezone.now()).count() == 1
    assert threads.filter(labels__isnull=False).exists()
    assert not threads.filter(last_message_at__isnull=True).exists()


def test_a_second_seed_adds_nothing(demo):
    before = Message.objects.filter(organization=demo).count()

    _seed()

    assert Message.objects.filter(organization=demo).count() == before
    assert IntegrationConfig.objects.filter(organization=demo).count() == 4


def test_the_demo_inbox_is_served_by_the_api(demo):
    from rest_framework.test import APIClient

    from accounts.models import User

    client = APIClient()
    client.force_login(User.objects.get(email="owner@brightside.example"))
    threads = client.get("/api/v1/inbox/threads/", {"status": "open"}).json()["results"]
    assert threads
    messages = client.get(f"/api/v1/inbox/threads/{threads[0]['id']}/messages/").json()["results"]
    assert messages
    assert client.get("/api/v1/inbox/threads/counts/").json()["all"] > 0
