"""The benchmark runner: build a data set at a chosen scale, start the product as production runs
it, drive each scenario from a separate load generator, and write the results.

    .venv/bin/python bench/run.py --scale small        # what `make bench` runs: about 4.5 minutes on 2 cores
    .venv/bin/python bench/run.py --scale large        # the sizes named in the issues
    .venv/bin/python bench/run.py --only contacts-search,load-mix --seconds 5 --reuse-data

Scales (``SCALES``):

- **small**, in its own database (``bizbox_bench_small``) and Redis db 4, so that it never
  touches the large data set: 20,000 contacts in one organization among four small ones, a
  salon of 10 staff with 2,000 bookings (the next 45 days filled to about half, then about two
  weeks back) among two smaller businesses, and an inbox of 10,000 threads and 100,000 messages
  beside one of 1,000 threads; 8 s per scenario, 60 s of load without loss.
- **large**, in the benchmark database (``bizbox_bench``, ``BENCH_DATABASE_URL``) and Redis db 3:
  1,000,000 contacts in one organization among 20 of 50,000 (and one of 10,000), the salon
  with 20,000 bookings (back about a year and a half) beside a copy with 200,000 and five other
  businesses of 10,000, and the inbox of 100,000 threads and 1,000,000 messages beside one of
  1,000 threads (the defaults of ``bench/contacts_generate.py``, ``bench/scheduling_generate.py``
  and ``bench/inbox_generate.py``); 30 s per scenario, 5 minutes of load without loss.

The product runs under gunicorn (``gunicorn.conf.py``: 2 workers of 4 threads, ``DEBUG`` off,
PostgreSQL and Redis) with the baseline views of ``bench/views.py``. wrk drives each scenario
(2 threads, 8 connections, ``Connection: close``: see ``common.wrk``); the load without loss
comes from ``bench/load_mix.py`` in a process of its own. Scenarios (``SCENARIOS``):

- ``ceiling``: a constant JSON view, the machine's ceiling for a Django view (always measured:
  every row's last ratio is to it);
- ``contacts-list``: ``GET /api/v1/contacts/`` of the big organization against its hand-written
  ``.values()`` baseline;
- ``contacts-search``: a name, a partial phone and a one-letter typo of a real contact;
- ``calendar-week``: ``GET /api/v1/calendar/`` of next week against its ``.values()`` baseline;
- ``free-slots``: ``GET /api/v1/availability/slots/`` over 30 days for all 10 staff;
- ``inbox-threads``: ``GET /api/v1/inbox/threads/?status=open&unread=true`` of the busy inbox
  against its ``.values()`` baseline;
- ``inbox-counts``: ``GET /api/v1/inbox/threads/counts/`` against its ``.values()`` baseline;
- ``inbox-webhooks``: Twilio SMS webhooks to the busy inbox, signed as Twilio signs them, each
  with a new MessageSid (``inbox_api.signed_requests`` and ``inbox_api.wrk_signed_posts``);
- ``load-mix``: 16 clients, a steady mix of reads and writes (inbound webhooks and outbound
  messages among them), then the check that every accepted write exists exactly once
  (``bench/load_mix.py``).

Then, with the runner's gunicorn stopped, the scenarios that start processes of their own
(``ALONE``), through the functions the per-issue scripts' command lines call:

- ``contacts-import``: the scale's CSV (10,000 rows small, 100,000 large) through the importer in
  a Celery worker, in rows/s, against PostgreSQL COPY of the same file
  (``contacts_import_export.measure_import``);
- ``contacts-export``: the big organization's export streamed from gunicorn with one worker, its
  rows/s and the worker's peak RSS above idle (``contacts_import_export.run_export``);
- ``checkout-webhooks``: signed Stripe checkouts (30 small, 200 large, 5 a second) against fake
  Stripe and email services: webhook response, POST to account, POST to email
  (``checkout_webhooks.measure``);
- ``inbox-live``: gunicorn and daphne side by side, signed SMS webhooks (200 small, 300 large)
  posted one after another, each timed until a websocket client hears its message
  (``inbox_live.run``).

The inbox's webhooks come from contacts whose SMS thread is already unread
(``inbox_api.unread_sms_numbers``), so they leave the thread list and the counts taking in the
same threads for the next run; one in ten of the wrk scenario's comes from a new number (a new
contact and thread, as in ``bench/inbox_api.py``), and the scenario deletes those contacts when
it ends.

Writes ``bench/results/latest.json`` and ``bench/results/latest.md`` (the table), and exits with
1 if a scenario had errors or the load without loss check failed.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (
    checkout_webhooks,
    common,
    contacts_api,
    contacts_generate,
    contacts_import_export,
    inbox_api,
    inbox_generate,
    inbox_live,
    load_mix,
    scheduling_api,
    scheduling_generate,
)

BIG, SALON, INBOX, QUIET_INBOX = "big-plumbing", "lakeview-salon", "busy-inbox", "quiet-inbox"
CLIENTS = 16


@dataclass(frozen=True)
class Scale:
    database_suffix: str
    redis_db: int
    contacts: contacts_generate.Sizes
    scheduling: scheduling_generate.Sizes
    inbox: inbox_generate.Sizes
    seconds: int  # each wrk scenario
    mix_seconds: int
    import_rows: int
    checkouts: int
    checkout_rate: float  # checkouts a second
    live_messages: int  # webhooks timed to the websocket, one after another


SCALES = {
    "small": Scale(
        database_suffix="_small",
        redis_db=4,
        contacts=contacts_generate.Sizes(big=20_000, small=2_000, others=3, each=2_000),
        scheduling=scheduling_generate.Sizes(bookings=2_000, history=0, contacts=1_000, others=2, each=1_000),
        inbox=inbox_generate.Sizes(threads=10_000, per_thread=10, small_threads=1_000),
        seconds=8,
        mix_seconds=60,
        import_rows=10_000,
        checkouts=30,
        checkout_rate=5.0,
        live_messages=200,
    ),
    "large": Scale(
        database_suffix="",
        redis_db=int(urlparse(common.REDIS_URL).path.lstrip("/") or 0),
        contacts=contacts_generate.Sizes(),
        scheduling=scheduling_generate.Sizes(),
        inbox=inbox_generate.Sizes(),
        seconds=30,
        mix_seconds=300,
        import_rows=100_000,
        checkouts=200,
        checkout_rate=5.0,
        live_messages=300,
    ),
}


@dataclass
class Bench:
    """What a scenario needs: the server, the data set's tokens and ids, and how long to measure."""

    web: subprocess.Popen
    database: str
    contacts: dict
    salon: dict
    inbox: dict
    seconds: int
    quiet_wait: float
    now: datetime

    def measure(self, scenario: str, path: str, token: str, baseline: str | None = None) -> dict:
        common.timed_gets(path, token, 5)  # each must answer 200; warms the worker
        return self.measure_load(scenario, path, lambda: common.wrk(path, token, self.seconds, close=True), baseline)

    def measure_load(self, scenario: str, path: str, load: Callable[[], dict], baseline: str | None = None) -> dict:
        """One row from ``load``, a wrk run returning ``common.wrk_report``'s figures."""
        busy = common.wait_for_quiet(self.quiet_wait) if self.quiet_wait else common.cpu_busy_share(1.0)
        cpu_before = common.cpu_seconds(self.web)
        row = load()
        cpu = common.cpu_seconds(self.web) - cpu_before
        print(f"  {scenario}: {row['requests_per_second']:,.0f} requests/s", flush=True)
        return {
            "scenario": scenario,
            "path": path,
            "baseline": baseline,
            **row,
            "errors": row["non_2xx"] + row["socket_errors"],
            "server_cpu_ms_per_request": round(cpu * 1000 / max(1, row["requests"]), 2),
            "cpu_busy_before": busy,
        }


