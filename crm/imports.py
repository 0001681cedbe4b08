"""Importing contacts from a file: upload, column mapping, then a run in chunks that resumes.

1. ``contact_import_create`` reads the upload whole once (crm.import_files),
   keeps it, and guesses which column is which contact field (crm.import_mapping).
2. ``contact_import_configure`` lets the user correct that mapping and choose
   what to do with duplicates; ``contact_import_start`` queues the run.
3. ``contact_import_run`` (a Celery task) streams the file in chunks. Each row
   goes through ``crm.services.contact_values``, so the rules are the API's; a
   bad row becomes lines of the error report and never stops the good ones.
   A child process reads and checks the next chunks while this one writes.
   Each chunk finds its duplicates in one query, writes in bulk (crm.bulk),
   and commits together with ``rows_done``: a run that dies resumes after the
   last committed chunk and never imports a row twice.
"""

import csv
import logging
import multiprocessing
import os
import signal
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.connection import Connection
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Organization, User
from accounts.services import activity_record
from accounts.tenancy import organization_scope
from crm import bulk, import_files, selectors
from crm.import_mapping import ColumnPlan, mapping_clean, mapping_guess
from crm.models import (
    Contact,
    ContactImport,
    ContactImportError,
    ContactSource,
    ContactTag,
    DuplicatePolicy,
    ImportStatus,
    Tag,
)
from crm.services import TEXT_FIELDS, contact_values, entries_union, primary, search_values

logger = logging.getLogger(__name__)

CHUNK_ROWS = 1000
REPORT_PAGE_ROWS = 2000
MAX_TAG_LENGTH = 60
# What an update policy writes over a matching contact (and its updated_at).
_MERGED_FIELDS = [
    *TEXT_FIELDS,
    *("email", "phone", "emails", "phones", "custom_fields", "search_text", "phone_digits"),
]


class ImportConflict(Exception):
    """The import is not in a state that allows this (e.g. changing the mapping of a running import)."""


# -- Upload, configure, start ------------------------------------------------------------------------------------


@transaction.atomic
def contact_import_create(
    *, organization: Organization, actor: User | None, upload: File, duplicate_policy: str = DuplicatePolicy.SKIP
) -> ContactImport:
    """Keep an uploaded file as a new import waiting for its mapping; refuses what cannot be imported."""
    shape = import_files.file_shape(upload)
    contact_import = ContactImport(
        organization=organization,
        created_by=actor,
        original_name=(upload.name or "contacts")[:255],
        file_format=shape.file_format,
        encoding=shape.encoding,
        delimiter=shape.delimiter,
        headers=shape.headers,
        sample_rows=shape.sample_rows,
        total_rows=shape.total_rows,
        duplicate_policy=_policy(duplicate_policy),
        mapping=mapping_guess(headers=shape.headers, organization=organization),
    )
    contact_import.file.save(contact_import.original_name, upload, save=False)
    contact_import.save()
    activity_record(
        organization=organization,
        actor=actor,
        verb="contact_import.uploaded",
        target=contact_import,
        summary=f"{contact_import.original_name}: {shape.total_rows} row(s)",
    )
    return contact_import


def _policy(value: str) -> str:
    if value not in DuplicatePolicy.values:
        raise ValidationError({"duplicate_policy": [f"One of {', '.join(DuplicatePolicy.values)}."]})
    return value


def _locked(contact_import: ContactImport) -> ContactImport:
    return ContactImport.objects.select_for_update().select_related("organization").get(pk=contact_import.pk)


@transaction.atomic
def contact_import_configure(
    *, contact_import: ContactImport, mapping: dict | None = None, duplicate_policy: str | None = None
) -> ContactImport:
    """Change the mapping (the columns given replace theirs) or the duplicate policy, before the run starts."""
    locked = _locked(contact_import)
    if locked.status != ImportStatus.MAPPING:
        raise ImportConflict("This import has started: its mapping and duplicate policy can no longer change.")
    if mapping is not None:
        merged = {**locked.mapping, **mapping} if isinstance(mapping, dict) else mapping
        locked.mapping = mapping_clean(contact_import=locked, mapping=merged)
    if duplicate_policy is not None:
        locked.duplicate_policy = _policy(duplicate_policy)
    locked.save(update_fields=["mapping", "duplicate_policy", "updated_at"])
    return locked


