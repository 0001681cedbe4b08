import pytest

from accounts.models import ActivityEntry
from crm.models import Contact
from crm.services import contact_create
from crm.tests.factories import ContactFactory, ContactTagFactory

pytestmark = pytest.mark.django_db

OLD_STAMP = "2024-01-02T03:04:05+00:00"


def _url(contact: Contact) -> str:
    return f"/api/v1/contacts/{contact.pk}/"


@pytest.fixture
def contact(org):
    return contact_create(
        organization=org,
        actor=None,
        data={
            "first_name": "John",
            "last_name": "Smith",
            "emails": ["john@example.com", "j.smith@work.example"],
            "phones": ["312 555 0147", "312 555 0148"],
            "consent": {"sms": {"granted": True, "how": "Booking page"}},
        },
    )


def test_changing_some_fields_leaves_the_others(owner_client, org, contact):
    response = owner_client.patch(_url(contact), {"company": "Smith & Sons", "city": "Evanston"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["company"], body["city"], body["first_name"], body["email"]) == (
        "Smith & Sons",
        "Evanston",
        "John",
        "john@example.com",
    )
    entry = ActivityEntry.objects.get(organization=org, verb="contact.updated")
    assert entry.data == {"changed": ["city", "company"]}


def test_a_new_primary_email_keeps_the_other_addresses(owner_client, contact):
    response = owner_client.patch(_url(contact), {"email": "JOHN@new.example"}, format="json")

    assert response.json()["emails"] == [
        {"value": "john@new.example", "label": ""},
        {"value": "j.smith@work.example", "label": ""},
    ]
    assert response.json()["email"] == "john@new.example"


def test_a_new_primary_phone_keeps_the_other_numbers(owner_client, contact):
    response = owner_client.patch(_url(contact), {"phone": "(312) 555-0199"}, format="json")

    assert [entry["value"] for entry in response.json()["phones"]] == ["+13125550199", "+13125550148"]
    contact.refresh_from_db()
    assert contact.phone_digits == "13125550199 13125550148"


def test_the_whole_list_replaces_every_address(owner_client, contact):
    response = owner_client.patch(_url(contact), {"emails": ["only@example.com"], "phones": []}, format="json")

    body = response.json()
    assert (body["email"], body["emails"], body["phone"], body["phones"]) == (
        "only@example.com",
        [{"value": "only@example.com", "label": ""}],
        "",
        [],
    )


def test_a_malformed_phone_changes_nothing(owner_client, contact):
    response = owner_client.patch(_url(contact), {"first_name": "Jo", "phone": "12"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["phone"]
    contact.refresh_from_db()
    assert (contact.first_name, contact.phone) == ("John", "+13125550147")


def test_consent_keeps_its_stamp_until_it_changes(owner_client, contact):
    Contact.objects.filter(pk=contact.pk).update(
        consent={"sms": {"granted": True, "how": "Booking page", "at": OLD_STAMP}}
    )

    same = owner_client.patch(_url(contact), {"consent": {"sms": {"granted": True}}}, format="json")
    withdrawn = owner_client.patch(
        _url(contact), {"consent": {"sms": {"granted": False, "how": "Replied STOP"}}}, format="json"
    )

    assert same.json()["consent"] == {"sms": {"granted": True, "how": "Booking page", "at": OLD_STAMP}}
    sms = withdrawn.json()["consent"]["sms"]
    assert (sms["granted"], sms["how"]) == (False, "Replied STOP")
    assert sms["at"] > OLD_STAMP


def test_consent_for_one_channel_leaves_the_others(owner_client, contact):
    response = owner_client.patch(
        _url(contact), {"consent": {"email": {"granted": True, "how": "Form"}}}, format="json"
    )

    assert sorted(response.json()["consent"]) == ["email", "sms"]


def test_tags_given_replace_the_tags(owner_client, org, contact):
    ContactTagFactory(organization=org, contact=contact, tag__name="Old")

    response = owner_client.patch(_url(contact), {"tags": ["VIP", "Commercial"]}, format="json")

    assert response.json()["tags"] == ["Commercial", "VIP"]


def test_another_organizations_contact_is_not_found(owner_client, other_org):
    theirs = ContactFactory(organization=other_org, first_name="Theirs")

    response = owner_client.patch(_url(theirs), {"first_name": "Mine"}, format="json")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.first_name == "Theirs"
