"""Columns are matched to contact fields from their names; the user corrects the guess before starting."""

import pytest

from accounts.models import IndustryProfile
from accounts.tests.factories import OrganizationIndustryFactory
from crm import import_mapping
from crm.models import ContactImport, DuplicatePolicy
from crm.tests.factories import ContactImportFactory, csv_upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/imports/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("First Name", "first_name"),
        ("first", "first_name"),
        ("Given name", "first_name"),
        ("Surname", "last_name"),
        ("Full name", "name"),
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("E-mail 1 - Value", "email"),
        ("Mobile", "phone"),
        ("Phone Number", "phone"),
        ("Cell", "phone"),
        ("Company", "company"),
        ("Business", "company"),
        ("Tags", "tags"),
        ("Street Address", "address_line1"),
        ("Address 2", "address_line2"),
        ("Town", "city"),
        ("State/Province", "region"),
        ("ZIP code", "postal_code"),
        ("Country", "country"),
        ("Favourite colour", ""),
    ],
)
def test_a_column_name_is_matched_to_its_field(org, header, field):
    assert import_mapping.mapping_guess(headers=[header], organization=org) == {header: field}


def test_the_industrys_own_fields_are_matched_by_key_or_label(org):
    OrganizationIndustryFactory(organization=org, profile=IndustryProfile.objects.get(key="plumber"))

    guessed = import_mapping.mapping_guess(
        headers=["Gate or access code", "property_type", "Shoe size"], organization=org
    )

    assert guessed == {
        "Gate or access code": "custom_fields.gate_code",
        "property_type": "custom_fields.property_type",
        "Shoe size": "",
    }


def test_a_field_taking_one_column_goes_to_the_first_while_emails_and_phones_take_several(org):
    headers = ["Company", "Business", "Email", "Work email", "Mobile", "Home phone"]

    assert import_mapping.mapping_guess(headers=headers, organization=org) == {
        "Company": "company",
        "Business": "",
        "Email": "email",
        "Work email": "email",
        "Mobile": "phone",
        "Home phone": "phone",
    }


def test_repeated_column_names_are_told_apart(owner_client):
    upload = csv_upload([["Phone", "Phone", ""], ["312 555 0101", "312 555 0102", ""]])

    body = owner_client.post(URL, {"file": upload}, format="multipart").json()

    assert body["headers"] == ["Phone", "Phone (2)"]
    assert body["mapping"] == {"Phone": "phone", "Phone (2)": "phone"}


def test_the_mapping_and_policy_are_corrected_with_patch(owner_client, org):
    contact_import = ContactImportFactory(organization=org, headers=["Name", "Notes"], mapping={"Name": "name"})

    response = owner_client.patch(
        f"{URL}{contact_import.pk}/",
        {"mapping": {"Notes": "company", "Name": "first_name"}, "duplicate_policy": "update"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["mapping"] == {"Name": "first_name", "Notes": "company"}
    contact_import.refresh_from_db()
    assert (contact_import.mapping, contact_import.duplicate_policy) == (
        {"Name": "first_name", "Notes": "company"},
        DuplicatePolicy.UPDATE,
    )


def test_columns_left_out_of_a_patch_keep_their_field(owner_client, org):
    contact_import = ContactImportFactory(organization=org)

    response = owner_client.patch(f"{URL}{contact_import.pk}/", {"mapping": {"Email": ""}}, format="json")

    assert response.json()["mapping"] == {"First name": "first_name", "Email": ""}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Email": "favourite_colour"}, "“favourite_colour” is not a field a column can go to (column “Email”)."),
        ({"Fax": "phone"}, "“Fax” is not a column of this file."),
        ({"Email": "first_name"}, "Only one column can go to first_name: “First name”, “Email” all do."),
        ({"Email": "custom_fields.gate_code"}, "“custom_fields.gate_code” is not a field a column can go to"),
    ],
    ids=["unknown field", "unknown column", "a field twice", "another industry's field"],
)
def test_a_mapping_naming_no_real_field_or_column_is_refused(owner_client, org, mapping, message):
    contact_import = ContactImportFactory(organization=org)

    response = owner_client.patch(f"{URL}{contact_import.pk}/", {"mapping": mapping}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["mapping"][0].startswith(message)
    contact_import.refresh_from_db()
    assert contact_import.mapping == {"First name": "first_name", "Email": "email"}


def test_starting_needs_at_least_one_mapped_column(owner_client, org):
    contact_import = ContactImportFactory(organization=org, mapping={"First name": "", "Email": ""})

    response = owner_client.post(f"{URL}{contact_import.pk}/start/")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["mapping"] == ["Map at least one column to a contact field."]


def test_the_mapping_cannot_change_once_started(owner_client, org, django_capture_on_commit_callbacks):
    contact_import = ContactImportFactory(organization=org)
    with django_capture_on_commit_callbacks(execute=False):
        owner_client.post(f"{URL}{contact_import.pk}/start/")

    response = owner_client.patch(f"{URL}{contact_import.pk}/", {"mapping": {"Email": ""}}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "import_conflict"
    assert ContactImport.objects.get().mapping["Email"] == "email"
