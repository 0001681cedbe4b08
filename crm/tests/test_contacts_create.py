from datetime import timedelta
from unittest.mock import ANY

import pytest

from accounts.models import ActivityEntry, IndustryProfile
from accounts.tests.factories import OrganizationIndustryFactory
from crm.models import Contact

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def test_a_contact_with_several_emails_and_phones(owner_client, org):
    response = owner_client.post(
        URL,
        {
            "first_name": " John ",
            "last_name": "Smith",
            "company": "Smith & Sons",
            "email": "John.Smith@Example.COM",
            "emails": [{"value": "accounts@smithandsons.example", "label": "work"}, "JS@home.example"],
            "phone": "(312) 555-0147",
            "phones": [{"value": "312.555.0148", "label": "mobile"}, "+1 312 555 0149"],
            "address_line1": "12 Main St",
            "city": "Chicago",
            "region": "IL",
            "postal_code": "60607",
            "tags": ["VIP", "Repeat"],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json() == {
        "id": ANY,
        "display_name": "John Smith",
        "first_name": "John",
        "last_name": "Smith",
        "company": "Smith & Sons",
        "email": "john.smith@example.com",
        "phone": "+13125550147",
        "emails": [
            {"value": "john.smith@example.com", "label": ""},
            {"value": "accounts@smithandsons.example", "label": "work"},
            {"value": "js@home.example", "label": ""},
        ],
        "phones": [
            {"value": "+13125550147", "label": ""},
            {"value": "+13125550148", "label": "mobile"},
            {"value": "+13125550149", "label": ""},
        ],
        "address_line1": "12 Main St",
        "address_line2": "",
        "city": "Chicago",
        "region": "IL",
        "postal_code": "60607",
        "country": "",
        "source": "manual",
        "consent": {},
        "custom_fields": {},
        "tags": ["Repeat", "VIP"],
        "created_at": ANY,
        "updated_at": ANY,
        "last_activity_at": ANY,
        "deleted_at": None,
    }
    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.organization == org
    assert abs(contact.last_activity_at - contact.created_at) < timedelta(seconds=1)  # being added is an activity
    assert ActivityEntry.objects.filter(organization=org, verb="contact.created", target_id=str(contact.pk)).exists()


@pytest.mark.parametrize("typed", ["(312) 555-0147", "312.555.0147", "+1 312 555 0147", "312-555-0147", "3125550147"])
def test_a_phone_in_any_common_format_is_stored_in_e164(owner_client, typed):
    response = owner_client.post(URL, {"first_name": "Ann", "phone": typed}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "+13125550147"


def test_the_organization_country_decides_how_a_national_number_reads(owner_client, org):
    org.country = "GB"
    org.save()

    response = owner_client.post(URL, {"first_name": "Ann", "phone": "020 7946 0018"}, format="json")

    assert response.json()["phone"] == "+442079460018"


def test_the_same_address_twice_is_kept_once(owner_client):
    response = owner_client.post(
        URL, {"email": "ann@example.com", "emails": ["ANN@example.com", "ann@other.example"]}, format="json"
    )

    assert [entry["value"] for entry in response.json()["emails"]] == ["ann@example.com", "ann@other.example"]


def test_a_malformed_phone_is_a_400_naming_the_field(owner_client):
    response = owner_client.post(URL, {"first_name": "Ann", "phone": "call me maybe"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Some fields are not valid.",
            "fields": {"phone": ["“call me maybe” is not a phone number."]},
        }
    }
    assert not Contact.objects.exists()


def test_a_number_too_short_to_be_a_phone_is_refused(owner_client):
    response = owner_client.post(URL, {"first_name": "Ann", "phones": ["555-01"]}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"phones": ["“555-01” is not a valid phone number."]}


def test_a_malformed_email_is_a_400_naming_the_field(owner_client):
    response = owner_client.post(URL, {"first_name": "Ann", "email": "ann at example"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"email": ["“ann at example” is not an email address."]}


def test_every_bad_field_is_named_at_once(owner_client):
    response = owner_client.post(
        URL,
        {"emails": ["nope"], "phones": ["nope"], "country": "Narnia", "first_name": "x" * 101},
        format="json",
    )

    assert response.status_code == 400
    assert sorted(response.json()["error"]["fields"]) == ["country", "emails", "first_name", "phones"]


def test_a_contact_needs_something_to_know_it_by(owner_client):
    response = owner_client.post(URL, {"city": "Chicago"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "non_field_errors": ["Give at least a name, a company, an email or a phone."]
    }


@pytest.fixture
def plumber(org):
    """A real shipped profile: property_type (House, Apartment, Commercial), gate_code, water_shutoff_location."""
    return OrganizationIndustryFactory(organization=org, profile=IndustryProfile.objects.get(key="plumber"))


def test_custom_fields_follow_the_industry_profile(owner_client, plumber):
    response = owner_client.post(
        URL,
        {
            "first_name": "Ann",
            "custom_fields": {"property_type": "Commercial", "gate_code": " #4521 ", "water_shutoff_location": ""},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["custom_fields"] == {"property_type": "Commercial", "gate_code": "#4521"}


def test_a_choice_outside_the_profile_is_refused(owner_client, plumber):
    response = owner_client.post(
        URL, {"first_name": "Ann", "custom_fields": {"property_type": "Castle"}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "custom_fields": ["Property type: “Castle” is not one of House, Apartment, Commercial."]
    }


def test_a_field_the_profile_does_not_define_is_refused(owner_client, plumber):
    response = owner_client.post(URL, {"first_name": "Ann", "custom_fields": {"shoe_size": 42}}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"custom_fields": ["Unknown fields for this business: shoe_size."]}


def test_typed_custom_fields_are_converted(owner_client, org):
    OrganizationIndustryFactory(organization=org, profile=IndustryProfile.objects.get(key="cleaner"))
    fields = {d["key"]: d["type"] for d in IndustryProfile.objects.get(key="cleaner").contact_fields}
    number = next(key for key, kind in fields.items() if kind == "number")
    boolean = next(key for key, kind in fields.items() if kind == "boolean")

    response = owner_client.post(
        URL, {"first_name": "Ann", "custom_fields": {number: "3", boolean: "yes"}}, format="json"
    )
    refused = owner_client.post(URL, {"first_name": "Ann", "custom_fields": {number: "three"}}, format="json")

    assert response.json()["custom_fields"] == {number: 3, boolean: True}
    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]) == ["custom_fields"]


def test_without_an_industry_no_custom_field_is_accepted(owner_client):
    response = owner_client.post(URL, {"first_name": "Ann", "custom_fields": {"gate_code": "1"}}, format="json")

    assert response.status_code == 400


def test_consent_is_kept_per_channel_with_when_and_how(owner_client):
    response = owner_client.post(
        URL,
        {
            "first_name": "Ann",
            "phone": "312 555 0147",
            "consent": {
                "sms": {"granted": True, "how": "Ticked the box on the booking page"},
                "email": {"granted": False},
            },
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    consent = response.json()["consent"]
    assert consent == {
        "sms": {"granted": True, "how": "Ticked the box on the booking page", "at": ANY},
        "email": {"granted": False, "how": "", "at": ANY},
    }
    assert consent["sms"]["at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("consent", "message"),
    [
        ({"pigeon": {"granted": True}}, "Unknown channels: pigeon."),
        ({"sms": {"granted": "yes"}}, "sms: say {'granted': true or false, 'how': '...'}."),
    ],
)
def test_malformed_consent_is_refused(owner_client, consent, message):
    response = owner_client.post(URL, {"first_name": "Ann", "consent": consent}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"consent": [message]}


def test_the_same_idempotency_key_creates_one_contact(owner_client):
    first = owner_client.post(URL, {"first_name": "Ann"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = owner_client.post(URL, {"first_name": "Ann"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert again.json() == first.json()
    assert Contact.objects.count() == 1
