"""A mailbox whose password stopped working shows as an error with the server's answer, and
is not polled again until someone fixes it and checks it."""

import pytest

from inbox import tasks
from inbox.models import IntegrationStatus, Message
from inbox.tests.mailbox_helpers import email_bytes

pytestmark = pytest.mark.django_db


def test_a_refused_login_turns_the_integration_to_error(org, mailbox, django_capture_on_commit_callbacks):
    mailbox.deliver(email_bytes(to=mailbox.address))
    mailbox.config.status = IntegrationStatus.CONNECTED
    mailbox.config.credentials = {**mailbox.config.credentials, "password": "changed last week"}
    mailbox.config.save()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.mailboxes_poll.delay().get() == 1

    mailbox.config.refresh_from_db()
    assert mailbox.config.status == IntegrationStatus.ERROR
    assert mailbox.config.last_error.startswith(f"IMAP: the server refused the login of {mailbox.address}")
    assert "AUTHENTICATIONFAILED" in mailbox.config.last_error
    assert mailbox.config.last_checked_at is not None
    assert mailbox.config.sync_state == {}
    assert not Message.objects.filter(integration=mailbox.config).exists()
    # The next minute's poll leaves it alone: repeated failed logins may lock the account.
    assert tasks.mailboxes_poll.delay().get() == 0


def test_an_unreachable_server_is_tried_again_next_time_without_an_error(org, mailbox):
    mailbox.config.status = IntegrationStatus.CONNECTED
    mailbox.config.credentials = {**mailbox.config.credentials, "imap_port": 1}
    mailbox.config.save()

    assert tasks.mailbox_poll.delay(organization_id=org.pk, integration_id=mailbox.config.pk).get() == 0

    mailbox.config.refresh_from_db()
    assert (mailbox.config.status, mailbox.config.last_error) == (IntegrationStatus.CONNECTED, "")