CEILING = "ceiling: constant JSON view"


def ceiling(bench: Bench) -> list[dict]:
    return [bench.measure(CEILING, "/bench/constant/", bench.contacts["token"])]


def contacts_list(bench: Bench) -> list[dict]:
    size = f"{bench.contacts['contacts']:,} contacts"
    baseline = f"contacts list: .values() view, {size}"
    return [
        bench.measure(baseline, "/bench/contacts-values/", bench.contacts["token"]),
        bench.measure(f"contacts list: API, {size}", "/api/v1/contacts/", bench.contacts["token"], baseline),
    ]


def contacts_search(bench: Bench) -> list[dict]:
    terms = contacts_api.search_terms(bench.contacts["organization_id"])
    return [
        bench.measure(
            f"contacts search: {kind} ({term})", f"/api/v1/contacts/?search={quote(term)}", bench.contacts["token"]
        )
        for kind, term in terms.items()
    ]


def calendar_week(bench: Bench) -> list[dict]:
    week = scheduling_api.next_week(bench.salon, bench.now)
    baseline = "calendar week: .values() view"
    return [
        bench.measure(baseline, f"/bench/scheduling-calendar-values/?{week}", bench.salon["token"]),
        bench.measure("calendar week: API", f"/api/v1/calendar/?{week}", bench.salon["token"], baseline),
    ]


