"""Running an import: good rows become contacts by the API's rules, bad rows become the error report."""

import csv
import io

import pytest

from accounts.models import ActivityEntry, IndustryProfile
from accounts.tests.factories import OrganizationIndustryFactory
from crm.models import Contact, ContactImport, ContactSource, ImportStatus
from crm.tests.factories import csv_upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/imports/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _import(client, rows, capture, **fields) -> dict:
    """Upload, start, and let the queued task run, as the single-page app would."""
    created = client.post(URL, {"file": csv_upload(rows), **fields}, format="multipart")
    assert created.status_code == 201, created.content
    with capture(execute=True):
        started = client.post(f"{URL}{created.json()['id']}/start/")
    assert started.status_code == 202, started.content
    return client.get(f"{URL}{created.json()['id']}/").json()


def _report(client, import_id: int) -> list[list[str]]:
    response = client.get(f"{URL}{import_id}/errors.csv/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_a_good_file_becomes_contacts(owner_client, org, owner, django_capture_on_commit_callbacks):
    OrganizationIndustryFactory(organization=org, profile=IndustryProfile.objects.get(key="plumber"))
    header = ["Name", "Email Address", "Phone Number", "Business", "Street", "City", "State", "Zip", "Country"]
    header += ["Tags", "Gate code", "Property type"]
    ada = ["Ada Lovelace", "ADA@Example.net", "(312) 555-0101", "Analytical Engines", "1 Main St", "Chicago", "IL"]
    ada += ["60601", "United States", "vip, Boiler", "1234#", "House"]
    grace = ["Grace Brewster Hopper", "grace@example.net; g.hopper@example.org", "312.555.0102", "", "", "", ""]
    grace += ["", "", "VIP", "", ""]
    rows = [header, ada, grace]

    result = _import(owner_client, rows, django_capture_on_commit_callbacks)

    assert {
        k: result[k] for k in ("status", "total_rows", "rows_done", "progress", "created_count", "failed_count")
    } == {
        "status": "completed",
        "total_rows": 2,
        "rows_done": 2,
        "progress": 1.0,
        "created_count": 2,
        "failed_count": 0,
    }
    ada = Contact.objects.get(email="ada@example.net")
    assert (ada.first_name, ada.last_name, ada.company, ada.phone) == (
        "Ada",
        "Lovelace",
        "Analytical Engines",
        "+13125550101",
    )
    assert (ada.address_line1, ada.city, ada.region, ada.postal_code, ada.country) == (
        "1 Main St",
        "Chicago",
        "IL",
        "60601",
        "US",
    )
    assert ada.custom_fields == {"gate_code": "1234#", "property_type": "House"}
    assert ada.source == ContactSource.IMPORT
    assert "lovelace" in ada.search_text and "3125550101" in ada.phone_digits
    assert sorted(ada.tags.values_list("name", flat=True)) == ["Boiler", "vip"]
    grace = Contact.objects.get(email="grace@example.net")
    assert (grace.first_name, grace.last_name) == ("Grace Brewster", "Hopper")
    assert [entry["value"] for entry in grace.emails] == ["grace@example.net", "g.hopper@example.org"]
    assert list(grace.tags.values_list("name", flat=True)) == ["vip"]  # tags are matched case-insensitively
    assert ActivityEntry.objects.filter(verb="contacts.imported", actor=owner).get().data == {
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "failed": 0,
    }


def test_a_bad_email_and_a_bad_phone_are_reported_by_row_and_column(
    owner_client, org, django_capture_on_commit_callbacks
):
    rows = [
        ["First name", "Email", "Mobile"],
        ["Ada", "ada@example.net", "312 555 0101"],
        ["Bad", "not-an-email", "12"],
        ["Alan", "alan@example.net", ""],
        ["", "", ""],
        ["", "", ""],
        ["Only a phone", "", "phone me"],
    ]

    result = _import(owner_client, rows, django_capture_on_commit_callbacks)

    counts = (result["total_rows"], result["created_count"], result["failed_count"], result["skipped_count"])
    assert counts == (6, 2, 2, 2)  # the blank rows are skipped, not failed
    assert sorted(Contact.objects.values_list("first_name", flat=True)) == ["Ada", "Alan"]
    assert _report(owner_client, result["id"]) == [
        ["row", "column", "message"],
        ["3", "Email", "“not-an-email” is not an email address."],
        ["3", "Mobile", "“12” is not a valid phone number."],
        ["7", "Mobile", "“phone me” is not a phone number."],
    ]


def test_blank_rows_in_the_middle_are_skipped_quietly(owner_client, django_capture_on_commit_callbacks):
    rows = [["Email"], ["a@example.net"], [""], ["b@example.net"]]

    result = _import(owner_client, rows, django_capture_on_commit_callbacks)

    assert (result["total_rows"], result["created_count"], result["skipped_count"], result["failed_count"]) == (
        3,
        2,
        1,
        0,
    )


def test_a_row_with_nothing_to_import_says_so(owner_client, django_capture_on_commit_callbacks):
    rows = [["Email", "Notes"], ["a@example.net", ""], ["", "called twice"]]

    result = _import(owner_client, rows, django_capture_on_commit_callbacks)

    assert _report(owner_client, result["id"])[1:] == [
        ["3", "", "Give at least a name, a company, an email or a phone."]
    ]


def test_formulas_in_cells_are_imported_as_text(owner_client, django_capture_on_commit_callbacks):
    formula = "=cmd|'/C calc'!A0"
    rows = [
        ["First name", "Company", "Email"],
        [formula, "+SUM(A1:A2)", "formula@example.net"],
        ["Eve", "@evil", formula],
    ]

    result = _import(owner_client, rows, django_capture_on_commit_callbacks)

    contact = Contact.objects.get(email="formula@example.net")
    assert (contact.first_name, contact.company) == (formula, "+SUM(A1:A2)")
    report = _report(owner_client, result["id"])
    assert report[1] == ["3", "Email", "“=cmd|'/c calc'!a0” is not an email address."]
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in report for cell in line)


