"""Finishing onboarding gives the business its inbound email address, once."""

import pytest

from accounts.models import ActivityEntry, IndustryProfile
from accounts.tests.factories import OrganizationIndustryFactory
from inbox import services
from inbox.models import IntegrationConfig, IntegrationKind, IntegrationStatus

pytestmark = pytest.mark.django_db


def test_completing_onboarding_makes_the_inbound_address(owner_client, org, owner, settings):
    settings.INBOX_EMAIL_DOMAIN = "inbound.example.com"
    OrganizationIndustryFactory(organization=org, profile=IndustryProfile.objects.get(key="plumber"))

    assert owner_client.post("/api/v1/onboarding/complete/").status_code == 200

    config = IntegrationConfig.objects.get(organization=org, kind=IntegrationKind.EMAIL)
    assert (config.address, config.name, config.status) == (
        "alpha-plumbing@inbound.example.com",
        "Inbound email",
        IntegrationStatus.PENDING,
    )
    assert ActivityEntry.objects.filter(organization=org, verb="integration.created", actor=owner).count() == 1


def test_a_business_that_has_one_keeps_it(org, owner):
    first = services.inbound_email_ensure(organization=org, actor=owner)

    assert services.inbound_email_ensure(organization=org, actor=owner) == first
    assert IntegrationConfig.objects.filter(organization=org, kind=IntegrationKind.EMAIL).count() == 1
