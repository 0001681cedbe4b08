"""Uploading a file to import: it is read at once, and a file that cannot be imported is a clear 400."""

import codecs

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import ContactImport
from crm.tests.factories import csv_upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/imports/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _upload(client, upload, **fields):
    return client.post(URL, {"file": upload, **fields}, format="multipart")


def _file_error(response) -> str:
    assert response.status_code == 400, response.content
    return " ".join(response.json()["error"]["fields"]["file"])


def test_an_upload_answers_with_its_columns_a_guessed_mapping_and_sample_rows(owner_client, owner):
    rows = [
        ["First Name", "Last Name", "E-mail", "Mobile", "Shoe size"],
        ["Ada", "Lovelace", "ada@example.net", "(312) 555-0101", "38"],
        ["Alan", "Turing", "alan@example.net", "312 555 0102", "44"],
        ["", "", "", "", ""],
    ]

    response = _upload(owner_client, csv_upload(rows), duplicate_policy="update")

    assert response.status_code == 201, response.content
    body = response.json()
    contact_import = ContactImport.objects.get()
    assert body == {
        "id": contact_import.pk,
        "original_name": "contacts.csv",
        "file_format": "csv",
        "encoding": "utf-8",
        "status": "mapping",
        "duplicate_policy": "update",
        "headers": ["First Name", "Last Name", "E-mail", "Mobile", "Shoe size"],
        "mapping": {
            "First Name": "first_name",
            "Last Name": "last_name",
            "E-mail": "email",
            "Mobile": "phone",
            "Shoe size": "",
        },
        "sample_rows": [rows[1], rows[2]],
        "total_rows": 2,
        "rows_done": 0,
        "progress": 0.0,
        "created_count": 0,
        "updated_count": 0,
        "skipped_count": 0,
        "failed_count": 0,
        "error_summary": "",
        "created_by": owner.email,
        "created_at": body["created_at"],
        "started_at": None,
        "finished_at": None,
        "available_fields": body["available_fields"],
    }
    assert {"key": "email", "label": "Email"} in body["available_fields"]
    assert contact_import.file.read().startswith(b"First Name,")
    assert contact_import.organization_id == owner.memberships.get().organization_id


def test_a_file_with_a_utf8_byte_order_mark_reads_the_same(owner_client):
    upload = SimpleUploadedFile("bom.csv", codecs.BOM_UTF8 + "Email,Name\r\nzoe@example.net,Zoë\r\n".encode())

    body = _upload(owner_client, upload).json()

    assert body["headers"] == ["Email", "Name"]
    assert body["sample_rows"] == [["zoe@example.net", "Zoë"]]
    assert body["encoding"] == "utf-8-sig"


def test_a_windows_excel_csv_is_read_as_windows_1252(owner_client):
    upload = csv_upload([["Email", "Name"], ["zoe@example.net", "Zoë Brontë"]], encoding="cp1252")

    body = _upload(owner_client, upload).json()

    assert body["encoding"] == "cp1252"
    assert body["sample_rows"] == [["zoe@example.net", "Zoë Brontë"]]


def test_excel_unicode_text_is_utf16_and_tab_separated(owner_client):
    upload = csv_upload([["Email", "Name"], ["kenji@example.net", "健二"]], encoding="utf-16", delimiter="\t")

    body = _upload(owner_client, upload).json()

    assert body["headers"] == ["Email", "Name"]
    assert body["sample_rows"] == [["kenji@example.net", "健二"]]


def test_a_semicolon_separated_file_is_split_on_semicolons(owner_client):
    body = _upload(owner_client, csv_upload([["Email", "City"], ["a@example.net", "Lyon"]], delimiter=";")).json()

    assert body["headers"] == ["Email", "City"]
    assert body["mapping"] == {"Email": "email", "City": "city"}


def test_a_file_in_an_encoding_we_cannot_read_is_refused_by_name(owner_client):
    # 0x81 and 0x8d are neither UTF-8 nor Windows-1252.
    upload = SimpleUploadedFile("legacy.csv", b"Email,Name\r\nx@example.net,\x81\x8d\x81\r\n")

    message = _file_error(_upload(owner_client, upload))

    assert "“legacy.csv” is not UTF-8 text" in message
    assert not ContactImport.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty"),
        (b",,,\r\nada@example.net,Ada\r\n", "has no header row"),
        (b"\r\n\r\n", "has no header row"),
        (b"Ada,Lovelace,ada@example.net\r\nAlan,Turing,alan@example.net\r\n", "looks like a contact"),
        (b"Ada,+1 312 555 0101\r\n", "looks like a contact"),
    ],
    ids=["empty", "blank header cells", "blank first row", "an email in the first row", "a phone in the first row"],
)
def test_a_missing_header_row_is_refused(owner_client, content, expected):
    message = _file_error(_upload(owner_client, SimpleUploadedFile("no-header.csv", content)))

    assert "“no-header.csv”" in message
    assert expected in message


def test_a_file_over_50_mb_is_refused_by_name(owner_client, tmp_path):
    path = tmp_path / "huge.csv"
    line = b"Ada,Lovelace,ada@example.net,+13125550101\r\n"
    with path.open("wb") as file:
        file.write(b"First name,Last name,Email,Phone\r\n")
        file.write(line * (50 * 1024 * 1024 // len(line) + 1))

    with path.open("rb") as file:
        response = owner_client.post(URL, {"file": file}, format="multipart")

    assert _file_error(response) == (
        "“huge.csv” is larger than 50 MB, the most one import takes. Split it into smaller files."
    )
    assert not ContactImport.objects.exists()


def test_an_old_excel_file_is_refused_with_what_to_do(owner_client):
    upload = SimpleUploadedFile("contacts.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)

    assert "save it as .xlsx or CSV UTF-8" in _file_error(_upload(owner_client, upload))


def test_a_broken_workbook_is_refused(owner_client):
    upload = SimpleUploadedFile("contacts.xlsx", b"PK\x03\x04 this is not really a zip file")

    assert "not an Excel workbook we can read" in _file_error(_upload(owner_client, upload))


def test_a_json_body_names_the_missing_file(owner_client):
    response = owner_client.post(URL, {"duplicate_policy": "skip"}, format="json")

    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_an_unknown_duplicate_policy_is_refused(owner_client):
    response = _upload(owner_client, csv_upload([["Email"], ["a@example.net"]]), duplicate_policy="merge")

    assert response.status_code == 400
    assert "duplicate_policy" in response.json()["error"]["fields"]


def test_a_viewer_cannot_upload(viewer_client):
    response = _upload(viewer_client, csv_upload([["Email"], ["a@example.net"]]))

    assert response.status_code == 403
