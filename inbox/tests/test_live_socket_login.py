"""Who may open the live inbox, and in which organization: a session or an API token, refused with 4xxx otherwise."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings

from accounts import services
from accounts.models import ApiToken, Membership
from accounts.tests.factories import MembershipFactory
from config.asgi import application
from inbox.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_AUTHENTICATED, CLOSE_ORGANIZATION_REQUIRED
from inbox.tests.sockets import closed_with, joined, session_cookie, socket

pytestmark = pytest.mark.django_db(transaction=True)


def _token(organization, user) -> str:
    return _token_and_key(organization, user)[1]


def _token_and_key(organization, user) -> tuple[ApiToken, str]:
    return services.api_token_create(organization=organization, user=user, name="Live inbox")


def test_a_signed_in_member_joins_their_only_organization(owner, org):
    cookie = session_cookie(owner)

    async def scenario():
        communicator = socket(cookie=cookie)
        assert await joined(communicator) == {"event": "connected", "organization": org.id}
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_member_of_several_organizations_names_one_by_id_or_slug(owner, org, other_org):
    MembershipFactory(organization=other_org, user=owner)
    cookie = session_cookie(owner)

    async def scenario():
        unnamed = socket(cookie=cookie)
        await unnamed.connect()
        code, reason = await closed_with(unnamed)
        assert code == CLOSE_ORGANIZATION_REQUIRED
        assert reason == "You belong to several organizations: name one with ?organization=<id or slug>."

        for reference, expected in [(other_org.slug, other_org.id), (str(org.id), org.id)]:
            named = socket(cookie=cookie, organization=reference)
            assert await joined(named) == {"event": "connected", "organization": expected}
            await named.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("reference", ["%00", "x" * 101, "%E2%80%8F"])
def test_an_organization_that_is_no_id_or_slug_is_refused(owner, reference):
    cookie = session_cookie(owner)

    async def scenario():
        communicator = socket(cookie=cookie, organization=reference)
        await communicator.connect()
        assert await closed_with(communicator) == (
            CLOSE_ORGANIZATION_REQUIRED,
            "?organization must be an organization's id or slug.",
        )

    async_to_sync(scenario)()


def test_a_socket_that_neither_signs_in_nor_sends_a_token_is_refused(settings):
    settings.INBOX_SOCKET_LOGIN_SECONDS = 0.2

    async def scenario():
        silent = socket()
        await silent.connect()
        assert await closed_with(silent) == (
            CLOSE_NOT_AUTHENTICATED,
            "No API token arrived in time; sign in or send one.",
        )

        for first_message in ["hello", '{"token": 42}', "[]"]:
            talker = socket()
            await talker.connect()
            await talker.send_to(text_data=first_message)
            assert await closed_with(talker) == (
                CLOSE_NOT_AUTHENTICATED,
                'Send {"token": "<API token>"} first, or sign in.',
            )

    async_to_sync(scenario)()


def test_an_unknown_or_revoked_token_is_refused(owner, org):
    token, revoked_key = _token_and_key(org, owner)
    services.api_token_revoke(token=token, actor=owner)

    async def scenario():
        for key in [revoked_key, "bb_not-a-token"]:
            communicator = socket()
            await communicator.connect()
            await communicator.send_json_to({"token": key})
            assert await closed_with(communicator) == (
                CLOSE_NOT_AUTHENTICATED,
                "This API token is not valid or has been revoked.",
            )

    async_to_sync(scenario)()


def test_a_token_joins_its_own_organization_only(owner, org, other_org):
    # The owner belongs to both: still, the token speaks for the organization it was made in.
    MembershipFactory(organization=other_org, user=owner)
    token = _token(org, owner)

    async def scenario():
        own = socket()
        assert await joined(own, token=token) == {"event": "connected", "organization": org.id}
        await own.disconnect()
        named = socket(organization=org.slug)
        assert await joined(named, token=token) == {"event": "connected", "organization": org.id}
        await named.disconnect()

        for reference in [other_org.id, other_org.slug]:
            elsewhere = socket(organization=reference)
            await elsewhere.connect()
            await elsewhere.send_json_to({"token": token})
            assert await closed_with(elsewhere) == (
                CLOSE_FORBIDDEN,
                "This API token belongs to another organization than ?organization names.",
            )

    async_to_sync(scenario)()


def test_a_token_whose_owner_left_the_organization_is_refused(owner, org):
    token = _token(org, owner)
    Membership.objects.filter(user=owner, organization=org).delete()

    async def scenario():
        communicator = socket()
        await communicator.connect()
        await communicator.send_json_to({"token": token})
        assert await closed_with(communicator) == (
            CLOSE_FORBIDDEN,
            "The owner of this API token is no longer a member of its organization.",
        )

    async_to_sync(scenario)()


def test_a_page_of_another_site_cannot_open_the_socket_with_a_visitors_session(owner):
    cookie = session_cookie(owner)

    async def scenario():
        for origin in [b"https://evil.example", None]:
            communicator = socket(cookie=cookie, origin=origin)
            connected, _ = await communicator.connect()
            assert not connected

    async_to_sync(scenario)()


def test_a_socket_to_any_other_path_is_refused_at_the_handshake(owner):
    cookie = session_cookie(owner)

    async def scenario():
        communicator = WebsocketCommunicator(
            application,
            "/ws/elsewhere/",
            headers=[
                (b"origin", b"http://testserver"),
                (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
            ],
        )
        connected, _ = await communicator.connect()
        assert not connected

    async_to_sync(scenario)()
