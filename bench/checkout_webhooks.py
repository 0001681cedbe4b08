"""Customer entry under load: Stripe's checkout.session.completed -> account -> welcome email.

Starts the product as production runs it (gunicorn, one Celery worker,
PostgreSQL, Redis) against a fake Stripe and a fake email service on
127.0.0.1, delivers N signed checkout events at a steady pace, and measures:

- the webhook's own response time (it only verifies and stores the event),
- the time from the POST to the account existing,
- the time from the POST to the welcome email reaching the email service.

    .venv/bin/python bench/checkout_webhooks.py --checkouts 200 --rate 5
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import PORT, run, summary, wait_for_http
from config.tests.fakes.postmark import FakePostmark
from config.tests.fakes.stripe import FakeStripe


def product_environment(stripe: FakeStripe, email: FakePostmark, base: dict[str, str]) -> dict[str, str]:
    """``base`` (the database and Redis to use) pointed at the fake Stripe and email service."""
    return {
        **base,
        "STRIPE_SECRET_KEY": stripe.secret_key,
        "STRIPE_API_HOST": stripe.url,
        "STRIPE_PRICE_IDS": f"pro:{stripe.price_id}",
        **email.environment(),
    }


def post_event(url: str, event: dict, secret: str) -> tuple[int, float]:
    from billing.providers.stripe import webhook_signature

    payload = json.dumps(event)
    request = urllib.request.Request(
        url, data=payload.encode(), method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": webhook_signature(payload, secret)},
    )  # fmt: skip
    started = time.time()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, started
    except urllib.error.HTTPError as refused:
        return refused.code, started


def reset() -> None:
    """Each run starts from an empty product and leaves one: the benchmark's accounts and every
    Stripe object go (organizations of other data sets, which have no provisioning, stay)."""
    from djstripe.models import Customer, Event, Session, Subscription, WebhookEndpoint, WebhookEventTrigger

    from accounts.models import Organization, User
    from accounts.tenancy import system_scope

    with system_scope():
        Organization.objects.filter(provisioning__isnull=False).delete()
        User.objects.filter(email__endswith="@bench.example").delete()
        for model in (WebhookEventTrigger, Event, Session, Subscription, Customer, WebhookEndpoint):
            model.objects.all().delete()


def measure(base: dict[str, str], checkouts: int, rate: float) -> dict:
    """Deliver ``checkouts`` events at ``rate`` a second to the product started on ``base``'s
    database and Redis (gunicorn and one Celery worker, on ``common.PORT``), wait for the emails,
    and return the latencies. Django must be set up on the same database (``common.setup_django``).
    ``failed_checkouts`` counts checkouts without an account or without exactly one email."""
    from django.db import connection
    from djstripe.models import WebhookEndpoint

    from accounts.tenancy import system_scope
    from billing.models import Provisioning

    stripe, email = FakeStripe().start(), FakePostmark().start()
    web = worker = None
    try:
        stripe.price_id = stripe.add_price()
        env = product_environment(stripe, email, base)
        reset()
        run([sys.executable, "manage.py", "stripe_webhook_endpoint", "--skip-checks"], env)
        with system_scope():
            endpoint = WebhookEndpoint.objects.get()
        connection.close()
        webhook_url = f"http://127.0.0.1:{PORT}/stripe/webhook/{endpoint.djstripe_uuid}/"
        web, worker = common.start_web(env), common.start_worker(env)
        wait_for_http(f"http://127.0.0.1:{PORT}/checkout/cancelled/", server=web)
        common.wait_for_worker(worker)
        sent: dict[str, float] = {}
        address_of: dict[str, str] = {}
        responses: list[float] = []
        refused = 0
        begun = time.time()
        for index in range(checkouts):
            address = f"owner{index}@bench.example"
            session = stripe._create_checkout_session(
                {"mode": "subscription", "customer_email": address, "line_items": [{"price": stripe.price_id, "quantity": "1"}],
                 "metadata": {"plan": "pro", "email": address, "business_name": f"Bench Business {index}",
                              "industry": "plumber", "country": "US", "timezone": "America/New_York", "phone": "+12125550100", "team_size": "3"}},
            )[1]  # fmt: skip
            stripe.complete_checkout(session["id"])
            status, started = post_event(
                webhook_url, stripe.event("checkout.session.completed", session), endpoint.secret
            )
            responses.append(time.time() - started)
            refused += status != 200
            sent[session["id"]], address_of[session["id"]] = started, address
            time.sleep(max(0.0, 1 / rate - responses[-1]))
        delivered = time.time() - begun

        deadline = time.monotonic() + 300
        while len(email.sent) < checkouts and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # a second email, if one were sent, would arrive now
        with system_scope():
            created = dict(Provisioning.objects.values_list("checkout_session_id", "organization__created_at"))
        connection.close()
    finally:
        if web is not None:
            common.stop(web, worker)
        stripe.stop()
        email.stop()
        reset()
        connection.close()
    received: dict[str, list[float]] = {}
    for message in email.sent:
        received.setdefault(message["To"], []).append(message["received_at"])
    account = [created[sid].timestamp() - t0 for sid, t0 in sent.items() if sid in created]
    emailed = [received[address_of[sid]][0] - t0 for sid, t0 in sent.items() if address_of[sid] in received]
    failed = [sid for sid in sent if sid not in created or len(received.get(address_of[sid], [])) != 1]
    return {
        "checkouts": checkouts,
        "rate": rate,
        "checkouts_per_second": round(checkouts / delivered, 2),
        "webhook_refused": refused,
        "accounts_created": len(account),
        "emails_sent": len(email.sent),
        "failed_checkouts": len(failed),
        "webhook_response": summary(responses),
        "post_to_account": summary(account) if account else None,
        "post_to_email": summary(emailed) if emailed else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="checkouts per second")
    parser.add_argument("--out", default=str(common.RESULTS / "checkout_webhooks.json"))
    args = parser.parse_args()

    env = common.production_environment()
    common.prepare_database(env)
    common.setup_django(env)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": common.machine(),
        "command": f"bench/checkout_webhooks.py --checkouts {args.checkouts} --rate {args.rate}",
        **measure(env, args.checkouts, args.rate),
    }
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print("\n| measure | median | p95 | max |\n|---|---|---|---|")
    for name in ("webhook_response", "post_to_account", "post_to_email"):
        row = result[name] or {}
        print(
            f"| {name.replace('_', ' ')} | {row.get('median_ms')} ms | {row.get('p95_ms')} ms | {row.get('max_ms')} ms |"
        )
    return 1 if result["failed_checkouts"] or result["webhook_refused"] else 0


if __name__ == "__main__":
    sys.exit(main())
