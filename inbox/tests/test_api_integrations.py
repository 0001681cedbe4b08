"""Integrations through the API: per-kind validation, one address per kind anywhere,
credentials written but never read back, checks recorded, and only settings managers write."""

import json

import pytest

from accounts.models import ActivityEntry
from config.tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN
from inbox.models import IntegrationConfig, IntegrationKind, IntegrationStatus
from inbox.tests.factories import IntegrationConfigFactory
from inbox.tests.twilio_helpers import SMS_NUMBER, twilio_integration

pytestmark = pytest.mark.django_db

URL = "/api/v1/inbox/integrations/"
SECRET_TOKEN = "tok-super-secret-value"


def _create(client, **body):
    return client.post(URL, body, format="json")


def test_an_sms_number_is_stored_in_e164_with_its_credentials_hidden(owner_client, org):
    response = _create(
        owner_client,
        kind="twilio_sms",
        name="Main line",
        address="+1 (312) 555-0147",
        credentials={"account_sid": "AC" + "1" * 32, "auth_token": SECRET_TOKEN},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in ("kind", "channel", "name", "address", "status", "has_credentials")} == {
        "kind": "twilio_sms",
        "channel": "sms",
        "name": "Main line",
        "address": "+13125550147",
        "status": "pending",
        "has_credentials": True,
    }
    assert "credentials" not in body
    config = IntegrationConfig.objects.get(pk=body["id"])
    assert config.organization == org
    assert config.credentials == {"account_sid": "AC" + "1" * 32, "auth_token": SECRET_TOKEN}
    assert SECRET_TOKEN not in config.credentials_encrypted
    assert ActivityEntry.objects.filter(organization=org, verb="integration.created").count() == 1


def test_no_answer_ever_carries_the_credentials(owner_client, org):
    config = IntegrationConfigFactory(organization=org, credentials={"account_sid": "AC1", "auth_token": SECRET_TOKEN})
    answers = [
        owner_client.get(URL),
        owner_client.get(f"{URL}{config.pk}/"),
        owner_client.patch(f"{URL}{config.pk}/", {"name": "Renamed"}, format="json"),
        owner_client.patch(
            f"{URL}{config.pk}/", {"credentials": {"account_sid": "AC2", "auth_token": SECRET_TOKEN}}, format="json"
        ),
        owner_client.post(f"{URL}{config.pk}/test/"),
        _create(owner_client, kind="facebook", address="1234567890", credentials={"page_access_token": SECRET_TOKEN}),
    ]
    for response in answers:
        assert response.status_code < 300, response.content
        assert SECRET_TOKEN not in response.content.decode()
        assert "auth_token" not in response.content.decode()
        assert "page_access_token" not in response.content.decode()


def test_the_platform_email_address_defaults_to_the_organization_slug(owner_client, org, settings):
    settings.INBOX_EMAIL_DOMAIN = "in.bizbox.example"

    response = _create(owner_client, kind="email", name="Inbound email")

    assert response.status_code == 201, response.content
    assert response.json()["address"] == "alpha-plumbing@in.bizbox.example"
    assert response.json()["has_credentials"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "twilio_sms", "address": "555-CALL-NOW"}, "address"),
        ({"kind": "twilio_whatsapp", "address": "+1 312 000"}, "address"),
        ({"kind": "mailbox", "address": "not an email"}, "address"),
        ({"kind": "instagram", "address": "@brightside", "credentials": {"page_access_token": "x"}}, "address"),
        ({"kind": "carrier_pigeon", "address": "+13125550147"}, "kind"),
        ({"kind": "facebook", "address": "123456", "credentials": {}}, "credentials"),
        ({"kind": "twilio_sms", "address": "+13125550147", "credentials": {"account_sid": "AC1"}}, "credentials"),
        ({"kind": "twilio_sms", "address": "+13125550147", "credentials": {"password": "x"}}, "credentials"),
        ({"kind": "mailbox", "address": "a@b.example", "credentials": {"imap_host": "imap.b.example"}}, "credentials"),
        ({"kind": "facebook", "address": "123456", "credentials": {"page_access_token": {"nested": 1}}}, "credentials"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(owner_client, body, field):
    response = _create(owner_client, **body)

    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == [field]
    assert not IntegrationConfig.objects.exists()


def test_an_address_used_by_another_business_is_refused(owner_client, other_org):
    IntegrationConfigFactory(organization=other_org, kind=IntegrationKind.TWILIO_SMS, address="+13125550147")

    response = _create(owner_client, kind="twilio_sms", address="+1 312 555 0147")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["address"]
    assert IntegrationConfig.objects.count() == 1


def test_the_same_number_may_serve_another_kind(owner_client, other_org):
    IntegrationConfigFactory(organization=other_org, kind=IntegrationKind.TWILIO_SMS, address="+13125550147")

    response = _create(owner_client, kind="twilio_whatsapp", address="+13125550147")

    assert response.status_code == 201, response.content


def test_changing_the_address_or_credentials_asks_for_a_new_check(owner_client, org):
    config = IntegrationConfigFactory(organization=org, status=IntegrationStatus.CONNECTED)

    response = owner_client.patch(f"{URL}{config.pk}/", {"address": "+13125550199"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending"
    assert response.json()["address"] == "+13125550199"


def test_the_kind_cannot_change(owner_client, org):
    config = IntegrationConfigFactory(organization=org)

    response = owner_client.patch(f"{URL}{config.pk}/", {"kind": "email"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["kind"]


def test_deleting_keeps_the_messages_and_records_it(owner_client, org):
    config = IntegrationConfigFactory(organization=org)

    assert owner_client.delete(f"{URL}{config.pk}/").status_code == 204
    assert not IntegrationConfig.objects.filter(pk=config.pk).exists()
    assert ActivityEntry.objects.filter(organization=org, verb="integration.deleted").exists()


@pytest.mark.parametrize(
    ("token", "status"), [(AUTH_TOKEN, "connected"), ("a-stale-token", "error")], ids=["good", "stale"]
)
def test_the_check_records_connected_or_the_error(owner_client, org, fake_twilio, token, status):
    # The real Twilio provider asks the fake Twilio through the official client.
    fake_twilio.add_number(SMS_NUMBER)
    config = twilio_integration(org, credentials={"account_sid": ACCOUNT_SID, "auth_token": token})

    response = owner_client.post(f"{URL}{config.pk}/test/")

    assert response.status_code == 200
    assert response.json()["status"] == status
    assert bool(response.json()["last_error"]) is (status == "error")
    assert response.json()["last_checked_at"] is not None
    config.refresh_from_db()
    assert config.status == status


@pytest.mark.parametrize("client_name", ["staff_client", "viewer_client"])
def test_only_settings_managers_change_integrations(request, org, client_name):
    client = request.getfixturevalue(client_name)
    config = IntegrationConfigFactory(organization=org)

    assert client.get(URL).status_code == 200
    refused = [
        _create(client, kind="email"),
        client.patch(f"{URL}{config.pk}/", {"name": "x"}, format="json"),
        client.delete(f"{URL}{config.pk}/"),
        client.post(f"{URL}{config.pk}/test/"),
    ]
    assert [response.status_code for response in refused] == [403] * 4
    assert json.loads(refused[0].content)["error"]["code"] == "role_forbidden"
    assert IntegrationConfig.objects.count() == 1


def test_an_admin_may_add_one(admin_client):
    assert _create(admin_client, kind="email").status_code == 201