def free_slots(bench: Bench) -> list[dict]:
    path = scheduling_api.slots_path(bench.salon, bench.now)
    return [bench.measure("free slots: 30 days, 10 staff", path, bench.salon["token"])]


def inbox_threads(bench: Bench) -> list[dict]:
    size = f"{bench.inbox['threads']:,} threads"
    baseline = f"inbox unread threads: .values() view, {size}"
    return [
        bench.measure(baseline, inbox_api.THREADS_BASELINE_PATH, bench.inbox["token"]),
        bench.measure(f"inbox unread threads: API, {size}", inbox_api.THREADS_PATH, bench.inbox["token"], baseline),
    ]


def inbox_counts(bench: Bench) -> list[dict]:
    baseline = "inbox counts: .values() view"
    return [
        bench.measure(baseline, inbox_api.COUNTS_BASELINE_PATH, bench.inbox["token"]),
        bench.measure("inbox counts: API", inbox_api.COUNTS_PATH, bench.inbox["token"], baseline),
    ]


def inbox_webhooks(bench: Bench) -> list[dict]:
    """Twilio SMS webhooks, every one a new message: more prepared than wrk can send (400 a second)."""
    inbox = bench.inbox
    senders = inbox_api.unread_sms_numbers(inbox["organization_id"])
    prepared = common.results_file("inbound_webhooks.txt", bench.database)
    inbox_api.signed_requests(inbox, senders, 400 * bench.seconds, prepared)
    scenario = f"inbound webhooks: signed Twilio SMS, {inbox['messages']:,} messages"
    path = inbox_api.WEBHOOK_PATH
    started = datetime.now(UTC)
    try:
        return [bench.measure_load(scenario, path, lambda: inbox_api.wrk_signed_posts(prepared, bench.seconds))]
    finally:
        time.sleep(2)  # the requests wrk left in flight when it stopped are still being answered
        new_contacts_delete(inbox["organization_id"], since=started)


def new_contacts_delete(organization_id: int, since: datetime) -> int:
    """Delete the contacts that webhooks from new numbers created since ``since``, with their
    threads and messages: each is another unread thread, and the next run on the same data
    (``--reuse-data``) should list and count the threads this one did. The generators' contacts
    were all created earlier."""
    from accounts.tenancy import system_scope
    from crm.models import Contact

    with system_scope():
        return Contact.objects.filter(organization_id=organization_id, created_at__gte=since).delete()[0]


SCENARIOS: dict[str, Callable[[Bench], list[dict]]] = {
    "ceiling": ceiling,
    "contacts-list": contacts_list,
    "contacts-search": contacts_search,
    "calendar-week": calendar_week,
    "free-slots": free_slots,
    "inbox-threads": inbox_threads,
    "inbox-counts": inbox_counts,
    "inbox-webhooks": inbox_webhooks,
}
LOAD_MIX = "load-mix"


