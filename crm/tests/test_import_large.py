"""Ten thousand bad rows are all reported, and the good rows among them still come in, quickly."""

import csv
import io
import time

import pytest

from crm import imports
from crm.models import Contact, ContactImportError, ImportStatus
from crm.tests.factories import csv_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_ten_thousand_bad_rows_are_all_reported_and_the_good_ones_imported(owner_client, org, owner):
    rows = [["First name", "Email", "Phone"]]
    for n in range(11_000):
        if n % 11 == 0:
            rows.append([f"Good {n}", f"good{n}@example.net", f"+1312555{n % 10_000:04d}"])
        else:
            rows.append([f"Bad {n}", f"bad{n}-at-example.net", ""])
    contact_import = imports.contact_import_create(organization=org, actor=owner, upload=csv_upload(rows))
    contact_import.status = ImportStatus.PENDING
    contact_import.save()

    started = time.monotonic()
    contact_import = imports.contact_import_run(import_id=contact_import.pk)
    elapsed = time.monotonic() - started

    assert (contact_import.status, contact_import.created_count, contact_import.failed_count) == (
        ImportStatus.COMPLETED,
        1_000,
        10_000,
    )
    assert Contact.objects.count() == 1_000
    assert ContactImportError.objects.filter(contact_import=contact_import).count() == 10_000
    assert elapsed < 20, f"{elapsed:.1f} s for 11,000 rows"

    response = owner_client.get(f"/api/v1/contacts/imports/{contact_import.pk}/errors.csv/")
    report = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().removeprefix("\ufeff"))))
    assert len(report) == 1 + 10_000
    assert report[1] == ["3", "Email", "“bad1-at-example.net” is not an email address."]
    assert report[-1] == ["11001", "Email", "“bad10999-at-example.net” is not an email address."]
