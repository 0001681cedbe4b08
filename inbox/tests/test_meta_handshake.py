"""Meta subscribes a webhook URL with a GET carrying our verify token and a challenge to echo."""

import pytest
from django.test import Client

from config.tests.fakes.meta import VERIFY_TOKEN
from inbox.models import IntegrationConfig, IntegrationStatus, Message
from inbox.tests.meta_helpers import facebook_config


def subscribe(kind: str, token: str, *, mode: str = "subscribe"):
    query = {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": "1158201444"}
    return Client().get(f"/webhooks/inbox/{kind}/", query)


@pytest.mark.parametrize("kind", ["facebook", "instagram"])
def test_the_right_verify_token_gets_the_challenge_back_as_plain_text(fake_meta, kind):
    response = subscribe(kind, VERIFY_TOKEN)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"


@pytest.mark.parametrize("token", ["not-our-token", "", VERIFY_TOKEN + "x"])
def test_a_wrong_verify_token_is_refused_and_changes_nothing(fake_meta, org, token):
    config = facebook_config(org, fake_meta)

    response = subscribe("facebook", token)

    assert response.status_code == 403
    assert b"1158201444" not in response.content
    assert IntegrationConfig.objects.get(pk=config.pk).status == IntegrationStatus.PENDING
    assert not Message.objects.exists()
    assert fake_meta.requests == []


def test_a_request_that_is_not_a_subscription_is_refused(fake_meta):
    assert subscribe("facebook", VERIFY_TOKEN, mode="unsubscribe").status_code == 403


def test_without_a_verify_token_configured_nothing_can_subscribe(fake_meta, settings):
    settings.META_VERIFY_TOKEN = ""

    assert subscribe("facebook", "").status_code == 403
