"""End to end, as in production: daphne serves the webhook and the websockets, Redis carries the event.

A real daphne process on this test's database and Redis; Alpha's owner listens by
session cookie, Bravo's by API token. Twilio posts a signed SMS to Alpha's number:
Alpha's socket shows it within seconds, Bravo's hears nothing.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from twilio.request_validator import RequestValidator
from websockets.sync.client import ClientConnection, connect

from accounts import services
from config.tests.fakes.twilio import AUTH_TOKEN
from config.tests.processes import database_url, free_port, stop_process
from inbox.models import Message
from inbox.tests.sockets import PATH, session_cookie
from inbox.tests.twilio_helpers import SMS_URL, inbound_sms, message_sid, twilio_integration

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a server process shares the test database"),
]

# From the webhook's commit to the client's screen, on a loaded two-core machine.
DELIVERY_SECONDS = 5
QUIET_SECONDS = 2


@pytest.fixture
def daphne(transactional_db, tmp_path: Path) -> Iterator[str]:
    """The product's ASGI application under daphne, as production serves websockets; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Twilio signs the public URL it called: the server must know itself by this address.
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "1", "SITE_URL": base}
    log_path = tmp_path / "daphne.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_until_serving(server, base, log_path)
            yield base
        finally:
            stop_process(server, timeout=20)


def _wait_until_serving(server: subprocess.Popen, base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"daphne exited:\n{log_path.read_text()}")
        try:
            urllib.request.urlopen(f"{base}/admin/login/", timeout=5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"daphne did not start:\n{log_path.read_text()}") from None
            time.sleep(0.3)


@contextmanager
def _listening(base: str, *, cookie: str = "", token: str = "") -> Iterator[ClientConnection]:
    """A client of the live inbox, signed in by session cookie or by sending its API token first."""
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"} if cookie else {}
    url = base.replace("http://", "ws://") + PATH
    # The Origin a browser on our own site sends; no proxy, whatever the environment says.
    with connect(url, origin=base, additional_headers=headers, proxy=None, open_timeout=10) as client:
        if token:
            client.send(json.dumps({"token": token}))
        yield client


def _signed_post(base: str, path: str, params: dict[str, str]) -> requests.Response:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(base + path, params)
    return requests.post(base + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=20)


def test_an_sms_to_alpha_reaches_alphas_socket_and_never_bravos(daphne, owner, outsider, org, other_org):
    twilio_integration(org)
    cookie = session_cookie(owner)
    bravo_key = services.api_token_create(organization=other_org, user=outsider, name="Bravo's screen")[1]
    sid = message_sid()

    with _listening(daphne, cookie=cookie) as alice, _listening(daphne, token=bravo_key) as charlie:
        assert json.loads(alice.recv(timeout=DELIVERY_SECONDS)) == {"event": "connected", "organization": org.id}
        assert json.loads(charlie.recv(timeout=DELIVERY_SECONDS)) == {
            "event": "connected",
            "organization": other_org.id,
        }

        params = inbound_sms(sid=sid, sender="+13125550147", body="Is Tuesday at 9 still good?")
        answer = _signed_post(daphne, SMS_URL, params)
        assert answer.status_code == 200, answer.text

        event = json.loads(alice.recv(timeout=DELIVERY_SECONDS))
        assert event["event"] == "message.created"
        assert event["message"]["body"] == "Is Tuesday at 9 still good?"
        assert event["message"]["channel"] == "sms"
        with pytest.raises(TimeoutError):
            charlie.recv(timeout=QUIET_SECONDS)

    message = Message.objects.get(provider_message_id=sid)
    assert (message.organization_id, event["message"]["id"]) == (org.id, message.pk)
