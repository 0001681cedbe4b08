"""The first wall, for the live inbox: a member of B who names A's organization gets a refusal, never A's events.

In the spirit of config/tests/test_cross_tenant.py: B's owner is the attacker,
A holds a secret, and nothing of A may reach B's socket, not even A's name in
the refusal.
"""

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from accounts import services
from accounts.roles import Role
from accounts.tests.factories import MembershipFactory, UserFactory
from inbox import realtime
from inbox.consumers import CLOSE_FORBIDDEN
from inbox.tests.sockets import WAIT, closed_with, joined, session_cookie, socket

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "org-a-secret"


@pytest.fixture
def attacker(org, other_org):
    org.name = f"{SECRET} Alpha"
    org.save()
    MembershipFactory(organization=org, user=UserFactory(email=f"owner@{SECRET}.example"), role=Role.OWNER)
    return MembershipFactory(
        organization=other_org, user=UserFactory(email="mallory@bravo.example"), role=Role.OWNER
    ).user


def _secret_event() -> dict:
    return {"event": "thread.updated", "thread": 1, "note": SECRET}


def test_a_member_of_b_naming_a_is_refused_and_hears_nothing_of_a(attacker, org, other_org):
    cookie = session_cookie(attacker)
    key = services.api_token_create(organization=other_org, user=attacker, name="Mallory's script")[1]

    async def scenario():
        by_session = [socket(cookie=cookie, organization=reference) for reference in (org.id, org.slug)]
        by_token = [socket(organization=reference) for reference in (org.id, org.slug)]
        for communicator in by_session + by_token:
            connected, _ = await communicator.connect(timeout=WAIT)
            assert connected  # accepted only so that the refusal's code reaches the client
        for communicator in by_token:
            await communicator.send_json_to({"token": key})
        # A's events published while B's sockets wait for their answer.
        await sync_to_async(realtime.publish)(org.id, _secret_event())
        for communicator in by_session + by_token:
            code, reason = await closed_with(communicator)
            assert code == CLOSE_FORBIDDEN
            assert SECRET not in reason
            assert await communicator.receive_nothing(timeout=0.2)

    async_to_sync(scenario)()


def test_the_same_member_without_naming_a_joins_b_and_still_hears_nothing_of_a(attacker, org, other_org):
    cookie = session_cookie(attacker)

    async def scenario():
        communicator = socket(cookie=cookie)
        assert await joined(communicator) == {"event": "connected", "organization": other_org.id}
        await sync_to_async(realtime.publish)(org.id, _secret_event())
        assert await communicator.receive_nothing(timeout=WAIT)
        # The socket is live: B's own event arrives.
        await sync_to_async(realtime.publish)(other_org.id, {"event": "thread.updated", "thread": 2})
        assert await communicator.receive_json_from(timeout=WAIT) == {"event": "thread.updated", "thread": 2}
        await communicator.disconnect()

    async_to_sync(scenario)()