@transaction.atomic
def contact_import_start(
    *, contact_import: ContactImport, actor: User | None, requeue_active: bool = False
) -> ContactImport:
    """Queue the run. A failed import starts again where it stopped; staff may requeue a stalled one."""
    from crm.tasks import contact_import_run as run_task  # the task module imports this one

    locked = _locked(contact_import)
    startable = {ImportStatus.MAPPING, ImportStatus.FAILED}
    if requeue_active:
        startable |= {ImportStatus.PENDING, ImportStatus.RUNNING}
    if locked.status not in startable:
        raise ImportConflict(f"This import is {locked.get_status_display().lower()}: it cannot be started now.")
    mapping_clean(contact_import=locked, mapping=locked.mapping, require_a_field=True)
    locked.status, locked.error_summary = ImportStatus.PENDING, ""
    locked.save(update_fields=["status", "error_summary", "updated_at"])
    activity_record(
        organization=locked.organization,
        actor=actor,
        verb="contact_import.started",
        target=locked,
        summary=locked.original_name,
        data={"resumes_at_row": locked.rows_done + 2} if locked.rows_done else {},
    )
    run_task.delay_on_commit(organization_id=locked.organization_id, import_id=locked.pk)
    return locked


# -- The run -----------------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    values: dict[str, Any]  # the contact's fields (crm.services.contact_values); "id" once it is saved
    tags: list[str]
    encoded: str = ""  # the values as bulk.insert sends them, made while checking; "" once they change


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, message)


@dataclass
class _Writes:
    new: list[_Row] = field(default_factory=list)
    changed: dict[int, dict[str, Any]] = field(default_factory=dict)
    tagged: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)


@dataclass
class _Run:
    contact_import: ContactImport
    plan: ColumnPlan
    tags: dict[str, Tag] = field(default_factory=dict)

    @property
    def organization(self) -> Organization:
        return self.contact_import.organization


@dataclass
class _Chunk:
    """A chunk's rows read and checked: the valid ones, and what became of the others."""

    rows_read: int
    rows: list[_Row]
    outcome: _Outcome


class _Overtaken(Exception):
    """Another run of the same import committed a chunk first; it carries on, this one stops."""


def contact_import_run(*, import_id: int, chunk_rows: int = CHUNK_ROWS) -> ContactImport:
    """Import the rows not imported yet; safe to call again at any time (a finished import does nothing)."""
    contact_import = ContactImport.objects.select_related("organization", "created_by").get(pk=import_id)
    if contact_import.status not in (ImportStatus.PENDING, ImportStatus.RUNNING):
        return contact_import
    _mark_running(contact_import)
    try:
        _run_chunks(_Run(contact_import, ColumnPlan.of(contact_import)), chunk_rows)
    except _Overtaken:
        logger.info("Import %s: another run is further along; this one stops", import_id)
        contact_import.refresh_from_db(fields=_PROGRESS_FIELDS)
        return contact_import
    except ValidationError as error:  # the stored file became unreadable
        _mark_failed(contact_import, " ".join(error.messages))
        return contact_import
    except (OperationalError, InterfaceError):
        raise  # the database went away: the task retries, and resumes from the last committed chunk
    except Exception as error:
        _mark_failed(contact_import, f"Stopped by an unexpected error ({type(error).__name__}).")
        raise
    return _mark_completed(contact_import)


def _mark_running(contact_import: ContactImport) -> None:
    now = timezone.now()
    contact_import.status, contact_import.started_at = ImportStatus.RUNNING, contact_import.started_at or now
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ImportStatus.RUNNING, started_at=contact_import.started_at, updated_at=now
    )


_PROGRESS_FIELDS = ["status", "rows_done", "created_count", "updated_count", "skipped_count", "failed_count"]


def _mark_failed(contact_import: ContactImport, reason: str) -> None:
    contact_import.refresh_from_db(fields=_PROGRESS_FIELDS)
    done, total = contact_import.rows_done, contact_import.total_rows
    summary = f"{reason} {done} of {total} rows are done; start the import again to resume from row {done + 2}."
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ImportStatus.FAILED, error_summary=summary, updated_at=timezone.now()
    )
    contact_import.refresh_from_db(fields=[*_PROGRESS_FIELDS, "error_summary", "updated_at"])


