"""Load without loss: a steady mix of reads and writes from 16 clients for a few minutes, then a
count, in the database, of every write the server accepted.

``bench/run.py`` builds the plan (tokens, sample ids, search terms, the days to book) with
``plan_for``, starts the load in a process of its own (this file run as a script) with
``drive_in_subprocess``, and afterwards calls ``check`` and ``report``.

The load generator is ours rather than locust: every write carries a marker that the check
needs back together with the answer to its request, one operation chains two requests (free
slots, then a booking of one of them), and the standard library does all of it. Its clients are
threads of one process: a request costs the server 5 to 40 ms of CPU and the client well under
one, and the report gives the load generator's own CPU time to show it kept up. Each request
goes on a connection of its own (``Connection: close``), as wrk does in ``bench/run.py``, so
that whichever gunicorn worker is free takes it.

The mix, by weight out of 100 (``OPERATIONS``):

- 25 ``GET /api/v1/contacts/`` (the first page),
- 20 ``GET /api/v1/contacts/?search=`` (a name, a partial phone or a typo of a real contact),
- 15 ``POST /api/v1/contacts/``,
- 15 book a slot: ``GET /api/v1/availability/slots/`` for one day (half the time in the coming
  week, otherwise anywhere within the booking horizon), then ``POST /api/v1/bookings/`` of one
  of its free times with one of the staff free then,
- 10 ``GET /api/v1/calendar/`` (one of the next four weeks),
- 10 ``POST /api/v1/contacts/{id}/notes/``,
- 5 ``POST /api/v1/jobs/``.

Every write carries a marker unique to the run, the client and its sequence
(``mix-<run>-<client>-<n>``): in the contact's last name and email, the note's body, the job's
title, the booking's notes. The creates that take an ``Idempotency-Key`` (contact, job, booking)
send the marker as the key, and one accepted create in ten is sent again at once with the same
key and body: the answer must be the first one again (same id, ``Idempotent-Replayed: true``).

Two clients that pick the same free time race for it: the database accepts one booking and the
other gets a 409, which is counted as a conflict, not an error. Errors are everything else that
is not the expected answer: connection failures, any 5xx, any other 4xx.

The inbox's two operations, an inbound webhook (a provider's signed POST, idempotent on the
provider's message id) and an outbound message (a POST with an ``Idempotency-Key``), are not yet
in ``OPERATIONS`` and ``WRITES`` (bench/inbox_api.py measures the webhook alone);
``NOT_YET_MEASURED`` names them in the results.
"""

import argparse
import http.client
import json
import random
import resource
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

MARKER_PREFIX = "mix-"
REPLAY_SHARE = 0.1
BOOKED_SERVICE = "Consultation"  # 15 minutes without buffers: a busy month still has room
NOT_YET_MEASURED = {
    "inbound webhook in the mix": "not yet in the mix (bench/inbox_api.py measures it alone)",
    "outbound message in the mix": "not yet in the mix",
}
# The answers each request may get without counting as an error.
EXPECTED_STATUSES = {"GET": {200}, "POST": {201}}
EXPECTED_BY_REQUEST = {"booking create": {201, 409}}
# Request kinds that write, with the model and the field that holds the marker.
WRITES = {
    "contact create": ("crm.Contact", "last_name"),
    "note create": ("crm.ContactNote", "body"),
    "job create": ("scheduling.Job", "title"),
    "booking create": ("scheduling.Booking", "notes"),
}


# The load generator (this file as a script: standard library only) -----------------------------


class Client:
    """One simulated user of the API, with a random generator of its own."""

    def __init__(self, plan: dict, index: int, started: float):
        self.plan, self.index, self.started = plan, index, started
        self.rng = random.Random(f"{plan['run']}:{index}")
        self.sequence = 0
        self.outcomes: list[dict] = []

    def marker(self) -> str:
        self.sequence += 1
        return f"{self.plan['run']}-{self.index:02d}-{self.sequence:06d}"

    def call(self, request: str, method: str, path: str, token: str, body=None, key: str = "", **record) -> dict:
        """Send one request and record its outcome; returns the outcome with the decoded answer."""
        headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        outcome = {"request": request, "method": method, "status": None, "error": "", **record}
        connection = http.client.HTTPConnection("127.0.0.1", self.plan["port"], timeout=60)
        began = time.monotonic()
        payload = None
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            raw = response.read()
            outcome["status"] = response.status
            outcome["replayed"] = response.getheader("Idempotent-Replayed") == "true"
            payload = json.loads(raw) if raw else None
        except (OSError, http.client.HTTPException, ValueError) as failure:
            outcome["error"] = f"{type(failure).__name__}: {failure}"[:300]
        finally:
            connection.close()
        outcome["at"] = round(began - self.started, 3)
        outcome["ms"] = round((time.monotonic() - began) * 1000, 2)
        self.outcomes.append(outcome)
        return {**outcome, "payload": payload}

    def create(self, request: str, path: str, token: str, body: dict, marker: str, idempotent: bool = True) -> dict:
        """POST a marked write; with a key, replay one accepted create in ten with the same key."""
        key = marker if idempotent else ""
        answer = self.call(request, "POST", path, token, body, key=key, marker=marker)
        if answer["status"] == 201:
            self.outcomes[-1]["id"] = _id_of(answer["payload"])
            if idempotent and self.rng.random() < REPLAY_SHARE:
                replay = self.call(request, "POST", path, token, body, key=key, marker=marker, replay=True)
                self.outcomes[-1]["id"] = _id_of(replay["payload"])
        return answer

    def drive(self, deadline: float) -> None:
        names = list(OPERATIONS)
        weights = [weight for weight, _ in OPERATIONS.values()]
        while time.monotonic() < deadline:
            _, operation = OPERATIONS[self.rng.choices(names, weights)[0]]
            operation(self)


