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

- 20 ``GET /api/v1/contacts/`` (the first page),
- 15 ``GET /api/v1/contacts/?search=`` (a name, a partial phone or a typo of a real contact),
- 10 ``POST /api/v1/contacts/``,
- 15 book a slot: ``GET /api/v1/availability/slots/`` for one day (half the time in the coming
  week, otherwise anywhere within the booking horizon), then ``POST /api/v1/bookings/`` of one
  of its free times with one of the staff free then,
- 10 ``GET /api/v1/calendar/`` (one of the next four weeks),
- 10 ``POST /api/v1/contacts/{id}/notes/``,
- 5 ``POST /api/v1/jobs/``,
- 10 an inbound SMS: Twilio's webhook (``POST /webhooks/inbox/twilio_sms/``) to the busy inbox's
  number, signed as Twilio signs it with the integration's auth token, each with a new
  MessageSid, from a contact whose SMS thread is already unread (``inbox_api.unread_sms_numbers``),
- 5 an outbound message: ``POST /api/v1/inbox/threads/{id}/messages/`` to an open SMS thread.

Every write carries a marker unique to the run, the client and its sequence
(``mix-<run>-<client>-<n>``): in the contact's last name and email, the note's body, the job's
title, the booking's notes, at the start of each message's body. The creates that take an
``Idempotency-Key`` (contact, job, booking, outbound message) send the marker as the key, and one
accepted create in ten is sent again at once with the same key and body: the answer must be the
first one again (same id, ``Idempotent-Replayed: true``). One acknowledged webhook in ten is
delivered again with the same MessageSid, as Twilio retries one: the answer must again be a 200,
and the check finds the message stored once.

Two clients that pick the same free time race for it: the database accepts one booking and the
other gets a 409, which is counted as a conflict, not an error. Errors are everything else that
is not the expected answer: connection failures, any 5xx, any other 4xx.

An outbound message is stored, queued, when the API accepts it; its delivery is a Celery task
that no worker runs during the mix (``bench/run.py`` starts none beside its gunicorn), so it stays
queued and never reaches Twilio. A Celery worker started afterwards (``common.start_worker``)
drops those tasks with ``--purge``.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import random
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

MARKER_PREFIX = "mix-"
REPLAY_SHARE = 0.1
BOOKED_SERVICE = "Consultation"  # 15 minutes without buffers: a busy month still has room
INBOUND_LINES = ("Can I move my appointment to Thursday?", "Is anyone free to look at a leak today?", "Thanks!")
OUTBOUND_LINES = ("We can come on Tuesday at 9:00.", "Your appointment is confirmed.", "On our way now.")


@dataclass(frozen=True)
class Write:
    """A kind of request that writes: where its rows are, which field starts with the marker, and
    the status that means the server accepted it."""

    model: str
    field: str
    accepted: int = 201
    answers_id: bool = True  # a provider's webhook is acknowledged without the id of what it stored
    filters: tuple[tuple[str, str], ...] = ()


