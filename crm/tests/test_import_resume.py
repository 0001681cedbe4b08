"""A run that dies keeps every chunk it committed and resumes right after the last one, never importing a row twice."""

import os
import signal
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import DatabaseError, connection

from accounts.tenancy import system_scope
from conftest import run_concurrently
from crm import imports
from crm.models import Contact, ContactImport, DuplicatePolicy, ImportStatus
from crm.tasks import contact_import_run
from crm.tests.factories import csv_upload

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the crash is a PostgreSQL trigger")

URL = "/api/v1/contacts/imports/"
CRASHING_EMAIL = "crash@example.net"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _rows(count: int) -> list[list[str]]:
    return [["Email", "First name"]] + [[f"p{n}@example.net", f"P{n}"] for n in range(count)]


def _queued_import(org, owner, rows, **fields) -> ContactImport:
    # "create" is the policy under which importing a row twice would show as a second contact.
    contact_import = imports.contact_import_create(
        organization=org, actor=owner, upload=csv_upload(rows), duplicate_policy=DuplicatePolicy.CREATE
    )
    ContactImport.objects.filter(pk=contact_import.pk).update(status=ImportStatus.PENDING, **fields)
    return contact_import


@contextmanager
def _database_refuses(email: str):
    """A real failure in the middle of a chunk: PostgreSQL raises when that contact is inserted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_crash_on_email() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.email = '{email}' THEN RAISE EXCEPTION 'simulated crash'; END IF; RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_crash BEFORE INSERT ON crm_contact FOR EACH ROW EXECUTE FUNCTION test_crash_on_email()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_crash ON crm_contact")
            cursor.execute("DROP FUNCTION test_crash_on_email()")


@pytest.mark.django_db
def test_a_crash_mid_file_keeps_the_committed_chunks_and_a_restart_resumes_after_them(
    org, owner, owner_client, django_capture_on_commit_callbacks
):
    rows = _rows(2500)
    rows[2101] = [CRASHING_EMAIL, "Crash"]  # the 2,101st row, in the third chunk of 1,000
    created = owner_client.post(
        URL, {"file": csv_upload(rows), "duplicate_policy": DuplicatePolicy.CREATE}, format="multipart"
    ).json()

    with (
        _database_refuses(CRASHING_EMAIL),
        pytest.raises(DatabaseError, match="simulated crash"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        owner_client.post(f"{URL}{created['id']}/start/")

    failed = owner_client.get(f"{URL}{created['id']}/").json()
    assert (failed["status"], failed["rows_done"], failed["total_rows"], failed["created_count"]) == (
        "failed",
        2000,
        2500,
        2000,
    )
    assert failed["error_summary"].startswith("Stopped by an unexpected error (")
    assert failed["error_summary"].endswith(
        "2000 of 2500 rows are done; start the import again to resume from row 2002."
    )
    assert Contact.objects.count() == 2000

    with django_capture_on_commit_callbacks(execute=True):
        assert owner_client.post(f"{URL}{created['id']}/start/").status_code == 202

    done = owner_client.get(f"{URL}{created['id']}/").json()
    assert (done["status"], done["rows_done"], done["created_count"], done["error_summary"]) == (
        "completed",
        2500,
        2500,
        "",
    )
    emails = Counter(Contact.objects.values_list("email", flat=True))
    assert len(emails) == 2500
    assert set(emails.values()) == {1}
    assert CRASHING_EMAIL in emails


@pytest.mark.django_db
def test_a_run_starts_exactly_at_rows_done(org, owner):
    contact_import = _queued_import(org, owner, _rows(10), rows_done=4, created_count=4)

    contact_import = imports.contact_import_run(import_id=contact_import.pk, chunk_rows=3)

    assert (contact_import.rows_done, contact_import.created_count) == (10, 10)
    assert sorted(Contact.objects.values_list("first_name", flat=True)) == [f"P{n}" for n in range(4, 10)]


@pytest.mark.django_db
def test_the_task_run_again_on_a_completed_import_does_nothing(org, owner):
    contact_import = _queued_import(org, owner, _rows(5))

    assert contact_import_run.delay(organization_id=org.id, import_id=contact_import.pk).get() == "completed"
    assert contact_import_run.delay(organization_id=org.id, import_id=contact_import.pk).get() == "completed"

    assert Contact.objects.count() == 5
    assert ContactImport.objects.get().created_count == 5


@pytest.mark.django_db
def test_an_import_waiting_for_its_mapping_is_not_run(org, owner):
    contact_import = imports.contact_import_create(organization=org, actor=owner, upload=csv_upload(_rows(2)))

    assert imports.contact_import_run(import_id=contact_import.pk).status == ImportStatus.MAPPING
    assert not Contact.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_import_never_import_a_row_twice(org, owner):
    with system_scope():
        contact_import = _queued_import(org, owner, _rows(3000))

    def run():
        return contact_import_run.apply(kwargs={"organization_id": org.id, "import_id": contact_import.pk}).get()

    statuses = run_concurrently(run, times=2)

    assert "completed" in statuses  # the other one either finished first or stood aside

    with system_scope():
        assert Contact.objects.count() == 3000
        assert Contact.objects.values("email").distinct().count() == 3000
        assert ContactImport.objects.get().created_count == 3000


@pytest.mark.django_db
def test_a_stored_file_gone_missing_fails_the_import_with_the_reason(org, owner):
    contact_import = _queued_import(org, owner, _rows(5))
    contact_import.file.storage.delete(contact_import.file.name)

    with pytest.raises(FileNotFoundError) as raised:
        imports.contact_import_run(import_id=contact_import.pk)

    assert "In the process checking the rows" in raised.value.__notes__[0]
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.FAILED
    assert contact_import.error_summary.startswith("Stopped by an unexpected error (FileNotFoundError).")
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_checking_process_killed_mid_file_keeps_what_was_committed(org, owner):
    """The child process checking rows dies (out of memory, say): the chunks already written stay, and the run
    says it stopped rather than waiting for rows that will never come."""
    contact_import = _queued_import(org, owner, _rows(2500))
    committed = []

    def kill_the_checker_after_the_first_chunk(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "crm_contactimport" SET "rows_done"') and not committed:
            committed.append(True)
            for task in Path("/proc/self/task").iterdir():
                for pid in (task / "children").read_text().split():
                    os.kill(int(pid), signal.SIGKILL)
        return result

    with connection.execute_wrapper(kill_the_checker_after_the_first_chunk), pytest.raises(RuntimeError) as raised:
        imports.contact_import_run(import_id=contact_import.pk)

    assert "stopped without a word" in str(raised.value)
    contact_import.refresh_from_db()
    assert (contact_import.status, contact_import.rows_done) in {
        (ImportStatus.FAILED, 1000),
        (ImportStatus.FAILED, 2000),
    }
    assert Contact.objects.count() == contact_import.rows_done
