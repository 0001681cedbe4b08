"""The sign-in email: what it says, and how a failing email service is handled."""

import re
from urllib.parse import urlsplit

import pytest
from anymail.exceptions import AnymailRecipientsRefused
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import override_settings

from accounts import services, tasks

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]+/login/magic/\?sesame=[\w-]+")


class FlakyBackend(LocmemBackend):
    """Refuses the first ``failures`` sends the way a mail server that is down does."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)


class RejectingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise AnymailRecipientsRefused("the address does not exist")


def test_the_email_carries_an_absolute_link_its_lifetime_and_what_to_do_if_it_expired(owner, settings):
    settings.SITE_URL = "https://app.bizbox.example"
    settings.SESAME_MAX_AGE = 15 * 60
    assert services.magic_link_email_send(email="alice@alpha.example") is True
    [message] = mail.outbox
    html = message.alternatives[0][0]
    for body in (message.body, html):
        link = LINK.search(body).group(0)
        assert link.startswith("https://app.bizbox.example/login/magic/?sesame=")
        assert "15 minutes" in body
        assert "https://app.bizbox.example/login/" in body
    assert "expired" in message.body
    assert message.to == ["alice@alpha.example"]


def test_the_link_signs_in_the_user_it_was_sent_to(owner, client):
    services.magic_link_email_send(email="alice@alpha.example")
    token = urlsplit(LINK.search(mail.outbox[0].body).group(0)).query.removeprefix("sesame=")
    assert services.magic_link_redeem(token=token) == owner


def test_an_unknown_address_sends_nothing(owner):
    assert services.magic_link_email_send(email="nobody@alpha.example") is False
    assert mail.outbox == []


@override_settings(EMAIL_BACKEND="accounts.tests.test_magic_link_email.FlakyBackend")
def test_a_mail_server_that_is_down_is_a_transient_failure(owner):
    FlakyBackend.failures = 1
    with pytest.raises(services.TransientEmailError):
        services.magic_link_email_send(email="alice@alpha.example")


@override_settings(EMAIL_BACKEND="accounts.tests.test_magic_link_email.FlakyBackend")
def test_the_task_retries_a_transient_failure_and_then_sends(owner):
    FlakyBackend.failures = 1
    # throw=False lets Celery's eager mode run the retry instead of raising it.
    result = tasks.magic_link_email_send.apply(kwargs={"email": "alice@alpha.example"}, throw=False)
    assert result.get() is True
    assert len(mail.outbox) == 1


@override_settings(EMAIL_BACKEND="accounts.tests.test_magic_link_email.RejectingBackend")
def test_a_rejected_address_is_given_up_without_retrying(owner):
    assert services.magic_link_email_send(email="alice@alpha.example") is False
    assert mail.outbox == []
