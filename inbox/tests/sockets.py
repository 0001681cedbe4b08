"""Websocket clients of the live inbox for the tests: in process, on the project's ASGI application.

The consumer works in the database from its own threads, and Channels closes
stale connections around that work: tests that connect use the transactional
database (``pytest.mark.django_db(transaction=True)``).
"""

from typing import Any

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts.models import User
from config.asgi import application

PATH = "/ws/inbox/"
# Browsers always send an Origin; the socket accepts only the site's own hosts.
ORIGIN = (b"origin", b"http://testserver")
# Long enough for a loaded machine, short enough to keep "nothing arrived" tests quick.
WAIT = 3


def session_cookie(user: User) -> str:
    """A real signed-in session of ``user``, as the login pages would leave in the browser."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def socket(
    *, cookie: str = "", organization: str | int = "", origin: bytes | None = ORIGIN[1]
) -> WebsocketCommunicator:
    headers = [(b"origin", origin)] if origin is not None else []
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    query = f"?organization={organization}" if organization != "" else ""
    return WebsocketCommunicator(application, PATH + query, headers=headers)


async def joined(communicator: WebsocketCommunicator, *, token: str = "") -> dict[str, Any]:
    """Connect (sending ``token`` first when given) and return the server's first message."""
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    if token:
        await communicator.send_json_to({"token": token})
    return await communicator.receive_json_from(timeout=WAIT)


async def closed_with(communicator: WebsocketCommunicator) -> tuple[int, str]:
    """The close code and reason the server ended the socket with."""
    output = await communicator.receive_output(timeout=WAIT)
    assert output["type"] == "websocket.close", output
    return output.get("code"), output.get("reason", "")