def _mark_completed(contact_import: ContactImport) -> ContactImport:
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ImportStatus.COMPLETED, finished_at=timezone.now(), updated_at=timezone.now()
    )
    contact_import.refresh_from_db(fields=[*_PROGRESS_FIELDS, "finished_at", "updated_at"])
    counts = {
        "created": contact_import.created_count,
        "updated": contact_import.updated_count,
        "skipped": contact_import.skipped_count,
        "failed": contact_import.failed_count,
    }
    activity_record(
        organization=contact_import.organization,
        actor=contact_import.created_by,
        verb="contacts.imported",
        target=contact_import,
        summary=f"{contact_import.original_name}: " + ", ".join(f"{n} {what}" for what, n in counts.items()),
        data=counts,
    )
    return contact_import


def _run_chunks(run: _Run, chunk_rows: int) -> None:
    position = run.contact_import.rows_done
    with _checked_in_a_child_process(run, position, chunk_rows) as chunks:
        for chunk in chunks:
            _commit_chunk(run, chunk, position)
            position += chunk.rows_read


@contextmanager
def _checked_in_a_child_process(run: _Run, position: int, chunk_rows: int) -> Iterator[Iterator[_Chunk]]:
    """The chunks of the file from ``position`` on, read and checked by a forked child process.

    Checking a row (phone numbers, addresses, the industry's fields) costs about twice what
    writing it does, in Python; in a process of its own it runs on another core while this one
    writes, and the pipe between them keeps the child at most a chunk or two ahead. The child
    starts as a copy of this process (the import, its column plan and the industry's fields are
    loaded), so it reads nothing from the database. It must not: it shares this process's
    connection, so any query fails before it is sent. Stopping early (a failed chunk, another
    run ahead) kills the child, which holds nothing but rows not yet committed.
    """
    reader, writer = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:
        reader.close()
        _check_in_child(writer, run, position, chunk_rows)
    writer.close()
    try:
        yield _received(reader)
    finally:
        reader.close()
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _check_in_child(writer: Connection, run: _Run, position: int, chunk_rows: int) -> NoReturn:
    """The child's whole life: every chunk, then None; or the error that stopped it. It leaves
    with os._exit, so nothing of the parent's (its database connection above all) is closed."""
    code = 0
    try:
        with connection.execute_wrapper(_no_queries):
            for chunk in _read_and_checked(run, position, chunk_rows):
                writer.send(chunk)
        writer.send(None)
    except BrokenPipeError:
        code = 1  # the parent stopped reading
    except BaseException as error:
        code = 1
        where = f"In the process checking the rows:\n{traceback.format_exc()}"
        error.add_note(where)
        try:
            writer.send(error)  # the parent raises it: a ValidationError (unreadable file) fails the import
        except Exception:  # it could not be pickled
            with suppress(Exception):
                writer.send(RuntimeError(where))
    finally:
        os._exit(code)


def _no_queries(execute, sql, params, many, context):
    raise AssertionError(f"Checking import rows must not query the database: {sql}")


def _received(reader: Connection) -> Iterator[_Chunk]:
    while True:
        try:
            item = reader.recv()
        except (EOFError, OSError) as error:  # it died between chunks, or in the middle of one
            raise RuntimeError("The process checking the rows stopped without a word.") from error
        if item is None:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def _read_and_checked(run: _Run, position: int, chunk_rows: int) -> Iterator[_Chunk]:
    contact_import = run.contact_import
    with (
        contact_import.file.open("rb") as binary,
        import_files.open_rows(
            binary,
            file_format=contact_import.file_format,
            encoding=contact_import.encoding,
            delimiter=contact_import.delimiter,
        ) as rows,
    ):
        next(rows, None)  # the header
        # Skipping what is done is a parse of the rows, not a read of the database.
        remaining = enumerate(islice(rows, position, contact_import.total_rows), start=position)
        while lines := [(index + 2, cells) for index, cells in islice(remaining, chunk_rows)]:
            outcome = _Outcome()
            checked = [row for number, cells in lines if (row := _validated_row(run, number, cells, outcome))]
            yield _Chunk(len(lines), checked, outcome)