def test_a_column_name_that_looks_like_a_formula_is_defused_in_the_report(
    owner_client, django_capture_on_commit_callbacks
):
    created = owner_client.post(URL, {"file": csv_upload([["=Email"], ["nope"]])}, format="multipart").json()
    owner_client.patch(f"{URL}{created['id']}/", {"mapping": {"=Email": "email"}}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"{URL}{created['id']}/start/")

    assert _report(owner_client, created["id"])[1] == ["2", "'=Email", "“nope” is not an email address."]


def test_a_long_tag_fails_its_row_only(owner_client, django_capture_on_commit_callbacks):
    rows = [["Email", "Tags"], ["a@example.net", "x" * 61], ["b@example.net", "ok"]]

    result = _import(owner_client, rows, django_capture_on_commit_callbacks)

    assert (result["created_count"], result["failed_count"]) == (1, 1)
    assert _report(owner_client, result["id"])[1] == ["2", "Tags", "Each tag is at most 60 characters."]


def test_progress_is_visible_through_the_api(owner_client, org, django_capture_on_commit_callbacks):
    rows = [["Email"]] + [[f"person{n}@example.net"] for n in range(25)]
    created = owner_client.post(URL, {"file": csv_upload(rows)}, format="multipart").json()
    with django_capture_on_commit_callbacks(execute=False) as queued_tasks:
        queued = owner_client.post(f"{URL}{created['id']}/start/").json()
    assert (queued["status"], queued["rows_done"], queued["total_rows"], queued["progress"]) == ("pending", 0, 25, 0.0)

    for run_task in queued_tasks:  # the worker picks it up
        run_task()

    listed = owner_client.get(URL).json()["results"][0]
    assert {key: listed[key] for key in ("id", "status", "rows_done", "total_rows", "progress", "created_count")} == {
        "id": created["id"],
        "status": "completed",
        "rows_done": 25,
        "total_rows": 25,
        "progress": 1.0,
        "created_count": 25,
    }


def test_an_import_started_twice_is_a_conflict(owner_client, django_capture_on_commit_callbacks):
    result = _import(owner_client, [["Email"], ["a@example.net"]], django_capture_on_commit_callbacks)

    response = owner_client.post(f"{URL}{result['id']}/start/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "import_conflict"
    assert ContactImport.objects.get().status == ImportStatus.COMPLETED


def test_the_first_email_column_of_the_file_gives_the_primary_address(owner_client, django_capture_on_commit_callbacks):
    # The database keeps the mapping as jsonb, which orders keys its own way ("Email" first).
    rows = [["Work email", "Email"], ["work@example.net", "home@example.net"]]

    _import(owner_client, rows, django_capture_on_commit_callbacks)

    contact = Contact.objects.get()
    assert contact.email == "work@example.net"
    assert [entry["value"] for entry in contact.emails] == ["work@example.net", "home@example.net"]
