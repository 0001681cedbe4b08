"""Checking an email integration: the platform's email service is set up and the address is ours."""

import pytest

from inbox import services
from inbox.models import IntegrationStatus
from inbox.tests.email_support import email_integration

pytestmark = pytest.mark.django_db


def test_with_the_email_service_configured_the_inbound_address_is_connected(org, fake_email):
    config = services.integration_check(config=email_integration(org))

    assert (config.status, config.last_error) == (IntegrationStatus.CONNECTED, "")
    assert config.last_checked_at is not None


def test_without_an_email_service_the_integration_shows_the_error(org, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

    config = services.integration_check(config=email_integration(org))

    assert config.status == IntegrationStatus.ERROR
    assert "not configured" in config.last_error


def test_without_its_token_the_email_service_is_not_configured(org, settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {}

    config = services.integration_check(config=email_integration(org))

    assert config.status == IntegrationStatus.ERROR
    assert "POSTMARK_SERVER_TOKEN" in config.last_error


def test_an_address_off_the_inbound_domain_is_an_error(org, fake_email):
    config = email_integration(org)
    config.address = "owner@gmail.example"
    config.save()

    config = services.integration_check(config=config)

    assert config.status == IntegrationStatus.ERROR
    assert "not on the inbound domain" in config.last_error
