"""Contacts in and out at scale: the importer against PostgreSQL COPY, and the export's memory at 1M.

1. Import: writes a CSV of ``--rows`` contacts (names, emails, US phones in mixed formats, companies,
   cities, tags on some rows, a few rows repeating an earlier row's email) to bench/results/, creates a
   fresh organization ("import-bench", deleted again afterwards), uploads and starts the import as the
   API does, and a Celery worker process runs it (``crm.imports.contact_import_run``). Beside it,
   PostgreSQL COPY of the same file into an unlogged table of text columns: the ceiling.
   ``measure_import`` does it all; bench/run.py's ``contacts-import`` scenario calls it too.
2. Export: starts gunicorn with one worker (DEBUG off), streams ``GET /api/v1/contacts/export/`` of the
   1M-contact organization to nowhere, and samples the worker's RSS every 0.2 s (``run_export``, also
   bench/run.py's ``contacts-export``).

Needs the data of bench/contacts_generate.py (and its bench/results/contacts_tokens.json).

    .venv/bin/python bench/contacts_import_export.py
"""

import argparse
import csv
import http.client
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.contacts_generate import AREA_CODES, CITIES, names

SLUG = "import-bench"
HEADER = ["First name", "Last name", "Email", "Phone", "Company", "City", "Tags"]
COPY_TABLE = "bench_copy_target"
TAGS = ("VIP", "Newsletter", "Spring promo", "Referral", "Commercial", "Lead")
SAMPLE_SECONDS = 0.2
DUPLICATES = 0.02  # share of the file's rows repeating an earlier row's email
TARGET_ROWS_PER_SECOND = 5_000  # the target for the importer
TARGET_EXPORT_MB_ABOVE_IDLE = 50  # the target for the export worker's memory


# -- Import ------------------------------------------------------------------------------------------------------


def us_phone(rng: random.Random) -> str:
    """A US number written the way people type them."""
    area, exchange, line = rng.choice(AREA_CODES), rng.randint(200, 999), f"{rng.randint(0, 9999):04d}"
    return rng.choice(
        (
            f"({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"{area}.{exchange}.{line}",
            f"+1 {area} {exchange} {line}",
            f"1-{area}-{exchange}-{line}",
            f"{area}{exchange}{line}",
        )
    )


def write_csv(path: Path, rows: int, duplicates: float, seed: int = 11) -> int:
    """The file to import; returns how many rows repeat an earlier row's email (the importer skips them)."""
    first_names, last_names, companies = names()
    rng = random.Random(seed)
    emails: list[str] = []
    repeated = 0
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for index in range(rows):
            first, last = rng.choice(first_names), rng.choice(last_names)
            if emails and rng.random() < duplicates:
                email, repeated = rng.choice(emails), repeated + 1
            else:
                email = f"{first}.{last}.{index}@example.net".lower().replace("'", "")
                emails.append(email)
            company = rng.choice(companies) if rng.random() < 0.3 else ""
            tags = ", ".join(rng.sample(TAGS, rng.randint(1, 2))) if rng.random() < 0.3 else ""
            writer.writerow([first, last, email, us_phone(rng), company, rng.choice(CITIES)[0], tags])
    return repeated


def organization_delete() -> None:
    """Remove the import organization of an earlier run, its contacts and its uploaded files."""
    from django.db import connection

    from accounts.models import Organization
    from accounts.tenancy import system_scope
    from crm.models import ContactImport

    with system_scope():
        earlier = Organization.objects.filter(slug=SLUG).first()
        if earlier is None:
            return
        started = time.monotonic()
        for contact_import in ContactImport.objects.filter(organization=earlier):
            contact_import.file.delete(save=False)
        earlier.delete()
    # Else autovacuum clears the deleted rows while the next import runs, and times it too.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM crm_contact, crm_contacttag, crm_searchword")
    print(f"  deleted the {SLUG} organization and vacuumed ({time.monotonic() - started:.1f} s)", flush=True)


def fresh_organization():
    from accounts import services
    from accounts.models import User
    from accounts.tenancy import system_scope

    organization_delete()
    with system_scope():
        owner, _ = User.objects.get_or_create(email=f"owner@{SLUG}.example")
        organization = services.organization_create(
            name="Import Bench", slug=SLUG, owner=owner, timezone="America/Chicago"
        )
    return organization, owner


def _finished(import_id: int, timeout: float = 600):
    from crm.models import ContactImport, ImportStatus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = ContactImport.objects.get(pk=import_id)
        if current.status in (ImportStatus.COMPLETED, ImportStatus.FAILED):
            return current
        time.sleep(0.05)
    raise RuntimeError("the import did not finish")