def load_without_loss(bench: Bench, seconds: int) -> tuple[dict, dict]:
    """The mix from its own process, then the check in the database; the table's row and the details."""
    plan = load_mix.plan_for(
        contacts=bench.contacts, salon=bench.salon, inbox=bench.inbox, seconds=seconds, clients=CLIENTS
    )
    print(f"  load without loss: {CLIENTS} clients for {seconds} s ({plan['run']})", flush=True)
    busy = common.cpu_busy_share(1.0)
    cpu_before = common.cpu_seconds(bench.web)
    driven = load_mix.drive_in_subprocess(plan)
    cpu = common.cpu_seconds(bench.web) - cpu_before
    report = load_mix.report(driven, planned=seconds)
    check = load_mix.check(plan, driven["outcomes"])
    print(f"  load without loss: {report['requests_per_second']:,.0f} requests/s, check passed: {check['passed']}")
    row = {
        "scenario": f"load without loss: {CLIENTS} clients, mixed",
        "path": "bench/load_mix.py",
        "baseline": None,
        "requests_per_second": report["requests_per_second"],
        "requests": report["requests"],
        "latency_ms": {str(share): report[f"p{share}_ms"] for share in (50, 95, 99)},
        "errors": report["errors"],
        "server_cpu_ms_per_request": round(cpu * 1000 / max(1, report["requests"]), 2),
        "cpu_busy_before": busy,
    }
    return row, {"run": plan["run"], "clients": CLIENTS, **report, "check": check}


def ratio(value: float | None, to: float | None, digits: int) -> float | None:
    """``value / to`` to ``digits`` decimals, or to two significant figures when that would show 0
    (the importer against COPY)."""
    if value is None or not to:
        return None
    share = value / to
    return round(share, digits) if share >= 10**-digits * 10 else float(f"{share:.2g}")


def with_ratios(rows: list[dict]) -> list[dict]:
    """Each row's throughput (``per_second`` of ``unit``: requests for wrk and the load mix, rows or
    checkouts otherwise) against its baseline's, and against the ceiling's if both count requests."""
    for row in rows:
        row.setdefault("per_second", row.get("requests_per_second"))
        row.setdefault("unit", "requests")
    rates = {row["scenario"]: row["per_second"] for row in rows}
    ceiling_rate = rates.get(CEILING)
    for row in rows:
        baseline = rates.get(row["baseline"]) if row["baseline"] else None
        row["ratio_to_baseline"] = ratio(row["per_second"], baseline, 2)
        row["ratio_to_ceiling"] = ratio(row["per_second"], ceiling_rate, 3) if row["unit"] == "requests" else None
    return rows


# The scenarios that start processes of their own ----------------------------------------------
#
# They run after the runner's gunicorn has stopped: the export and the checkouts start their own
# server on the same port (one worker for the export's memory, a Celery worker beside it for the
# checkouts), the import a Celery worker, the inbox's live updates gunicorn with daphne on the next
# port. Each returns its table rows and its details for the JSON.


@dataclass
class Alone:
    env: dict  # the runner's environment: the scale's database and Redis db
    data: dict
    scale: Scale


def other_row(
    scenario: str, per_second: float | None, unit: str, errors: int, *, path: str, baseline: str | None = None,
    latency: dict | None = None, busy: float | None = None, **extra,
) -> dict:  # fmt: skip
    """A table row for a measure wrk did not take."""
    latency = latency or {}
    return {
        "scenario": scenario,
        "path": path,
        "baseline": baseline,
        "per_second": per_second,
        "unit": unit,
        "latency_ms": {
            share: latency.get(key) for share, key in (("50", "median_ms"), ("95", "p95_ms"), ("99", "p99_ms"))
        },
        "errors": errors,
        "cpu_busy_before": busy,
        **extra,
    }


