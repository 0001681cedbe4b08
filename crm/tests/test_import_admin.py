"""Staff follow imports in the admin, upload one for a business, and start a failed one again."""

import pytest
from django.urls import reverse

from crm.models import Contact, ContactImport, ImportStatus
from crm.tests.factories import ContactImportFactory, csv_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ops@bizbox.example", "a-long-staff-password"))
    return client


def test_the_list_shows_progress_and_counts(staff_client, org):
    ContactImportFactory(organization=org, status=ImportStatus.RUNNING, total_rows=12_000, rows_done=3_000)

    page = staff_client.get(reverse("admin:crm_contactimport_changelist"))

    assert page.status_code == 200
    assert "3,000 / 12,000" in page.content.decode()


def test_staff_upload_a_file_for_a_business_and_it_is_imported(staff_client, org, django_capture_on_commit_callbacks):
    upload = csv_upload([["First name", "Email"], ["Ada", "ada@example.net"], ["Bad", "nope"]])

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:crm_contactimport_add"),
            {"organization": org.pk, "file": upload, "duplicate_policy": "skip"},
        )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    contact_import = ContactImport.objects.get()
    assert (contact_import.status, contact_import.created_count, contact_import.failed_count) == (
        ImportStatus.COMPLETED,
        1,
        1,
    )
    assert contact_import.created_by.email == "ops@bizbox.example"
    assert Contact.objects.get(organization=org).email == "ada@example.net"
    change = staff_client.get(reverse("admin:crm_contactimport_change", args=[contact_import.pk])).content.decode()
    assert "1 row(s) not imported" in change


def test_a_file_that_cannot_be_imported_is_a_form_error(staff_client, org):
    upload = csv_upload([["Ada", "ada@example.net"]], name="no-header.csv")

    response = staff_client.post(
        reverse("admin:crm_contactimport_add"), {"organization": org.pk, "file": upload, "duplicate_policy": "skip"}
    )

    assert response.status_code == 200
    assert "looks like a contact" in str(response.context["adminform"].form.errors["file"])
    assert not ContactImport.objects.exists()


def test_start_again_queues_a_failed_import(staff_client, org, django_capture_on_commit_callbacks):
    failed = ContactImportFactory(organization=org, status=ImportStatus.FAILED)
    ContactImportFactory(organization=org, status=ImportStatus.COMPLETED)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        staff_client.post(
            reverse("admin:crm_contactimport_changelist"),
            {"action": "start_again", "_selected_action": [i.pk for i in ContactImport.objects.all()]},
        )

    failed.refresh_from_db()
    assert failed.status == ImportStatus.PENDING
    assert len(queued) == 1