def _commit_chunk(run: _Run, chunk: _Chunk, position: int) -> None:
    """The chunk's contacts, tags, errors and progress, in one transaction: all or none of them."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The duplicate check of a chunk looks up a few thousand values, a few milliseconds:
            # PostgreSQL would start parallel workers for it, which cost more than they save and
            # take the cores the writing and the checking need.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        rows_done = (
            ContactImport.objects.select_for_update().values_list("rows_done", flat=True).get(pk=run.contact_import.pk)
        )
        if rows_done != position:
            raise _Overtaken
        outcome = _import_chunk(run, chunk)
        ContactImport.objects.filter(pk=run.contact_import.pk).update(
            rows_done=position + chunk.rows_read,
            created_count=F("created_count") + outcome.created,
            updated_count=F("updated_count") + outcome.updated,
            skipped_count=F("skipped_count") + outcome.skipped,
            failed_count=F("failed_count") + outcome.failed,
            updated_at=timezone.now(),
        )


def _import_chunk(run: _Run, chunk: _Chunk) -> _Outcome:
    outcome, rows = chunk.outcome, chunk.rows
    if run.contact_import.duplicate_policy == DuplicatePolicy.CREATE:
        writes = _Writes(new=rows, tagged=[(row.values, row.tags) for row in rows])
        outcome.created += len(rows)
    else:
        writes = _sort_duplicates(run, rows, outcome)
    now = timezone.now()
    ids = bulk.insert(
        Contact,
        [row.encoded or row.values for row in writes.new],
        # Being added is a contact's first activity.
        same={"organization_id": run.organization.pk, "created_at": now, "updated_at": now, "last_activity_at": now},
    )
    for row, pk in zip(writes.new, ids, strict=True):
        row.values["id"] = pk
    changed = [values | {"updated_at": now} for values in writes.changed.values()]
    bulk.update(Contact, changed, [*_MERGED_FIELDS, "updated_at"])
    _link_tags(run, writes.tagged)
    bulk.insert(
        ContactImportError,
        [{"row": row, "column": column, "message": message} for row, column, message in outcome.errors],
        same={"organization_id": run.organization.pk, "contact_import_id": run.contact_import.pk},
    )
    return outcome


def _sort_duplicates(run: _Run, rows: list[_Row], outcome: _Outcome) -> _Writes:
    """New contacts, and what the policy does with a row matching a contact or an earlier row."""
    updating = run.contact_import.duplicate_policy == DuplicatePolicy.UPDATE
    matches = _Matches(_existing_matches(run.organization, rows, whole=updating))
    writes = _Writes()
    new_by_values: dict[int, _Row] = {}
    for row in rows:
        target = matches.find(row.values)
        if target is None:
            writes.new.append(row)
            new_by_values[id(row.values)] = row
            writes.tagged.append((row.values, row.tags))
            matches.add(row.values)
            outcome.created += 1
        elif not updating:
            outcome.skipped += 1
        else:
            _merge(target, row.values)
            if "id" in target:
                writes.changed[target["id"]] = target
            else:  # new in this chunk: it goes in merged
                new_by_values[id(target)].encoded = ""
            writes.tagged.append((target, row.tags))
            matches.add(target)
            outcome.updated += 1
    return writes


def _validated_row(run: _Run, number: int, cells: list[str], outcome: _Outcome) -> _Row | None:
    data, tags = run.plan.row_data(cells)
    if not data and not tags and not any(cell.strip() for cell in cells):
        outcome.skipped += 1  # a blank line is not an error
        return None
    try:
        if any(len(tag) > MAX_TAG_LENGTH for tag in tags):
            raise ValidationError({"tags": [f"Each tag is at most {MAX_TAG_LENGTH} characters."]})
        values = contact_values(organization=run.organization, data=data, source=ContactSource.IMPORT)
    except ValidationError as error:
        outcome.failed += 1
        outcome.errors.extend(
            (number, run.plan.column_of(key, message)[:255], message[:1000])
            for key, messages in error.message_dict.items()
            for message in messages
        )
        return None
    return _Row(number, values, tags, bulk.encode(values))


class _Matches:
    """Contacts by every email and phone they have: the live ones found in the database, then the file's own."""

    def __init__(self, contacts: list[dict[str, Any]]):
        self._by_key: dict[tuple[str, str], dict[str, Any]] = {}
        for contact in contacts:
            self.add(contact)

    def add(self, contact: dict[str, Any]) -> None:
        for key in _keys(contact):
            self._by_key.setdefault(key, contact)  # the oldest contact wins a shared address

    def find(self, contact: dict[str, Any]) -> dict[str, Any] | None:
        # Emails first: a shared household phone is weaker evidence than an email.
        return next((self._by_key[key] for key in _keys(contact) if key in self._by_key), None)