WRITES = {
    "contact create": Write("crm.Contact", "last_name"),
    "note create": Write("crm.ContactNote", "body"),
    "job create": Write("scheduling.Job", "title"),
    "booking create": Write("scheduling.Booking", "notes"),
    "inbound webhook": Write(
        "inbox.Message", "body", accepted=200, answers_id=False, filters=(("direction", "inbound"),)
    ),
    "outbound message": Write("inbox.Message", "body", filters=(("direction", "outbound"),)),
}
# Another answer a write may get without counting as an error: two clients chose the same free time.
CONFLICTS = {"booking create": 409}


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
        """Send one API request (JSON, the token as a bearer) and record its outcome; returns the
        outcome with the decoded answer."""
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        return self.send(request, method, path, headers, None if body is None else json.dumps(body), **record)

    def send(self, request: str, method: str, path: str, headers: dict, data: str | None, **record) -> dict:
        """Send one request on a connection of its own and record its outcome; returns the outcome
        with the answer decoded if it is JSON."""
        outcome = {"request": request, "method": method, "status": None, "error": "", **record}
        connection = http.client.HTTPConnection("127.0.0.1", self.plan["port"], timeout=60)
        began = time.monotonic()
        payload = None
        try:
            connection.request(method, path, body=data, headers={**headers, "Connection": "close"})
            response = connection.getresponse()
            raw = response.read()
            outcome["status"] = response.status
            outcome["replayed"] = response.getheader("Idempotent-Replayed") == "true"
            if raw and response.getheader("Content-Type", "").startswith("application/json"):
                payload = json.loads(raw)
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


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it: HMAC-SHA1, keyed with the auth token, of the URL
    followed by each parameter's name and value in the order of the names, in base64. (The parent
    checks it against the official ``RequestValidator`` in ``plan_for``.)"""
    signed = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def inbound_webhook(client: Client) -> None:
    inbox = client.plan["inbox"]
    marker = client.marker()
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": inbox["account_sid"],
        "From": client.rng.choice(inbox["senders"]),
        "To": inbox["sms_number"],
        "Body": f"{marker} {client.rng.choice(INBOUND_LINES)}",
        "NumMedia": "0",
    }
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(inbox["auth_token"], inbox["webhook_url"], params),
    }
    data, path = urlencode(params), inbox["webhook_path"]
    answer = client.send("inbound webhook", "POST", path, headers, data, marker=marker)
    if answer["status"] == WRITES["inbound webhook"].accepted and client.rng.random() < REPLAY_SHARE:
        # Twilio delivers a webhook again when it did not hear the answer: the same MessageSid.
        client.send("inbound webhook", "POST", path, headers, data, marker=marker, replay=True)


def message_send(client: Client) -> None:
    inbox = client.plan["inbox"]
    marker = client.marker()
    path = f"/api/v1/inbox/threads/{client.rng.choice(inbox['thread_ids'])}/messages/"
    body = {"body": f"{marker} {client.rng.choice(OUTBOUND_LINES)}"}
    client.create("outbound message", path, inbox["token"], body, marker)


# name -> (weight out of 100, operation)
OPERATIONS: dict[str, tuple[int, Callable[[Client], None]]] = {
    "contacts list": (20, contacts_list),
    "contacts search": (15, contacts_search),
    "contact create": (10, contact_create),
    "book a slot": (15, slot_book),
    "calendar week": (10, calendar_week),
    "note create": (10, note_create),
    "job create": (5, job_create),
    "inbound webhook": (10, inbound_webhook),
    "outbound message": (5, message_send),
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


def plan_for(*, contacts: dict, salon: dict, inbox: dict, seconds: int, clients: int, samples: int = 300) -> dict:
    """What the clients need: tokens, real contact ids and search terms, the salon's service,
    the days ahead to book (within its booking horizon) and the weeks of its calendar, and the
    inbox's webhook address, number, auth token, senders and threads."""
    from django.db import connection

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
        "database": connection.settings_dict["NAME"],
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
        "inbox": inbox_plan(inbox, samples),
    }


def inbox_plan(inbox: dict, samples: int) -> dict:
    """The busy inbox as the clients see it: where Twilio posts and what it signs, numbers of
    contacts whose SMS thread is already unread (``inbox_api.unread_sms_numbers``: a message from
    one leaves the unread view and the sidebar's counts taking in the same threads), and open SMS
    threads to write to."""
    from twilio.request_validator import RequestValidator

    from bench import inbox_api, inbox_generate

    url = common.BASE_URL + inbox_api.WEBHOOK_PATH  # SITE_URL: what the product checks signatures against
    probe = {"MessageSid": "SM" + "0" * 32, "From": "+15550000000", "Body": "a b&c=d é", "NumMedia": "0"}
    official = RequestValidator(inbox["auth_token"]).compute_signature(url, probe)
    assert twilio_signature(inbox["auth_token"], url, probe) == official, "the client signs unlike Twilio"
    senders = inbox_api.unread_sms_numbers(inbox["organization_id"], samples)
    assert senders, "no unread SMS thread in the inbox to send webhooks from"
    return {
        "organization_id": inbox["organization_id"],
        "token": inbox["token"],
        "webhook_path": inbox_api.WEBHOOK_PATH,
        "webhook_url": url,
        "sms_number": inbox["sms_number"],
        "auth_token": inbox["auth_token"],
        "account_sid": inbox_generate.ACCOUNT_SID,
        "senders": senders,
        "thread_ids": open_sms_thread_ids(inbox["organization_id"], samples),
    }


def open_sms_thread_ids(organization_id: int, count: int) -> list[int]:
    """Ids of ``count`` open threads of live contacts that already have an SMS: a message sent
    there keeps the thread's channels as they were."""
    from django.db.models import F

    from accounts.tenancy import system_scope
    from inbox.models import CHANNEL_BITS, Channel, Thread, ThreadStatus

    with system_scope():
        return list(
            Thread.objects.filter(
                organization_id=organization_id, status=ThreadStatus.OPEN, contact__deleted_at__isnull=True
            )
            .alias(on_sms=F("channels").bitand(CHANNEL_BITS[Channel.SMS]))
            .filter(on_sms__gt=0)
            .order_by("?")
            .values_list("pk", flat=True)[:count]
        )


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
    plan_path = common.results_file("load_mix_plan.json", plan["database"])
    out_path = common.results_file("load_mix_outcomes.json", plan["database"])
    plan_path.write_text(json.dumps(plan, indent=2))
    command = [sys.executable, str(Path(__file__).resolve()), "--plan", str(plan_path), "--out", str(out_path)]
    subprocess.run(command, cwd=common.ROOT, check=True)
    return json.loads(out_path.read_text())


