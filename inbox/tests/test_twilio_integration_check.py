"""Checking a Twilio integration asks Twilio, through its client, whether the credentials and number work."""

from config.tests.fakes.twilio import ACCOUNT_SID
from inbox import services, tasks
from inbox.models import IntegrationKind, IntegrationStatus
from inbox.tests.twilio_helpers import SMS_NUMBER, WHATSAPP_NUMBER, twilio_integration


def test_good_credentials_and_a_number_of_the_account_connect(org, fake_twilio):
    fake_twilio.add_number(SMS_NUMBER)
    config = twilio_integration(org)

    services.integration_check(config=config)

    config.refresh_from_db()
    assert (config.status, config.last_error) == (IntegrationStatus.CONNECTED, "")
    assert config.last_checked_at is not None
    paths = [request.path for request in fake_twilio.requests]
    assert paths == [
        f"/2010-04-01/Accounts/{ACCOUNT_SID}.json",
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json",
    ]


def test_the_platform_account_is_used_when_the_integration_has_none(org, fake_twilio):
    fake_twilio.add_number(SMS_NUMBER)
    config = twilio_integration(org, credentials={})

    assert services.integration_check(config=config).status == IntegrationStatus.CONNECTED


def test_a_number_the_account_does_not_hold_is_an_error(org, fake_twilio):
    config = twilio_integration(org)

    services.integration_check(config=config)

    config.refresh_from_db()
    assert config.status == IntegrationStatus.ERROR
    assert config.last_error == f"{SMS_NUMBER} is not one of this Twilio account's phone numbers."


def test_a_whatsapp_sender_connects_when_the_account_answers(org, fake_twilio):
    config = twilio_integration(org, kind=IntegrationKind.TWILIO_WHATSAPP, address=WHATSAPP_NUMBER)

    assert services.integration_check(config=config).status == IntegrationStatus.CONNECTED


def test_a_wrong_token_is_an_error_that_keeps_twilios_answer(org, fake_twilio):
    config = twilio_integration(org, credentials={"account_sid": ACCOUNT_SID, "auth_token": "wrong"})

    services.integration_check(config=config)

    config.refresh_from_db()
    assert config.status == IntegrationStatus.ERROR
    assert config.last_error == "Twilio answered 401: Unable to fetch record: Authenticate"


def test_the_recheck_flips_an_integration_whose_credentials_stopped_working(org, other_org, fake_twilio):
    other_account = "AC" + "2" * 32
    fake_twilio.add_account(other_account, "bravo-token")
    fake_twilio.add_number(SMS_NUMBER)
    fake_twilio.add_number("+14155550111", account_sid=other_account)
    failing = twilio_integration(org)
    working = twilio_integration(
        other_org, address="+14155550111", credentials={"account_sid": other_account, "auth_token": "bravo-token"}
    )
    for config in (failing, working):
        assert services.integration_check(config=config).status == IntegrationStatus.CONNECTED
    fake_twilio.rotate_token(ACCOUNT_SID)  # the business rotated its token at Twilio

    assert tasks.integrations_recheck.apply().get() == 1

    failing.refresh_from_db()
    working.refresh_from_db()
    assert (failing.status, failing.last_error) == (
        IntegrationStatus.ERROR,
        "Twilio answered 401: Unable to fetch record: Authenticate",
    )
    assert working.status == IntegrationStatus.CONNECTED
