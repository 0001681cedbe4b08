"""Checking a Facebook or Instagram integration asks Graph which account its Page token is for."""

from inbox import services
from inbox.models import IntegrationStatus
from inbox.tests.factories import IntegrationConfigFactory
from inbox.tests.meta_helpers import INSTAGRAM_ID, PAGE_ID, PAGE_TOKEN, facebook_config, instagram_config


def test_a_working_page_token_connects_the_facebook_integration(fake_meta, org):
    config = services.integration_check(config=facebook_config(org, fake_meta))

    assert (config.status, config.last_error) == (IntegrationStatus.CONNECTED, "")
    assert config.last_checked_at is not None
    (call,) = fake_meta.requests
    assert (call.method, call.path, call.headers["Authorization"]) == ("GET", "/v25.0/me", f"Bearer {PAGE_TOKEN}")


def test_the_token_of_the_linked_page_connects_the_instagram_integration(fake_meta, org):
    config = services.integration_check(config=instagram_config(org, fake_meta))

    assert config.status == IntegrationStatus.CONNECTED


def test_a_revoked_token_is_an_error_with_meta_s_reason(fake_meta, org):
    config = IntegrationConfigFactory(
        organization=org, kind="facebook", address=PAGE_ID, credentials={"page_access_token": "EAArevoked"}
    )

    config = services.integration_check(config=config)

    assert config.status == IntegrationStatus.ERROR
    assert "Invalid OAuth access token" in config.last_error


def test_a_token_of_another_page_is_an_error(fake_meta, org):
    fake_meta.add_page("304857600000000", "EAAanotherPage")
    config = IntegrationConfigFactory(
        organization=org, kind="facebook", address=PAGE_ID, credentials={"page_access_token": "EAAanotherPage"}
    )

    config = services.integration_check(config=config)

    assert config.status == IntegrationStatus.ERROR
    assert config.last_error == f"The Page access token answers for Page 304857600000000, not {PAGE_ID}."


def test_a_page_without_the_instagram_account_is_an_error(fake_meta, org):
    fake_meta.add_page("304857600000000", "EAAnoInstagram")
    config = IntegrationConfigFactory(
        organization=org, kind="instagram", address=INSTAGRAM_ID, credentials={"page_access_token": "EAAnoInstagram"}
    )

    assert services.integration_check(config=config).status == IntegrationStatus.ERROR


def test_meta_down_is_an_error_too(fake_meta, org):
    config = facebook_config(org, fake_meta)
    fake_meta.fail_next(1, status=503)

    config = services.integration_check(config=config)

    assert config.status == IntegrationStatus.ERROR
    assert "code 2" in config.last_error


def test_no_token_at_all_is_an_error_without_calling_meta(fake_meta, org):
    config = IntegrationConfigFactory(organization=org, kind="facebook", address=PAGE_ID, credentials={})

    config = services.integration_check(config=config)

    assert (config.status, config.last_error) == (IntegrationStatus.ERROR, "The integration has no Page access token.")
    assert fake_meta.requests == []