def contacts_import(alone: Alone) -> tuple[list[dict], dict]:
    busy = common.cpu_busy_share(1.0)
    done = contacts_import_export.measure_import(alone.env, alone.scale.import_rows)
    rows, importer, copy = done["rows"], done["importer"], done["copy"]
    baseline = f"contacts import: COPY into an unlogged text table, {rows:,} rows"
    path = "bench/contacts_import_export.py"
    table = [
        other_row(baseline, copy["rows_per_second"], "rows", int(copy["rows"] != rows), path=path, busy=busy),
        other_row(
            f"contacts import: importer in a Celery worker, {rows:,} rows",
            importer["rows_per_second"], "rows", done["errors"], path=path, baseline=baseline, busy=busy,
            target_rows_per_second=done["target_rows_per_second"],
        ),
    ]  # fmt: skip
    met = "met" if importer["rows_per_second"] >= done["target_rows_per_second"] else "**not met**"
    done["note"] = (
        f"Contacts import, {rows:,} rows ({done['rows_repeating_an_email']:,} repeating an earlier email, "
        f"{done['file_bytes'] / 2**20:.1f} MB): the importer took {importer['seconds']} s, "
        f"{importer['rows_per_second']:,} rows/s (target at least {done['target_rows_per_second']:,}: {met}); "
        f"{importer['status']}, {importer['created']:,} created, {importer['skipped']:,} skipped, "
        f"{importer['failed']:,} failed. COPY of the same file: {copy['seconds']} s."
    )
    return table, done


def contacts_export(alone: Alone) -> tuple[list[dict], dict]:
    contacts = alone.data["contacts"]
    busy = common.cpu_busy_share(1.0)
    done = contacts_import_export.run_export(alone.env, contacts[BIG], contacts["small-salon"])
    row = other_row(
        f"contacts export: {done['contacts']:,} contacts, one worker",
        done["rows_per_second"], "rows", done["errors"], path="GET /api/v1/contacts/export/", busy=busy,
        bytes=done["bytes"], seconds=done["seconds"], worker_rss_peak_above_idle_mb=done["worker_rss_peak_above_idle_mb"],
    )  # fmt: skip
    target = done["target_peak_above_idle_mb"]
    met = "met" if done["worker_rss_peak_above_idle_mb"] <= target else "**not met**"
    cut = "" if done["complete"] else " (cut off)"
    done["note"] = (
        f"Contacts export, {done['contacts']:,} contacts: {done['status']}{cut}, {done['bytes']:,} bytes in "
        f"{done['seconds']} s; the worker's RSS was {done['worker_rss_idle_mb']} MB idle and peaked "
        f"**{done['worker_rss_peak_above_idle_mb']} MB above idle** (target at most {target} MB: {met})."
    )
    return [row], done


def checkout_webhooks_scenario(alone: Alone) -> tuple[list[dict], dict]:
    scale = alone.scale
    busy = common.cpu_busy_share(1.0)
    done = checkout_webhooks.measure(alone.env, scale.checkouts, scale.checkout_rate)
    size, path = f"{scale.checkouts} at {scale.checkout_rate:g}/s", "bench/checkout_webhooks.py"
    missing_accounts = done["checkouts"] - done["accounts_created"]
    table = [
        other_row(
            f"checkout webhooks: webhook response, {size}", done["checkouts_per_second"], "checkouts",
            done["webhook_refused"], path=path, latency=done["webhook_response"], busy=busy,
        ),
        other_row(
            "checkout webhooks: POST to account", None, "checkouts", missing_accounts, path=path,
            latency=done["post_to_account"], busy=busy,
        ),
        other_row(
            "checkout webhooks: POST to welcome email", None, "checkouts", done["failed_checkouts"], path=path,
            latency=done["post_to_email"], busy=busy,
        ),
    ]  # fmt: skip
    done["note"] = (
        f"Checkout webhooks: {done['checkouts']} checkouts, {done['accounts_created']} accounts, "
        f"{done['emails_sent']} emails; {done['failed_checkouts']} checkouts without an account and exactly "
        "one email (the errors of the last row)."
    )
    return table, done