def run_importer(env: dict, path: Path) -> dict:
    from django.core.files import File

    from accounts.tenancy import organization_scope
    from crm import imports

    organization, owner = fresh_organization()
    with organization_scope(organization.id):
        started = time.perf_counter()
        with path.open("rb") as handle:
            contact_import = imports.contact_import_create(
                organization=organization, actor=owner, upload=File(handle, name=path.name)
            )
        upload_seconds = time.perf_counter() - started
    # Started as the API starts it: a Celery worker process picks the run up.
    worker = common.start_worker(env, "import_worker.log")
    try:
        common.wait_for_worker(worker)
        with organization_scope(organization.id):
            started = time.perf_counter()
            imports.contact_import_start(contact_import=contact_import, actor=owner)
            done = _finished(contact_import.pk)
            seconds = time.perf_counter() - started
    finally:
        common.stop(worker)
    return {
        "organization_id": organization.id,
        "import_id": done.pk,
        "mapping": contact_import.mapping,
        "status": done.status,
        "error_summary": done.error_summary,
        "total_rows": done.total_rows,
        "rows_done": done.rows_done,
        "created": done.created_count,
        "updated": done.updated_count,
        "skipped": done.skipped_count,
        "failed": done.failed_count,
        "upload_seconds": round(upload_seconds, 2),
        "seconds": round(seconds, 2),
        "rows_per_second": round(done.total_rows / seconds),
    }


def run_copy(path: Path, database_url: str) -> dict:
    import psycopg

    columns = ", ".join(f"{name.lower().replace(' ', '_')} text" for name in HEADER)
    with psycopg.connect(common.admin_url(database_url), autocommit=True) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        connection.execute(f"CREATE UNLOGGED TABLE {COPY_TABLE} ({columns})")
        try:
            started = time.perf_counter()
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {COPY_TABLE} FROM STDIN WITH (FORMAT csv, HEADER)") as copy,
                path.open("rb") as handle,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)
            seconds = time.perf_counter() - started
            rows = connection.execute(f"SELECT count(*) FROM {COPY_TABLE}").fetchone()[0]
        finally:
            connection.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_second": round(rows / seconds)}


def measure_import(env: dict, rows: int, duplicates: float = DUPLICATES) -> dict:
    """The file written, the importer run in a worker, COPY of the same file, and the import
    organization deleted afterwards. ``errors`` counts rows of the (valid) file that failed or were
    not accounted for, at least 1 if the import did not complete."""
    path = common.RESULTS / f"contacts_import_{rows}.csv"
    repeated = write_csv(path, rows, duplicates)
    print(f"  {path.name}: {rows:,} rows, {repeated:,} repeating an earlier email", flush=True)
    try:
        importer = run_importer(env, path)
    finally:
        organization_delete()  # so that the next run starts alike and the data set stays as generated
    print(f"  importer: {importer['seconds']} s, {importer['rows_per_second']:,} rows/s", flush=True)
    copy = run_copy(path, env["DATABASE_URL"])
    unaccounted = rows - importer["created"] - importer["skipped"] - importer["failed"]
    errors = importer["failed"] + max(0, unaccounted)
    if importer["status"] != "completed":
        errors = max(1, errors)
    return {
        "file": str(path.relative_to(common.ROOT)),
        "file_bytes": path.stat().st_size,
        "rows": rows,
        "rows_repeating_an_email": repeated,
        "importer": importer,
        "copy": copy,
        "copy_over_importer": round(copy["rows_per_second"] / importer["rows_per_second"], 1),
        "target_rows_per_second": TARGET_ROWS_PER_SECOND,
        "errors": errors,
    }


# -- Export ------------------------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (this kernel has no /proc/<pid>/task/*/children)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class RssSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stopping = pid, [], threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.samples.append((time.monotonic(), rss_mb(self.pid)))
            except OSError:
                return  # the worker is gone (killed by gunicorn's timeout)
            self.stopping.wait(SAMPLE_SECONDS)

    def stop(self) -> list[float]:
        self.stopping.set()
        self.join()
        return [mb for _, mb in self.samples]


def get(path: str, token: str) -> tuple[int, int, bool]:
    """Status, body size and whether the body came whole, read in 64 KiB pieces and dropped."""
    connection = http.client.HTTPConnection("127.0.0.1", common.PORT, timeout=600)
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    size, whole = 0, True
    try:
        while block := response.read(1 << 16):
            size += len(block)
    except http.client.IncompleteRead as cut:  # the server closed the connection mid-body
        size, whole = size + len(cut.partial), False
    connection.close()
    return response.status, size, whole