def _keys(contact: dict[str, Any]) -> list[tuple[str, str]]:
    """Every address and number, primary ones first (dict.fromkeys: unique, in order)."""
    emails = dict.fromkeys([contact["email"], *(entry["value"] for entry in contact["emails"])])
    phones = dict.fromkeys([contact["phone"], *(entry["value"] for entry in contact["phones"])])
    return [("email", e) for e in emails if e] + [("phone", p) for p in phones if p]


def _existing_matches(organization: Organization, rows: list[_Row], *, whole: bool) -> list[dict[str, Any]]:
    """The live contacts sharing a primary email or phone with any row of the chunk, in one query;
    ``whole`` loads what an update writes, else only what matching reads."""
    emails = {entry["value"] for row in rows for entry in row.values["emails"]}
    phones = {entry["value"] for row in rows for entry in row.values["phones"]}
    if not (emails or phones):
        return []
    contacts = selectors.contacts_with_primary(organization=organization, emails=list(emails), phones=list(phones))
    fields = ["organization_id", *_MERGED_FIELDS] if whole else ["email", "phone", "emails", "phones"]
    return list(contacts.order_by("id").values("id", *fields))


def _merge(target: dict[str, Any], incoming: dict[str, Any]) -> None:
    """What the row says wins over what the contact had; addresses and numbers are added, never dropped."""
    for name in TEXT_FIELDS:
        if value := incoming[name]:
            target[name] = value
    target["emails"] = entries_union(target["emails"], incoming["emails"])
    target["phones"] = entries_union(target["phones"], incoming["phones"])
    target["email"], target["phone"] = primary(target["emails"]), primary(target["phones"])
    target["custom_fields"] = {**target["custom_fields"], **incoming["custom_fields"]}
    target["search_text"], target["phone_digits"] = search_values(
        target["first_name"], target["last_name"], target["company"], target["emails"], target["phones"]
    )


def _link_tags(run: _Run, tagged: list[tuple[dict[str, Any], list[str]]]) -> None:
    names: dict[str, str] = {}
    for _, tags in tagged:
        for name in tags:
            names.setdefault(name.lower(), name)  # a new tag is spelled as it first appears
    missing = set(names) - set(run.tags)
    if missing:
        Tag.objects.bulk_create(
            [Tag(organization=run.organization, name=names[key]) for key in missing], ignore_conflicts=True
        )
        found = Tag.objects.filter(organization=run.organization).annotate(key=Lower("name")).filter(key__in=missing)
        run.tags.update({tag.key: tag for tag in found})
    links = {
        (contact["id"], run.tags[name.lower()].pk)
        for contact, tags in tagged
        for name in tags
        if name.lower() in run.tags
    }
    bulk.insert_ignoring_conflicts(
        ContactTag,
        [{"organization_id": run.organization.pk, "contact_id": c, "tag_id": t} for c, t in links],
    )  # an updated contact may have the tag already


# -- The error report ------------------------------------------------------------------------------------------


class _Line:
    """csv.writer writes to this and gets the line back, so rows can be streamed."""

    def write(self, text: str) -> str:
        return text


def _spreadsheet_safe(text: str) -> str:
    """Cells are shown in Excel: text that would start a formula is made to read as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def contact_import_error_report(*, contact_import: ContactImport) -> Iterator[str]:
    """The error report as CSV (row, column, message), a page of rows at a time, in constant memory.

    It is read while the response streams, after the view has returned and its
    tenancy scope has ended, so it enters the organization's scope itself.
    """
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(["row", "column", "message"])  # the BOM makes Excel read UTF-8
    errors = ContactImportError.objects.filter(
        organization_id=contact_import.organization_id, contact_import_id=contact_import.pk
    ).order_by("id")
    last_id = 0
    while True:
        with organization_scope(contact_import.organization_id):
            page = list(errors.filter(id__gt=last_id).values_list("id", "row", "column", "message")[:REPORT_PAGE_ROWS])
        if not page:
            return
        yield "".join(
            writer.writerow([row, _spreadsheet_safe(col), _spreadsheet_safe(msg)]) for _, row, col, msg in page
        )
        last_id = page[-1][0]
