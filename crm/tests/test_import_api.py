"""The import endpoints serve one organization's imports: another's are a 404, whatever the route."""

import pytest
from rest_framework.test import APIClient

from accounts.tenancy import no_scope
from crm import imports
from crm.models import Contact, ContactImport, ImportStatus
from crm.tests.factories import ContactImportErrorFactory, ContactImportFactory, csv_upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/imports/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_list_shows_our_imports_newest_first_with_their_progress(owner_client, org, other_org):
    older = ContactImportFactory(organization=org, status=ImportStatus.COMPLETED, total_rows=40, rows_done=40)
    newer = ContactImportFactory(organization=org, status=ImportStatus.RUNNING, total_rows=40, rows_done=10)
    ContactImportFactory(organization=other_org)

    results = owner_client.get(URL).json()["results"]

    assert [(r["id"], r["status"], r["rows_done"], r["total_rows"], r["progress"]) for r in results] == [
        (newer.pk, "running", 10, 40, 0.25),
        (older.pk, "completed", 40, 40, 1.0),
    ]
    assert "available_fields" not in results[0]


def test_the_list_filters_by_status(owner_client, org):
    ContactImportFactory(organization=org, status=ImportStatus.COMPLETED)
    failed = ContactImportFactory(organization=org, status=ImportStatus.FAILED)

    results = owner_client.get(URL, {"status": "failed"}).json()["results"]

    assert [r["id"] for r in results] == [failed.pk]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("post", "start/"), ("get", "errors.csv/")],
    ids=["read", "change", "start", "error report"],
)
def test_another_organizations_import_is_not_found(owner_client, other_org, method, suffix):
    theirs = ContactImportFactory(organization=other_org)
    ContactImportErrorFactory(organization=other_org, contact_import=theirs)

    response = getattr(owner_client, method)(f"{URL}{theirs.pk}/{suffix}", {"mapping": {}}, format="json")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ImportStatus.MAPPING


def test_a_viewer_reads_imports_and_their_errors_but_cannot_start_one(viewer_client, org):
    contact_import = ContactImportFactory(organization=org)
    ContactImportErrorFactory(
        organization=org, contact_import=contact_import, row=7, message="“x” is not an email address."
    )

    assert viewer_client.get(f"{URL}{contact_import.pk}/").status_code == 200
    report = b"".join(viewer_client.get(f"{URL}{contact_import.pk}/errors.csv/").streaming_content).decode()
    assert report == "\ufeffrow,column,message\r\n7,Email,“x” is not an email address.\r\n"
    assert viewer_client.post(f"{URL}{contact_import.pk}/start/").status_code == 403


def test_an_api_token_uploads_and_starts_an_import(token_client, org, django_capture_on_commit_callbacks):
    created = token_client.post(URL, {"file": csv_upload([["Email"], ["a@example.net"]])}, format="multipart")
    assert created.status_code == 201, created.content

    with django_capture_on_commit_callbacks(execute=True):
        started = token_client.post(f"{URL}{created.json()['id']}/start/")

    assert started.status_code == 202
    assert Contact.objects.filter(organization=org, email="a@example.net").exists()


def test_a_session_upload_passes_the_csrf_check_and_is_still_capped(owner, tmp_path):
    """The CSRF check reads a session's POST before the view runs: the size cap must already be in place."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)
    token = client.get("/api/v1/auth/session/").cookies["csrftoken"].value
    huge = tmp_path / "huge.csv"
    huge.write_bytes(b"Email\r\n" + b"a@example.net\r\n" * (4 * 1024 * 1024))

    created = client.post(URL, {"file": csv_upload([["Email"], ["a@example.net"]])}, HTTP_X_CSRFTOKEN=token)
    with huge.open("rb") as file:
        refused = client.post(URL, {"file": file}, HTTP_X_CSRFTOKEN=token)

    assert created.status_code == 201, created.content
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["file"][0].startswith("“huge.csv” is larger than 50 MB")
    assert ContactImport.objects.count() == 1


def test_the_report_reads_its_rows_after_the_requests_tenancy_scope_has_ended(org):
    """A streamed response is read by the server after the view and the middleware have reset the scope."""
    contact_import = ContactImportFactory(organization=org)
    ContactImportErrorFactory(organization=org, contact_import=contact_import, row=4)

    with no_scope():
        report = "".join(imports.contact_import_error_report(contact_import=contact_import))

    assert report.splitlines()[1].startswith("4,Email,")