def wait_for_api(token: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if get("/api/v1/contacts/", token)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the API did not answer")


def run_export(env: dict, big: dict, small: dict) -> dict:
    web = common.start_web(env, workers=1)
    log = common.RESULTS / "web.log"
    try:
        wait_for_api(big["token"])
        workers = children(web.pid)
        assert len(workers) == 1, f"expected one gunicorn worker, found {workers}"
        worker = workers[0]
        # Warm the worker: the list, and a whole export of the small organization.
        get("/api/v1/contacts/", big["token"])
        small_status, small_bytes, _ = get("/api/v1/contacts/export/", small["token"])
        time.sleep(1)
        idle = RssSampler(worker)
        idle.start()
        time.sleep(2)
        idle_mb = statistics.median(idle.stop())
        sampler = RssSampler(worker)
        sampler.start()
        started = time.perf_counter()
        status, size, whole = get("/api/v1/contacts/export/", big["token"])
        seconds = time.perf_counter() - started
        during = sampler.stop()
        after_mb = rss_mb(worker) if Path(f"/proc/{worker}").exists() else None
    finally:
        common.stop(web)
    timed_out = "WORKER TIMEOUT" in log.read_text()
    peak_mb = max(during)
    return {
        "contacts": big["contacts"],
        "warm_up_export_small": {"status": small_status, "bytes": small_bytes},
        "gunicorn_arguments": env.get("GUNICORN_CMD_ARGS", ""),
        "status": status,
        "complete": whole,
        "worker_timeout": timed_out,
        "bytes": size,
        "seconds": round(seconds, 1),
        "megabytes_per_second": round(size / seconds / 2**20, 1),
        "rows_per_second": round(big["contacts"] / seconds) if whole else None,
        "worker_rss_idle_mb": round(idle_mb, 1),
        "worker_rss_peak_mb": round(peak_mb, 1),
        "worker_rss_peak_above_idle_mb": round(peak_mb - idle_mb, 1),
        "worker_rss_after_mb": round(after_mb, 1) if after_mb is not None else None,
        "samples": len(during),
        "target_peak_above_idle_mb": TARGET_EXPORT_MB_ABOVE_IDLE,
        "errors": 0 if status == 200 and whole and not timed_out else 1,
    }


# -- Main --------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--duplicates", type=float, default=DUPLICATES, help="share of rows repeating an earlier email")
    parser.add_argument("--export-timeout", type=int, default=600, help="gunicorn --timeout of the second export")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--out", default=str(common.RESULTS / "contacts_import_export.json"))
    args = parser.parse_args()

    tokens = json.loads(common.tokens_file("contacts").read_text())
    big, small = tokens["big-plumbing"], tokens["small-salon"]
    env = common.production_environment()
    common.prepare_database(env)  # the import tables, if the database predates them
    common.setup_django(env)
    command = "bench/contacts_import_export.py" + (f" --rows {args.rows}" if args.rows != 100_000 else "")
    result = {"date": time.strftime("%Y-%m-%d"), "machine": common.machine(), "command": command}

    if not args.skip_import:
        result["import"] = measure_import(env, args.rows, args.duplicates)
    if not args.skip_export:
        # As production starts it (`gunicorn config.wsgi`: sync workers, 30 s timeout), then with a
        # timeout long enough for the whole file.
        result["export"] = run_export(env, big, small)
        print(f"  export, default timeout: {result['export']['seconds']} s", flush=True)
        long = {**env, "GUNICORN_CMD_ARGS": f"--timeout {args.export_timeout}"}
        result["export_long_timeout"] = run_export(long, big, small)

    Path(args.out).write_text(json.dumps(result, indent=2))
    print_table(result)
    return 0


def print_table(result: dict) -> None:
    if "import" in result:
        imported = result["import"]
        importer, copy = imported["importer"], imported["copy"]
        print(f"\n| import of {imported['rows']:,} rows | seconds | rows/s |\n|---|---|---|")
        print(f"| `contact_import_run` | {importer['seconds']} | {importer['rows_per_second']:,} |")
        print(f"| COPY into an unlogged text table | {copy['seconds']} | {copy['rows_per_second']:,} |")
        print(
            f"\nCOPY / importer: {imported['copy_over_importer']}. Importer: {importer['status']}, "
            f"{importer['created']:,} created, {importer['skipped']:,} skipped, {importer['failed']:,} failed "
            f"(upload and scan {importer['upload_seconds']} s)."
        )
    exports = {key: result[key] for key in ("export", "export_long_timeout") if key in result}
    if exports:
        first = next(iter(exports.values()))
        labels = [f"`{e['gunicorn_arguments'] or 'gunicorn.conf.py'}`" for e in exports.values()]
        print(f"\n| export of {first['contacts']:,} contacts, one worker | {' | '.join(labels)} |")
        print("|---|" + "---|" * len(exports))
        rows = {
            "status": lambda e: f"{e['status']}{'' if e['complete'] else ', cut off'}",
            "worker timeout": lambda e: "yes" if e["worker_timeout"] else "no",
            "bytes": lambda e: f"{e['bytes']:,}",
            "seconds": lambda e: e["seconds"],
            "worker RSS idle": lambda e: f"{e['worker_rss_idle_mb']} MB",
            "worker RSS peak": lambda e: f"{e['worker_rss_peak_mb']} MB",
            "peak above idle": lambda e: f"{e['worker_rss_peak_above_idle_mb']} MB",
            "worker RSS after": lambda e: f"{e['worker_rss_after_mb']} MB",
        }
        for name, cell in rows.items():
            print(f"| {name} | {' | '.join(str(cell(e)) for e in exports.values())} |")


if __name__ == "__main__":
    sys.exit(main())
