"""Servers the inbox tests start: a private Dovecot (one per test session) and a fake SMTP server."""

import pytest

from inbox.tests.mailbox_helpers import Mailbox, mailbox_create


@pytest.fixture(scope="session")
def dovecot():
    from config.tests.fakes.dovecot import Dovecot

    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def fake_smtp():
    from config.tests.fakes.smtp import FakeSMTP

    server = FakeSMTP().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(org, dovecot, fake_smtp) -> Mailbox:
    """Alpha Plumbing's own mailbox, on the private Dovecot and the fake SMTP server."""
    return mailbox_create(org, dovecot, fake_smtp)