def inbox_live_scenario(alone: Alone) -> tuple[list[dict], dict]:
    inbox = alone.data["inbox"][INBOX]
    if not common.port_is_free(inbox_live.DAPHNE_PORT):
        raise RuntimeError(f"port {inbox_live.DAPHNE_PORT} (daphne's) is taken")
    senders = inbox_api.unread_sms_numbers(inbox["organization_id"], 200)
    busy = common.cpu_busy_share(1.0)
    done = inbox_live.run(alone.env, inbox, senders, alone.scale.live_messages)
    live, answer = done["end_to_end"], done["acknowledge"]
    row = other_row(
        f"inbox live: webhook to websocket, {done['messages']} messages", None, "messages", 0,
        path="bench/inbox_live.py", latency=live, busy=busy,
    )  # fmt: skip
    done["note"] = (
        f"Inbox live: {done['messages']} signed SMS webhooks posted one after another to gunicorn, each timed "
        f"until the websocket client at daphne heard its message: p50 {live['median_ms']} ms, p95 "
        f"{live['p95_ms']} ms, p99 {live['p99_ms']} ms (the webhook's own answer: p50 {answer['median_ms']} ms, "
        f"p95 {answer['p95_ms']} ms)."
    )
    return [row], done


ALONE: dict[str, Callable[[Alone], tuple[list[dict], dict]]] = {
    "contacts-import": contacts_import,
    "contacts-export": contacts_export,
    "checkout-webhooks": checkout_webhooks_scenario,
    "inbox-live": inbox_live_scenario,
}
ALL = [*SCENARIOS, LOAD_MIX, *ALONE]


def run_alone(name: str, alone: Alone) -> tuple[list[dict], dict]:
    """One of ``ALONE``; a scenario that breaks becomes a row with an error, and the run goes on."""
    started = time.monotonic()
    print(f"  {name}", flush=True)
    try:
        if not common.port_is_free():
            raise RuntimeError(f"port {common.PORT} is taken")
        rows, details = ALONE[name](alone)
    except Exception as error:  # reported in the results, and the run fails
        traceback.print_exc()
        rows = [other_row(f"{name}: failed ({error})", None, "requests", 1, path="bench/run.py")]
        details = {"error": repr(error)}
    details["scenario_seconds"] = round(time.monotonic() - started, 1)
    print(f"  {name}: {details['scenario_seconds']} s", flush=True)
    return rows, details


# The data set ---------------------------------------------------------------------------------


def data_set(scale: Scale, database_url: str, reuse: bool) -> dict:
    """Generate the scale's data; with ``reuse``, read instead what the generators wrote last for
    each kind whose tokens file is there, and generate only the others."""
    generators = {
        "contacts": lambda: contacts_generate.generate(database_url, scale.contacts),
        "scheduling": lambda: scheduling_generate.generate(database_url, scale.scheduling),
        "inbox": lambda: inbox_generate.generate(database_url, scale.inbox),
    }
    database, data = common.database_name(database_url), {}
    for kind, generate in generators.items():
        tokens = common.tokens_file(kind, database_url)
        if reuse and tokens.exists():
            print(f"Reusing the {kind} data set of {database}", flush=True)
            data[kind] = json.loads(tokens.read_text())
        else:
            print(f"Generating the {kind} data set in {database}", flush=True)
            data[kind] = generate()
    return data


# Results --------------------------------------------------------------------------------------


