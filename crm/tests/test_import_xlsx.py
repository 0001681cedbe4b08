"""An Excel workbook imports like a CSV file: its first sheet, cells as a person would type them."""

import datetime

import pytest

from accounts.models import IndustryProfile
from accounts.tests.factories import OrganizationIndustryFactory
from crm.models import Contact
from crm.tests.factories import xlsx_upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/imports/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_workbook_becomes_contacts(owner_client, org, django_capture_on_commit_callbacks):
    profile = IndustryProfile.objects.get(key="personal_trainer")
    OrganizationIndustryFactory(organization=org, profile=profile)
    date_field = next(field for field in profile.contact_fields if field["type"] == "date")
    rows = [
        ["First name", "Last name", "Phone", "Email", "Zip", date_field["label"]],
        ["Ada", "Lovelace", 3125550101, "ada@example.net", 60601, datetime.datetime(1990, 12, 10)],
        ["Alan", "Turing", 3125550102.0, "alan@example.net", "02139", None],
        ["Eve", "=CONCAT(A2, B2)", None, "eve@example.net", None, None],
        [None, None, None, None, None, None],
    ]

    created = owner_client.post(URL, {"file": xlsx_upload(rows)}, format="multipart")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["file_format"], body["total_rows"]) == ("xlsx", 3)
    assert body["sample_rows"][0] == ["Ada", "Lovelace", "3125550101", "ada@example.net", "60601", "1990-12-10"]
    assert body["mapping"][date_field["label"]] == f"custom_fields.{date_field['key']}"
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"{URL}{body['id']}/start/")

    assert owner_client.get(f"{URL}{body['id']}/").json()["created_count"] == 3
    ada = Contact.objects.get(email="ada@example.net")
    assert (ada.phone, ada.postal_code, ada.custom_fields) == (
        "+13125550101",
        "60601",
        {date_field["key"]: "1990-12-10"},
    )
    assert Contact.objects.get(email="alan@example.net").phone == "+13125550102"
    # A formula nobody calculated has no value to import; it is never run.
    assert Contact.objects.get(email="eve@example.net").last_name == ""
