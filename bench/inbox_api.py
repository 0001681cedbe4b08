"""The inbox under load: inbound webhooks at 1,000,000 messages, and the thread list at 100,000
threads against a hand-written ``.values()`` view of the same query.

Thread list: ``GET /api/v1/inbox/threads/?status=open&unread=true`` (the sidebar's "unread"
view: open, not snoozed, with unread messages, newest first) beside
``/bench/inbox-threads-values/``, and the sidebar's counts beside ``/bench/inbox-counts-values/``
(bench/views.py: the same queries by hand), under wrk in alternating rounds of the same run.

Inbound webhooks: Twilio SMS webhooks signed the way Twilio signs them (the official
``RequestValidator``), each with a new MessageSid; nine in ten from numbers the business already
knows, one in ten from a new number (a new contact and thread). wrk posts them from a file of
prepared requests (``bench/wrk_signed_posts.lua``): throughput and acknowledge time percentiles.
Run after ``bench/inbox_generate.py``; ``bench/run.py`` calls the same functions.

    .venv/bin/python bench/inbox_api.py --seconds 30
"""

import argparse
import json
import os
import random
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

WEBHOOK_PATH = "/webhooks/inbox/twilio_sms/"
THREADS_PATH = "/api/v1/inbox/threads/?status=open&unread=true"
THREADS_BASELINE_PATH = "/bench/inbox-threads-values/"
COUNTS_PATH = "/api/v1/inbox/threads/counts/"
COUNTS_BASELINE_PATH = "/bench/inbox-counts-values/"
SIGNED_POSTS = Path(__file__).resolve().parent / "wrk_signed_posts.lua"
KNOWN_SHARE = 0.9


def known_numbers(organization_id: int, count: int = 2000) -> list[str]:
    """Phones of contacts the business already has (from the benchmark database)."""
    from accounts.tenancy import organization_scope
    from inbox.models import ContactIdentity

    with organization_scope(organization_id):
        return list(
            ContactIdentity.objects.filter(organization_id=organization_id, channel="sms")
            .order_by("?")
            .values_list("address", flat=True)[:count]
        )


def unread_sms_numbers(organization_id: int, count: int = 2000) -> list[str]:
    """Phones of contacts whose thread is already in the "unread" view (open, not snoozed, with
    unread messages) and already has an SMS. A new SMS from one of them moves its thread to the top
    but changes neither which threads that view lists nor any of the sidebar's counts, so that a
    run on data an earlier run wrote to (``bench/run.py --reuse-data``) measures the same sets."""
    from django.utils import timezone

    from accounts.tenancy import organization_scope
    from inbox import selectors
    from inbox.models import Channel, ContactIdentity

    with organization_scope(organization_id):
        # The list's own rules: its threads, the "open" status, the channel filter's SMS bit.
        listed = selectors.threads_listed(organization=organization_id)
        unread_open = selectors.threads_in_status(listed, "open", now=timezone.now()).filter(unread_count__gt=0)
        unread_on_sms = selectors.threads_on_channel(unread_open, Channel.SMS, organization=organization_id)
        return list(
            ContactIdentity.objects.filter(
                organization_id=organization_id,
                channel=Channel.SMS,
                contact_id__in=unread_on_sms.values("contact_id"),
            )
            .order_by("?")
            .values_list("address", flat=True)[:count]
        )


def signed_requests(inbox: dict, known: list[str], count: int, path: Path, *, base_url: str = common.BASE_URL) -> Path:
    """``count`` inbound SMS webhooks to the data set's number, signed with its auth token, one
    per line (signature, tab, body), each with its own MessageSid."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(inbox["auth_token"])
    url = base_url + WEBHOOK_PATH
    rng = random.Random(11)
    with path.open("w") as lines:
        for _ in range(count):
            sender = rng.choice(known) if rng.random() < KNOWN_SHARE else f"+1555{rng.randint(2000000, 9999999)}"
            params = {
                "MessageSid": "SM" + uuid.uuid4().hex,
                "AccountSid": "AC" + "b" * 32,
                "From": sender,
                "To": inbox["sms_number"],
                "Body": rng.choice(("Hi, are you open on Saturday?", "Running late, sorry", "Can you call me back?")),
                "NumMedia": "0",
            }
            lines.write(f"{validator.compute_signature(url, params)}\t{urlencode(params)}\n")
    return path


def wrk_signed_posts(requests_file: Path, seconds: int, connections: int = 8) -> dict:
    """wrk posting the prepared webhooks (2 threads); the same figures as ``common.wrk``."""
    env = {
        **os.environ,
        "WRK_REQUESTS": str(requests_file),
        "WRK_THREADS": "2",
        "WRK_REPORT_LUA": str(common.WRK_REPORT),
    }
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(SIGNED_POSTS), common.BASE_URL + WEBHOOK_PATH],
        capture_output=True, text=True, check=True, env=env,
    ).stdout  # fmt: skip
    return common.wrk_report(output)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = common.production_environment()
    common.setup_django(env)
    inbox = json.loads(common.tokens_file("inbox").read_text())["busy-inbox"]
    requests_file = signed_requests(
        inbox, known_numbers(inbox["organization_id"]), 400 * args.seconds, common.RESULTS / "inbound_webhooks.txt"
    )
    web = common.start_web({**env, "BENCH_BASELINES": "1"})
    try:
        common.wait_for_http(common.BASE_URL + "/bench/constant/", server=web)
        rows, ratios = {}, {"threads": [], "counts": []}
        # Alternating rounds, as the machine's speed drifts: each ratio compares neighbours.
        for round_number in range(1, args.rounds + 1):
            for view, api_path, baseline_path in (
                ("threads", THREADS_PATH, THREADS_BASELINE_PATH),
                ("counts", COUNTS_PATH, COUNTS_BASELINE_PATH),
            ):
                for name, path in (("baseline", baseline_path), ("api", api_path)):
                    common.timed_gets(path, inbox["token"], 5)
                    rows[f"{view} {name} {round_number}"] = common.wrk(path, inbox["token"], args.seconds, close=True)
                api, baseline = rows[f"{view} api {round_number}"], rows[f"{view} baseline {round_number}"]
                ratios[view].append(round(api["requests_per_second"] / baseline["requests_per_second"], 2))
        rows["webhooks"] = wrk_signed_posts(requests_file, args.seconds)
        print(json.dumps({**rows, "api_over_values": ratios}, indent=2))
    finally:
        common.stop(web)
    return 0


if __name__ == "__main__":
    sys.exit(main())