def is_error(outcome: dict) -> bool:
    """Whether a request got an answer other than the one expected: a write's acceptance (a replay
    exactly that), a booking's conflict, a read's 200."""
    write = WRITES.get(outcome["request"])
    if write is None:
        expected = {200}
    elif outcome.get("replay") or outcome["request"] not in CONFLICTS:
        expected = {write.accepted}
    else:
        expected = {write.accepted, CONFLICTS[outcome["request"]]}
    return outcome["status"] not in expected


def check(plan: dict, outcomes: list[dict]) -> dict:
    """Every accepted write exists exactly once, with the id it was answered with; nothing
    refused exists; no row carries a marker that was never sent; every idempotent replay answered
    the first answer again and every webhook delivered again was acknowledged again (the rows
    show it stored nothing twice); and no request was an error."""
    from django.apps import apps

    from accounts.tenancy import system_scope

    prefix = plan["run"] + "-"
    writes = {}
    with system_scope():
        for request, write in WRITES.items():
            rows: dict[str, list[int]] = defaultdict(list)
            found = apps.get_model(write.model).objects.filter(
                **{f"{write.field}__startswith": prefix}, **dict(write.filters)
            )
            for value, pk in found.values_list(write.field, "pk"):
                rows[value.split(" ", 1)[0]].append(pk)
            sent = [o for o in outcomes if o["request"] == request and not o.get("replay")]
            writes[request] = written_once(sent, rows, write)
    first_ids = {o["marker"]: o.get("id") for o in outcomes if o.get("marker") and not o.get("replay")}
    replays = [o for o in outcomes if o.get("replay") and WRITES[o["request"]].answers_id]
    replays_wrong = [
        o["marker"]
        for o in replays
        if o["status"] != WRITES[o["request"]].accepted
        or not o.get("replayed")
        or o.get("id") != first_ids.get(o["marker"])
    ]
    redelivered = [o for o in outcomes if o.get("replay") and not WRITES[o["request"]].answers_id]
    redelivered_wrong = [o["marker"] for o in redelivered if o["status"] != WRITES[o["request"]].accepted]
    errors = [o for o in outcomes if is_error(o)]
    problems = (
        sum(len(row[key]) for row in writes.values() for key in PROBLEMS)
        + len(replays_wrong)
        + len(redelivered_wrong)
        + len(errors)
    )
    return {
        "passed": problems == 0,
        "writes": writes,
        "replays": {"sent": len(replays), "not_the_first_answer": replays_wrong[:20]},
        "webhooks_delivered_again": {"sent": len(redelivered), "not_acknowledged": redelivered_wrong[:20]},
        "errors": len(errors),
        "error_samples": errors[:20],
    }


PROBLEMS = ("missing", "duplicated", "wrong_id", "refused_but_present", "never_sent")


def written_once(sent: list[dict], rows: dict[str, list[int]], write: Write) -> dict:
    """Compare what the server answered for one kind of write with the rows that carry its markers
    (the id only where the answer names one)."""
    accepted = {o["marker"]: o.get("id") for o in sent if o["status"] == write.accepted}
    refused = {
        o["marker"] for o in sent if o["status"] is not None and o["status"] < 500 and o["status"] != write.accepted
    }
    unanswered = {o["marker"] for o in sent if o["status"] is None or o["status"] >= 500}
    markers = {o["marker"] for o in sent}
    answered_ids = accepted if write.answers_id else {}
    return {
        "sent": len(sent),
        "accepted": len(accepted),
        "refused": len(refused),
        "refused_by_status": dict(Counter(o["status"] for o in sent if o["marker"] in refused)),
        "unanswered": len(unanswered),
        "rows": sum(len(ids) for ids in rows.values()),
        "missing": sorted(m for m in accepted if not rows.get(m)),
        "duplicated": sorted(m for m, ids in rows.items() if len(ids) > 1),
        "wrong_id": sorted(m for m, pk in answered_ids.items() if len(rows.get(m, [])) == 1 and rows[m] != [pk]),
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
        order = ("inbound webhook", "outbound message", "booking create", "job create", "note create", "contact create")
        for request in order:
            write = WRITES[request]
            found = apps.get_model(write.model).objects.filter(
                **{f"{write.field}__startswith": MARKER_PREFIX}, **dict(write.filters)
            )
            deleted[request] = found.delete()[0]
        deleted["idempotency records"] = IdempotencyRecord.objects.filter(key__startswith=MARKER_PREFIX).delete()[0]
    return deleted


if __name__ == "__main__":
    sys.exit(main())
