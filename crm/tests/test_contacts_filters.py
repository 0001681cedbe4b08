from datetime import datetime

import pytest

from crm.models import Contact, ContactSource
from crm.tests.factories import ContactFactory, ContactTagFactory, TagFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"
UTC = datetime.fromisoformat


def _names(client, **params) -> list[str]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return sorted(row["first_name"] for row in response.json()["results"])


@pytest.fixture
def tagged(org):
    vip, commercial = TagFactory(organization=org, name="VIP"), TagFactory(organization=org, name="Commercial")
    both, only_vip, only_commercial = (ContactFactory(organization=org, first_name=n) for n in ("Both", "Vip", "Com"))
    ContactFactory(organization=org, first_name="None")
    for contact, tags in ((both, [vip, commercial]), (only_vip, [vip]), (only_commercial, [commercial])):
        for tag in tags:
            ContactTagFactory(organization=org, contact=contact, tag=tag)
    return vip, commercial


def test_tags_match_any_by_default(owner_client, tagged):
    assert _names(owner_client, tag="VIP,Commercial") == ["Both", "Com", "Vip"]
    assert _names(owner_client, tag="vip") == ["Both", "Vip"]


def test_tags_can_match_all(owner_client, tagged):
    assert _names(owner_client, tag="VIP,Commercial", tag_match="all") == ["Both"]


def test_tags_by_id(owner_client, tagged):
    vip, commercial = tagged

    assert _names(owner_client, tag=f"{vip.pk},{commercial.pk}", tag_match="all") == ["Both"]
    assert _names(owner_client, tag=f"{commercial.pk}") == ["Both", "Com"]


def test_a_tag_name_of_other_digits_is_a_name_not_an_id(owner_client, org):
    # "²".isdigit() is true, but it is no id.
    contact = ContactFactory(organization=org, first_name="Squared")
    ContactTagFactory(organization=org, contact=contact, tag=TagFactory(organization=org, name="²"))

    assert _names(owner_client, tag="²") == ["Squared"]


def test_another_organizations_tag_of_the_same_name_does_not_match(owner_client, other_org, tagged):
    ContactTagFactory(organization=other_org, contact__first_name="Theirs", tag__name="VIP")

    assert _names(owner_client, tag="VIP") == ["Both", "Vip"]


def test_source(owner_client, org):
    for name, source in (("Typed", ContactSource.MANUAL), ("Imported", ContactSource.IMPORT), ("Web", "booking_page")):
        ContactFactory(organization=org, first_name=name, source=source)

    assert _names(owner_client, source="import") == ["Imported"]
    assert _names(owner_client, source=["import", "booking_page"]) == ["Imported", "Web"]
    assert owner_client.get(URL, {"source": "pigeon"}).status_code == 400


def test_created_range(owner_client, org):
    for name, created in (("Jan", "2025-01-15"), ("Feb", "2025-02-15"), ("Mar", "2025-03-15")):
        contact = ContactFactory(organization=org, first_name=name)
        Contact.objects.filter(pk=contact.pk).update(created_at=UTC(f"{created}T12:00:00+00:00"))

    assert _names(owner_client, created_after="2025-02-01T00:00:00Z") == ["Feb", "Mar"]
    assert _names(owner_client, created_before="2025-02-01T00:00:00Z") == ["Jan"]
    assert _names(owner_client, created_after="2025-02-01T00:00:00Z", created_before="2025-03-01T00:00:00Z") == ["Feb"]


def test_last_activity_range(owner_client, org):
    ContactFactory(organization=org, first_name="Never")
    ContactFactory(organization=org, first_name="Old", last_activity_at=UTC("2024-06-01T12:00:00+00:00"))
    ContactFactory(organization=org, first_name="Recent", last_activity_at=UTC("2025-06-01T12:00:00+00:00"))

    assert _names(owner_client, last_activity_after="2025-01-01T00:00:00Z") == ["Recent"]
    assert _names(owner_client, last_activity_before="2025-01-01T00:00:00Z") == ["Old"]


def test_a_malformed_date_is_a_400_naming_the_filter(owner_client):
    response = owner_client.get(URL, {"created_after": "last tuesday"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["created_after"]


def test_a_date_with_any_offset_is_read_in_utc(owner_client, org):
    # PostgreSQL refuses offsets past ±15:59, which Python (and so the parser) accepts up to ±23:59.
    contact = ContactFactory(organization=org, first_name="Feb")
    Contact.objects.filter(pk=contact.pk).update(created_at=UTC("2025-02-15T12:00:00+00:00"))

    assert _names(owner_client, created_after="2025-02-15T23:00:00+20:00") == ["Feb"]
    assert _names(owner_client, created_after="2025-02-14T17:00:00-21:30") == []


@pytest.mark.parametrize("value", ["0001-01-01T00:10:00+20:00", "9999-12-31T23:00:00-10:00"])
def test_a_date_out_of_range_in_utc_is_a_400_naming_the_filter(owner_client, value):
    response = owner_client.get(URL, {"last_activity_before": value})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["last_activity_before"]


def test_has_email_and_has_phone(owner_client, org):
    ContactFactory(organization=org, first_name="Both")
    ContactFactory(organization=org, first_name="Mail", phone="")
    ContactFactory(organization=org, first_name="Call", email="")

    assert _names(owner_client, has_email="true") == ["Both", "Mail"]
    assert _names(owner_client, has_email="false") == ["Call"]
    assert _names(owner_client, has_phone="true") == ["Both", "Call"]
    assert _names(owner_client, has_phone="false", has_email="true") == ["Mail"]


def test_consent_per_channel(owner_client, org):
    stamp = {"at": "2025-01-01T00:00:00+00:00", "how": "Form"}
    ContactFactory(organization=org, first_name="Texts", consent={"sms": {"granted": True, **stamp}})
    ContactFactory(organization=org, first_name="Withdrew", consent={"sms": {"granted": False, **stamp}})
    ContactFactory(organization=org, first_name="Mails", consent={"email": {"granted": True, **stamp}})
    ContactFactory(organization=org, first_name="Silent")

    assert _names(owner_client, consent="sms") == ["Texts"]
    assert _names(owner_client, consent="email") == ["Mails"]
    assert _names(owner_client, consent="whatsapp") == []
