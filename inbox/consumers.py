"""The live inbox: a websocket at ``/ws/inbox/`` that carries one organization's events.

Who may listen:
- a signed-in browser, by its session cookie; the organization is ``?organization=<id or slug>``
  among the user's memberships, or the only one they have;
- any other client, by an API token sent as the first message, ``{"token": "<key>"}``, within
  ``LOGIN_SECONDS`` of connecting. The token rides in a message rather than in the URL so that
  it never lands in a proxy's access log. A token is bound to one organization: an
  ``?organization=`` naming another is refused.

A socket that may not listen is closed with a 4xxx code (the HTTP status it would have had,
plus 4000) and a short reason. Once joined, the socket only speaks: messages from the client
are ignored.

The membership is checked on connect only: a member removed while connected keeps hearing
the organization's events until the socket closes (at the latest on the next reconnect,
which every client does after a deploy or a network change). The events carry what the
member could read a moment before, and nothing of another organization: the socket joins
only its own organization's group (``inbox.realtime.organization_group``).
"""

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts import selectors, services
from accounts.models import Membership, User
from accounts.tenancy import no_scope
from inbox.realtime import organization_group

# Close codes: 4000 + the HTTP status the same refusal has in the API.
CLOSE_ORGANIZATION_REQUIRED = 4400
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# How long a socket without a session may stay open before it sends its token.
LOGIN_SECONDS = 10.0
ORGANIZATION_PARAMETER = "organization"


class Refused(Exception):
    """The socket may not listen: ``code`` closes it, ``reason`` says why (at most 123 bytes)."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _reference(query_string: bytes) -> str:
    """The organization the client names, or ""; a reference that is no id or slug is refused."""
    values = parse_qs(query_string.decode("latin-1")).get(ORGANIZATION_PARAMETER, [""])
    reference = values[0].strip()
    # PostgreSQL refuses NUL in text; no id or slug holds a control character anyway.
    if not reference.isprintable() or len(reference) > 100:
        raise Refused(CLOSE_ORGANIZATION_REQUIRED, "?organization must be an organization's id or slug.")
    return reference


def _membership_of_user(user: User, reference: str) -> Membership:
    """As ``accounts.api.base.resolve_membership`` does for a session."""
    if reference:
        membership = selectors.membership_for_reference(user, reference)
        if membership is None:
            raise Refused(CLOSE_FORBIDDEN, "You are not a member of that organization.")
        return membership
    memberships = selectors.memberships_of_user(user)
    if len(memberships) == 1:
        return memberships[0]
    if not memberships:
        raise Refused(CLOSE_FORBIDDEN, "You are not a member of any organization.")
    raise Refused(
        CLOSE_ORGANIZATION_REQUIRED, "You belong to several organizations: name one with ?organization=<id or slug>."
    )


def _membership_of_token(key: str, reference: str) -> Membership:
    """As ``accounts.api.base.resolve_membership`` does for an API token."""
    token = selectors.api_token_by_key(key)
    if token is None or not token.user.is_active:
        raise Refused(CLOSE_NOT_AUTHENTICATED, "This API token is not valid or has been revoked.")
    if reference and reference not in (str(token.organization_id), token.organization.slug):
        raise Refused(CLOSE_FORBIDDEN, "This API token belongs to another organization than ?organization names.")
    if token.membership is None:
        raise Refused(CLOSE_FORBIDDEN, "The owner of this API token is no longer a member of its organization.")
    services.api_token_touch(token=token)
    return token.membership


@database_sync_to_async
def _membership(*, user: User | None, token_key: str | None, reference: str) -> Membership:
    # Like a request, the lookups start from no organization; the selectors lift to the system
    # scope for what must be found before an organization is known.
    with no_scope():
        if token_key is not None:
            return _membership_of_token(token_key, reference)
        return _membership_of_user(user, reference)


def _token_in(content: Any) -> str | None:
    token = content.get("token") if isinstance(content, dict) else None
    return token if isinstance(token, str) and token else None


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """One client listening to one organization's inbox."""

    organization_id: int | None = None  # set once the socket has joined its organization's group
    finished = False  # refused, or the client left
    login_timer: asyncio.Task | None = None

    async def connect(self) -> None:
        # Accepted first so that a refusal reaches the client as a close code it can read;
        # a handshake refused outright shows a browser nothing but "1006".
        await self.accept()
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            await self._join(user=user, token_key=None)
        else:
            self.login_timer = asyncio.ensure_future(self._refuse_after(self._login_seconds()))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        if self.organization_id is not None or self.finished:
            return  # the socket speaks one way once joined
        try:
            content = json.loads(text_data or "")
        except ValueError:
            content = None
        token_key = _token_in(content)
        if token_key is None:
            await self._refuse(Refused(CLOSE_NOT_AUTHENTICATED, 'Send {"token": "<API token>"} first, or sign in.'))
            return
        await self._join(user=None, token_key=token_key)

    async def inbox_event(self, message: dict[str, Any]) -> None:
        """An event published by ``inbox.realtime.publish`` to this organization's group."""
        await self.send_json(message["event"])

    async def disconnect(self, code: int) -> None:
        self.finished = True
        self._stop_login_timer()
        if self.organization_id is not None:
            await self.channel_layer.group_discard(organization_group(self.organization_id), self.channel_name)

    async def _join(self, *, user: User | None, token_key: str | None) -> None:
        try:
            reference = _reference(self.scope.get("query_string", b""))
            membership = await _membership(user=user, token_key=token_key, reference=reference)
        except Refused as refusal:
            await self._refuse(refusal)
            return
        if self.finished:
            return  # the client left, or the login time ran out, while we looked
        self._stop_login_timer()
        self.organization_id = membership.organization_id
        await self.channel_layer.group_add(organization_group(self.organization_id), self.channel_name)
        await self.send_json({"event": "connected", "organization": self.organization_id})

    async def _refuse(self, refusal: Refused) -> None:
        if self.finished:
            return
        self.finished = True
        self._stop_login_timer()
        await self.close(code=refusal.code, reason=refusal.reason)

    async def _refuse_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if self.organization_id is None:
            await self._refuse(Refused(CLOSE_NOT_AUTHENTICATED, "No API token arrived in time; sign in or send one."))

    def _stop_login_timer(self) -> None:
        if self.login_timer is not None and self.login_timer is not asyncio.current_task():
            self.login_timer.cancel()
        self.login_timer = None

    @staticmethod
    def _login_seconds() -> float:
        # A setting so that tests (and a slow mobile network) can change it.
        return float(getattr(settings, "INBOX_SOCKET_LOGIN_SECONDS", LOGIN_SECONDS))
