"""Checking a mailbox logs in on both sides, IMAP and SMTP, and says which one failed."""

import pytest

from inbox import services
from inbox.models import IntegrationStatus

pytestmark = pytest.mark.django_db


def test_working_credentials_make_the_mailbox_connected(mailbox):
    config = services.integration_check(config=mailbox.config)

    assert (config.status, config.last_error) == (IntegrationStatus.CONNECTED, "")
    assert config.last_checked_at is not None


def test_a_refused_imap_login_is_an_error_naming_imap(mailbox, dovecot):
    dovecot.add_user(mailbox.address, "a password only the IMAP server knows")

    config = services.integration_check(config=mailbox.config)

    assert config.status == IntegrationStatus.ERROR
    assert config.last_error.startswith(f"IMAP: the server refused the login of {mailbox.address}")


def test_a_refused_smtp_login_is_an_error_naming_smtp(mailbox, fake_smtp):
    fake_smtp.add_user(mailbox.address, "a password only the SMTP server knows")

    config = services.integration_check(config=mailbox.config)

    assert config.status == IntegrationStatus.ERROR
    assert config.last_error.startswith(f"SMTP: the server refused the login of {mailbox.address} (535")


def test_an_unreachable_smtp_server_is_an_error_naming_smtp(mailbox):
    mailbox.config.credentials = {**mailbox.config.credentials, "smtp_port": 1}

    config = services.integration_check(config=mailbox.config)

    assert config.status == IntegrationStatus.ERROR
    assert config.last_error.startswith("SMTP: could not connect to 127.0.0.1:1")
