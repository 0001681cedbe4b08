"""A member's open socket hears their organization's new messages, and nothing of any other organization.

The channel layer is the real one on Redis (REDIS_URL), and the events come from
the inbox's own services, published after their writes commit.
"""

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from accounts.tenancy import organization_scope
from inbox import services
from inbox.models import IntegrationConfig
from inbox.providers.base import InboundMessage
from inbox.tests.factories import IntegrationConfigFactory
from inbox.tests.sockets import WAIT, joined, session_cookie, socket

pytestmark = pytest.mark.django_db(transaction=True)


def _text_arrives(config: IntegrationConfig, body: str, message_id: str) -> int:
    """A customer's SMS to ``config``'s number, as its webhook records it; the message's id."""
    with organization_scope(config.organization_id):
        message = services.inbound_record(
            config=config,
            inbound=InboundMessage(
                provider_message_id=message_id, from_address="+13125550147", to_address=config.address, body=body
            ),
        )
    return message.pk


def test_each_member_hears_only_their_own_organizations_messages(owner, outsider, org, other_org):
    ours, theirs = IntegrationConfigFactory(organization=org), IntegrationConfigFactory(organization=other_org)
    our_cookie, their_cookie = session_cookie(owner), session_cookie(outsider)

    async def scenario():
        alice, charlie = socket(cookie=our_cookie), socket(cookie=their_cookie)
        assert (await joined(alice))["organization"] == org.id
        assert (await joined(charlie))["organization"] == other_org.id

        message_id = await sync_to_async(_text_arrives)(ours, "Is Tuesday at 9 still good?", "SM-alpha-1")
        event = await alice.receive_json_from(timeout=WAIT)
        assert event["event"] == "message.created"
        assert event["message"]["id"] == message_id
        assert event["message"]["body"] == "Is Tuesday at 9 still good?"
        assert event["message"]["direction"] == "inbound"
        # Whatever else the write publishes (the thread's change) is Alpha's too.
        while not await alice.receive_nothing(timeout=0.5):
            assert (await alice.receive_json_from())["thread"] == event["thread"]
        assert await charlie.receive_nothing(timeout=WAIT)

        await sync_to_async(_text_arrives)(theirs, "Can I move my colour to Friday?", "SM-bravo-1")
        event = await charlie.receive_json_from(timeout=WAIT)
        assert event["message"]["body"] == "Can I move my colour to Friday?"
        assert await alice.receive_nothing(timeout=WAIT)

        await alice.disconnect()
        await charlie.disconnect()

    async_to_sync(scenario)()


def test_what_the_client_sends_after_joining_is_ignored_and_the_socket_keeps_listening(owner, org):
    config = IntegrationConfigFactory(organization=org)
    cookie = session_cookie(owner)

    async def scenario():
        alice = socket(cookie=cookie)
        await joined(alice)
        await alice.send_to(text_data="not even JSON")
        await alice.send_json_to({"token": "bb_someone-elses"})
        assert await alice.receive_nothing(timeout=0.5)

        await sync_to_async(_text_arrives)(config, "Running ten minutes late", "SM-alpha-2")
        assert (await alice.receive_json_from(timeout=WAIT))["message"]["body"] == "Running ten minutes late"
        await alice.disconnect()

    async_to_sync(scenario)()