def cell(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and unit == "":
        return f"{value:g}"
    return f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"


def throughput(row: dict) -> str:
    value = row["per_second"]
    if value is None:
        return "-"
    unit = {"requests": "req"}.get(row["unit"], row["unit"])
    return f"{value:,.0f} {unit}/s" if value >= 10 else f"{value:.3g} {unit}/s"


def markdown(result: dict) -> str:
    machine = result["machine"]
    lines = [
        f"# Benchmarks, {result['scale']} scale, {result['date']}",
        "",
        f"{machine['cores']} cores, {machine['memory_gib']} GiB; `{result['command']}`; "
        f"{result['seconds_per_scenario']} s per scenario (wrk, 2 threads, 8 connections); "
        f"whole run {result['run_seconds']:.0f} s.",
        "",
        "Data: " + "; ".join(f"{name}: {value}" for name, value in result["data"].items()) + ".",
        "",
        "| scenario | throughput | p50 | p95 | p99 | errors | ratio to baseline | ratio to ceiling | CPU busy before |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        latency = row["latency_ms"]
        lines.append(
            f"| {row['scenario']} | {throughput(row)} | {cell(latency['50'], ' ms')} "
            f"| {cell(latency['95'], ' ms')} | {cell(latency['99'], ' ms')} | {row['errors']} "
            f"| {cell(row['ratio_to_baseline'])} | {cell(row['ratio_to_ceiling'])} | {cell(row['cpu_busy_before'])} |"
        )
    notes = [details["note"] for details in result["details"].values() if "note" in details]
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    mix = result.get("load_without_loss")
    if mix:
        lines += ["", *mix_markdown(mix)]
    return "\n".join(lines) + "\n"


def mix_markdown(mix: dict) -> list[str]:
    check = mix["check"]
    lines = [
        f"## Load without loss ({mix['run']})",
        "",
        f"{mix['clients']} clients for {mix['seconds']} s: {mix['requests']:,} requests, "
        f"{mix['requests_per_second']} a second, {mix['errors']} errors; booking conflicts (409, expected when "
        f"two clients pick the same time): {mix['booking_conflicts']}; the load generator used "
        f"{mix['load_generator_cpu_seconds']} s of CPU. "
        f"Check: **{'passed' if check['passed'] else 'FAILED'}**.",
        "",
        "| write | sent | accepted | refused | unanswered | rows | missing | duplicated | wrong id "
        "| refused but present | never sent |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, write in check["writes"].items():
        statuses = ", ".join(f"{status}: {count}" for status, count in write["refused_by_status"].items())
        refused = f"{write['refused']} ({statuses})" if write["refused"] else "0"
        problems = " | ".join(str(len(write[key])) for key in load_mix.PROBLEMS)
        lines.append(
            f"| {name} | {write['sent']} | {write['accepted']} | {refused} | {write['unanswered']} "
            f"| {write['rows']} | {problems} |"
        )
    replays, again = check["replays"], check["webhooks_delivered_again"]
    lines += [
        "",
        "Accepted: answered 201, a webhook 200 (its answer names no id, so none is compared).",
        "",
        f"Idempotent replays (same key, same body): {replays['sent']} sent, "
        f"{len(replays['not_the_first_answer'])} not answered with the first answer. Webhooks delivered again "
        f"(same MessageSid): {again['sent']} sent, {len(again['not_acknowledged'])} not acknowledged with a 200 "
        "(a second message stored would count as duplicated above).",
        "",
        "| request | requests | p50 | p95 | p99 | errors | answers |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in mix["per_request"].items():
        answers = ", ".join(f"{status}: {count}" for status, count in sorted(row["statuses"].items()))
        lines.append(
            f"| {name} | {row['requests']:,} | {cell(row['p50_ms'], ' ms')} | {cell(row['p95_ms'], ' ms')} "
            f"| {cell(row['p99_ms'], ' ms')} | {row['errors']} | {answers} |"
        )
    lines += ["", "| seconds | requests/s | p50 | p95 | p99 | errors |", "|---|---|---|---|---|---|"]
    for row in mix["per_interval"]:
        lines.append(
            f"| {row['from_s']}-{row['to_s']} | {cell(row['requests_per_second'])} | {cell(row['p50_ms'], ' ms')} "
            f"| {cell(row['p95_ms'], ' ms')} | {cell(row['p99_ms'], ' ms')} | {row['errors']} |"
        )
    return lines


def data_description(data: dict, scale: Scale) -> dict[str, str]:
    contacts, salon = data["contacts"], data["scheduling"][SALON]
    inbox, quiet = data["inbox"][INBOX], data["inbox"][QUIET_INBOX]
    others = [count["contacts"] for slug, count in contacts.items() if slug != BIG]
    return {
        "contacts": f"{contacts[BIG]['contacts']:,} in one organization among {len(others)} others "
        f"({contacts[BIG]['contacts'] + sum(others):,} in all)",
        "bookings": f"{salon['bookings']:,} of a salon with {len(salon['staff_ids'])} staff, among "
        f"{scale.scheduling.others} other businesses of {scale.scheduling.each:,}"
        + (f" and a copy with {scale.scheduling.history:,}" if scale.scheduling.history else ""),
        "inbox": f"{inbox['threads']:,} threads and {inbox['messages']:,} messages in one organization, "
        f"beside one of {quiet['threads']:,} threads",
    }


# Main -----------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument("--seconds", type=int, help="length of each wrk scenario (default: the scale's)")
    parser.add_argument("--mix-seconds", type=int, help="length of the load without loss (default: the scale's)")
    parser.add_argument(
        "--only",
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        default=ALL,
        help=f"comma-separated scenarios among {', '.join(ALL)} (the ceiling always runs)",
    )
    parser.add_argument(
        "--database", help="database name (default: bizbox_bench_small for small, bizbox_bench for large)"
    )
    parser.add_argument("--reuse-data", action="store_true", help="use the data set generated last in that database")
    parser.add_argument(
        "--quiet-wait", type=float, default=0, help="seconds to wait for idle CPUs before each scenario (default 0)"
    )
    args = parser.parse_args()
    unknown = set(args.only) - set(ALL)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def main() -> int:
    args = arguments()
    scale = SCALES[args.scale]
    started = time.monotonic()
    database = args.database or common.database_name(common.DATABASE_URL) + scale.database_suffix
    database_url = common.on_database(common.DATABASE_URL, database)
    redis_url = urlparse(common.REDIS_URL)._replace(path=f"/{scale.redis_db}").geturl()
    if not common.port_is_free():
        print(f"Port {common.PORT} is taken (another benchmark's server?); choose another with BENCH_PORT.")
        return 2
    env = common.production_environment(database_url=database_url, redis_url=redis_url, BENCH_BASELINES="1")
    print(f"Preparing {database} (role, database, migrations)", flush=True)
    common.prepare_database(env)
    common.setup_django(env)
    load_mix.writes_delete()  # what an interrupted run may have left
    data = data_set(scale, database_url, args.reuse_data)
    prepared = time.monotonic()

    seconds = args.seconds or scale.seconds
    chosen = ["ceiling", *(name for name in SCENARIOS if name in args.only and name != "ceiling")]
    web = common.start_web(env, log_name="run_web.log")
    rows, mix = [], None
    try:
        common.wait_for_http(common.BASE_URL + "/bench/constant/", server=web)
        bench = Bench(
            web,
            database,
            data["contacts"][BIG],
            data["scheduling"][SALON],
            data["inbox"][INBOX],
            seconds,
            args.quiet_wait,
            datetime.now(UTC),
        )
        print(f"Measuring {', '.join(chosen)}", flush=True)
        for name in chosen:
            rows += SCENARIOS[name](bench)
        if LOAD_MIX in args.only:
            row, mix = load_without_loss(bench, args.mix_seconds or scale.mix_seconds)
            rows.append(row)
    finally:
        common.stop(web)
    if mix is not None:
        load_mix.writes_delete()  # leave the data set as generated
    details = {}
    alone = Alone(env, data, scale)
    for name in (name for name in ALONE if name in args.only):
        table, details[name] = run_alone(name, alone)
        rows += table

    result = {
        "date": time.strftime("%Y-%m-%d"),
        "scale": args.scale,
        "command": "bench/run.py " + " ".join(sys.argv[1:]) if sys.argv[1:] else "bench/run.py",
        "machine": common.machine(),
        "database": database,
        "redis": redis_url,
        "sizes": {
            "contacts": asdict(scale.contacts),
            "scheduling": asdict(scale.scheduling),
            "import_rows": scale.import_rows,
            "checkouts": scale.checkouts,
            "checkout_rate": scale.checkout_rate,
            "inbox": asdict(scale.inbox),
            "live_messages": scale.live_messages,
        },
        "data": data_description(data, scale),
        "seconds_per_scenario": seconds,
        "rows": with_ratios(rows),
        "load_without_loss": mix,
        "details": details,
        "preparation_seconds": round(prepared - started, 1),
        "run_seconds": round(time.monotonic() - started, 1),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    (common.RESULTS / "latest.json").write_text(json.dumps(result, indent=2, default=str))
    table = markdown(result)
    (common.RESULTS / "latest.md").write_text(table)
    print("\n" + table)
    failed = [row["scenario"] for row in rows if row["errors"]]
    if mix is not None and not mix["check"]["passed"]:
        failed.append("load without loss: check failed")
    if failed:
        print("Failed: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