def _id_of(payload) -> int | None:
    return payload.get("id") if isinstance(payload, dict) else None


def contacts_list(client: Client) -> None:
    client.call("contacts list", "GET", "/api/v1/contacts/", client.plan["contacts"]["token"])


def contacts_search(client: Client) -> None:
    term = client.rng.choice(client.plan["contacts"]["search_terms"])
    client.call("contacts search", "GET", f"/api/v1/contacts/?search={quote(term)}", client.plan["contacts"]["token"])


def contact_create(client: Client) -> None:
    marker = client.marker()
    body = {
        "first_name": "Load",
        "last_name": marker,
        "email": f"{marker}@mix.example",
        "phone": f"+1312555{client.rng.randint(0, 9999):04d}",
        "city": "Chicago",
    }
    client.create("contact create", "/api/v1/contacts/", client.plan["contacts"]["token"], body, marker)


def note_create(client: Client) -> None:
    contacts = client.plan["contacts"]
    marker = client.marker()
    path = f"/api/v1/contacts/{client.rng.choice(contacts['contact_ids'])}/notes/"
    # Notes are neither money nor messages: the API takes no Idempotency-Key for them.
    client.create("note create", path, contacts["token"], {"body": marker}, marker, idempotent=False)


def job_create(client: Client) -> None:
    contacts = client.plan["contacts"]
    marker = client.marker()
    body = {"contact": client.rng.choice(contacts["contact_ids"]), "title": marker, "city": "Chicago"}
    client.create("job create", "/api/v1/jobs/", contacts["token"], body, marker)


def slot_book(client: Client) -> None:
    salon = client.plan["scheduling"]
    # Half the clients want the coming week, where they compete for the same free times.
    window = client.rng.choice(salon["days"][:7] if client.rng.random() < 0.5 else salon["days"])
    path = f"/api/v1/availability/slots/?service={salon['service_id']}&{window}"
    answer = client.call("free slots, one day", "GET", path, salon["token"])
    slots = (answer["payload"] or {}).get("slots") if answer["status"] == 200 else None
    if not slots:
        return  # a full day (or an error, already counted)
    slot = client.rng.choice(slots)
    marker = client.marker()
    body = {
        "staff": client.rng.choice(slot["staff"]),
        "starts_at": slot["start"],
        "service": salon["service_id"],
        "contact": client.rng.choice(salon["contact_ids"]),
        "notes": marker,
    }
    client.create("booking create", "/api/v1/bookings/", salon["token"], body, marker)


def calendar_week(client: Client) -> None:
    salon = client.plan["scheduling"]
    client.call("calendar week", "GET", f"/api/v1/calendar/?{client.rng.choice(salon['weeks'])}", salon["token"])


# name -> (weight out of 100, operation); the inbox's inbound webhook and outbound message go here.
OPERATIONS: dict[str, tuple[int, Callable[[Client], None]]] = {
    "contacts list": (25, contacts_list),
    "contacts search": (20, contacts_search),
    "contact create": (15, contact_create),
    "book a slot": (15, slot_book),
    "calendar week": (10, calendar_week),
    "note create": (10, note_create),
    "job create": (5, job_create),
}


def drive(plan: dict) -> dict:
    """``plan['clients']`` clients for ``plan['seconds']``; every request's outcome, in time order."""
    started = time.monotonic()
    deadline = started + plan["seconds"]
    clients = [Client(plan, index, started) for index in range(plan["clients"])]
    threads = [threading.Thread(target=client.drive, args=(deadline,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    outcomes = sorted((outcome for client in clients for outcome in client.outcomes), key=lambda o: o["at"])
    return {
        "seconds": round(time.monotonic() - started, 1),
        "load_generator_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "outcomes": outcomes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plan", required=True, help="the plan written by bench/run.py")
    parser.add_argument("--out", required=True, help="where to write every request's outcome")
    args = parser.parse_args()
    plan = json.loads(Path(args.plan).read_text())
    Path(args.out).write_text(json.dumps(drive(plan)))
    return 0


# The runner's side (Django set up on the benchmark database) ------------------------------------


def plan_for(*, contacts: dict, salon: dict, seconds: int, clients: int, samples: int = 300) -> dict:
    """What the clients need: tokens, real contact ids and search terms, the salon's service,
    the days ahead to book (within its booking horizon) and the weeks of its calendar."""
    from accounts.tenancy import system_scope
    from bench.contacts_api import search_terms_for
    from crm.models import Contact
    from scheduling.models import BookingPolicy, Service

    run = MARKER_PREFIX + time.strftime("%Y%m%d%H%M%S")
    big_ids = sample_contact_ids(contacts["organization_id"], samples)
    with system_scope():
        people = Contact.objects.filter(pk__in=big_ids[:40]).values_list("first_name", "last_name", "phone")
        terms = [term for person in people for term in search_terms_for(*person).values()]
        service_id = Service.objects.get(organization_id=salon["organization_id"], name=BOOKED_SERVICE).pk
        horizon = BookingPolicy.objects.get(organization_id=salon["organization_id"]).horizon_days
    tz = ZoneInfo(salon["time_zone"])
    today = datetime.now(tz).date()
    return {
        "run": run,
        "port": common.PORT,
        "seconds": seconds,
        "clients": clients,
        "contacts": {
            "organization_id": contacts["organization_id"],
            "token": contacts["token"],
            "contact_ids": big_ids,
            "search_terms": terms,
        },
        "scheduling": {
            "organization_id": salon["organization_id"],
            "token": salon["token"],
            "service_id": service_id,
            "contact_ids": sample_contact_ids(salon["organization_id"], samples),
            "days": [_window(today + timedelta(days=ahead), 1, tz) for ahead in range(1, horizon - 1)],
            "weeks": [_window(today + timedelta(days=7 * week - today.weekday()), 7, tz) for week in range(1, 5)],
        },
    }


def _window(first_day, days: int, tz: ZoneInfo) -> str:
    start = datetime.combine(first_day, clock(0), tz)
    end = datetime.combine(first_day + timedelta(days=days), clock(0), tz)
    return f"from={quote(start.isoformat())}&to={quote(end.isoformat())}"


def sample_contact_ids(organization_id: int, count: int) -> list[int]:
    """Ids of ``count`` live contacts of an organization, drawn at random from its id range
    (an organization's contacts were loaded together, so its ids are mostly one run)."""
    from django.db.models import Max, Min

    from accounts.tenancy import system_scope
    from crm.models import Contact

    rng = random.Random(organization_id)
    with system_scope():
        contacts = Contact.objects.filter(organization_id=organization_id, deleted_at__isnull=True)
        bounds = contacts.aggregate(low=Min("id"), high=Max("id"))
        candidates = {rng.randint(bounds["low"], bounds["high"]) for _ in range(count * 3)}
        found = sorted(contacts.filter(pk__in=candidates).values_list("pk", flat=True))
    return rng.sample(found, min(count, len(found)))


def drive_in_subprocess(plan: dict) -> dict:
    """Run the load from another process and return what it recorded."""
    plan_path, out_path = common.RESULTS / "load_mix_plan.json", common.RESULTS / "load_mix_outcomes.json"
    plan_path.write_text(json.dumps(plan, indent=2))
    command = [sys.executable, str(Path(__file__).resolve()), "--plan", str(plan_path), "--out", str(out_path)]
    subprocess.run(command, cwd=common.ROOT, check=True)
    return json.loads(out_path.read_text())


def is_error(outcome: dict) -> bool:
    expected = EXPECTED_BY_REQUEST.get(outcome["request"], EXPECTED_STATUSES[outcome["method"]])
    if outcome.get("replay"):
        expected = {201}
    return outcome["status"] not in expected


def check(plan: dict, outcomes: list[dict]) -> dict:
    """Every write answered 201 exists exactly once, with the id it was answered with; nothing
    refused exists; no row carries a marker that was never sent; every replay answered the
    first answer again; and no request was an error."""
    from django.apps import apps

    from accounts.tenancy import system_scope

    prefix = plan["run"] + "-"
    writes = {}
    with system_scope():
        for request, (label, field) in WRITES.items():
            rows: dict[str, list[int]] = defaultdict(list)
            found = apps.get_model(label).objects.filter(**{f"{field}__startswith": prefix})
            for marker, pk in found.values_list(field, "pk"):
                rows[marker].append(pk)
            sent = [o for o in outcomes if o["request"] == request and not o.get("replay")]
            writes[request] = written_once(sent, rows)
    replays = [o for o in outcomes if o.get("replay")]
    first_ids = {o["marker"]: o.get("id") for o in outcomes if o.get("marker") and not o.get("replay")}
    replays_wrong = [
        o["marker"]
        for o in replays
        if o["status"] != 201 or not o.get("replayed") or o.get("id") != first_ids.get(o["marker"])
    ]
    errors = [o for o in outcomes if is_error(o)]
    problems = sum(len(row[key]) for row in writes.values() for key in PROBLEMS) + len(replays_wrong) + len(errors)
    return {
        "passed": problems == 0,
        "writes": writes,
        "replays": {"sent": len(replays), "not_the_first_answer": replays_wrong[:20]},
        "errors": len(errors),
        "error_samples": errors[:20],
        "not_yet_measured": NOT_YET_MEASURED,
    }


PROBLEMS = ("missing", "duplicated", "wrong_id", "refused_but_present", "never_sent")


def written_once(sent: list[dict], rows: dict[str, list[int]]) -> dict:
    """Compare what the server answered for one kind of write with the rows that carry its markers."""
    accepted = {o["marker"]: o.get("id") for o in sent if o["status"] == 201}
    refused = {o["marker"] for o in sent if o["status"] is not None and o["status"] < 500 and o["status"] != 201}
    unanswered = {o["marker"] for o in sent if o["status"] is None or o["status"] >= 500}
    markers = {o["marker"] for o in sent}
    return {
        "sent": len(sent),
        "accepted": len(accepted),
        "refused": len(refused),
        "refused_by_status": dict(Counter(o["status"] for o in sent if o["marker"] in refused)),
        "unanswered": len(unanswered),
        "rows": sum(len(ids) for ids in rows.values()),
        "missing": sorted(m for m in accepted if not rows.get(m)),
        "duplicated": sorted(m for m, ids in rows.items() if len(ids) > 1),
        "wrong_id": sorted(m for m, pk in accepted.items() if len(rows.get(m, [])) == 1 and rows[m] != [pk]),
        "refused_but_present": sorted(m for m in refused if rows.get(m)),
        "never_sent": sorted(m for m in rows if m not in markers),
    }


def latency(outcomes: list[dict]) -> dict:
    values = [o["ms"] for o in outcomes]
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    return {f"p{share}_ms": round(common.percentile(values, share / 100), 1) for share in (50, 95, 99)}


def report(drive_result: dict, planned: int, interval: int = 10) -> dict:
    """Throughput and latency overall, per kind of request and per ``interval`` seconds of the
    ``planned`` ones (the last interval also takes the few requests a client began after the
    end, the second half of a booking or a replay)."""
    outcomes, seconds = drive_result["outcomes"], drive_result["seconds"]
    per_request = {}
    for request in sorted({o["request"] for o in outcomes}):
        chosen = [o for o in outcomes if o["request"] == request]
        per_request[request] = {
            "requests": len(chosen),
            **latency(chosen),
            "errors": sum(is_error(o) for o in chosen),
            "statuses": dict(Counter(str(o["status"]) for o in chosen)),
        }
    intervals = []
    starts = range(0, planned, interval)
    for start in starts:
        end = min(start + interval, planned)
        last = start == starts[-1]
        chosen = [o for o in outcomes if start <= o["at"] and (last or o["at"] < end)]
        intervals.append(
            {
                "from_s": start,
                "to_s": end,
                "requests": len(chosen),
                "requests_per_second": round(len(chosen) / (end - start), 1),
                **latency(chosen),
                "errors": sum(is_error(o) for o in chosen),
            }
        )
    return {
        "seconds": seconds,
        "requests": len(outcomes),
        "requests_per_second": round(len(outcomes) / seconds, 1),
        **latency(outcomes),
        "errors": sum(is_error(o) for o in outcomes),
        "booking_conflicts": sum(o["request"] == "booking create" and o["status"] == 409 for o in outcomes),
        "load_generator_cpu_seconds": drive_result["load_generator_cpu_seconds"],
        "per_request": per_request,
        "per_interval": intervals,
    }


def writes_delete() -> dict[str, int]:
    """Remove every marked write of earlier load runs. The generators refresh an organization by
    deleting its contacts, which a note or a job of the mix pointing at one would block, and the
    next run should meet the data as generated."""
    from django.apps import apps

    from accounts.models import IdempotencyRecord
    from accounts.tenancy import system_scope

    deleted = {}
    with system_scope():
        for request in ("booking create", "job create", "note create", "contact create"):
            label, field = WRITES[request]
            found = apps.get_model(label).objects.filter(**{f"{field}__startswith": MARKER_PREFIX})
            deleted[request] = found.delete()[0]
        deleted["idempotency records"] = IdempotencyRecord.objects.filter(key__startswith=MARKER_PREFIX).delete()[0]
    return deleted


if __name__ == "__main__":
    sys.exit(main())
