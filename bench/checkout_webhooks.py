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
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import PORT, run, start, summary, wait_for_http
from config.tests.fakes.postmark import FakePostmark
from config.tests.fakes.stripe import FakeStripe


def product_environment(stripe: FakeStripe, email: FakePostmark) -> dict[str, str]:
    return common.production_environment(
        STRIPE_SECRET_KEY=stripe.secret_key,
        STRIPE_API_HOST=stripe.url,
        STRIPE_PRICE_IDS=f"pro:{stripe.price_id}",
        **email.environment(),
    )


def post_event(url: str, event: dict, secret: str) -> tuple[int, float]:
    from billing.providers.stripe import webhook_signature

    payload = json.dumps(event)
    request = urllib.request.Request(
        url, data=payload.encode(), method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": webhook_signature(payload, secret)},
    )  # fmt: skip
    started = time.time()
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="checkouts per second")
    parser.add_argument("--out", default=str(common.RESULTS / "checkout_webhooks.json"))
    args = parser.parse_args()

    stripe, email = FakeStripe().start(), FakePostmark().start()
    stripe.price_id = stripe.add_price()
    env = product_environment(stripe, email)
    common.prepare_database(env)
    run([sys.executable, "manage.py", "shell", "-c", _RESET_SQL], env)
    run([sys.executable, "manage.py", "stripe_webhook_endpoint"], env)
    common.setup_django(env)
    from django.db import connection
    from djstripe.models import WebhookEndpoint

    from accounts.tenancy import system_scope
    from billing.models import Provisioning

    with system_scope():
        endpoint = WebhookEndpoint.objects.get()
    webhook_url = f"http://127.0.0.1:{PORT}/stripe/webhook/{endpoint.djstripe_uuid}/"

    web = common.start_web(env)
    worker = start(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "1", "--loglevel", "WARNING"],
        env,
        "worker.log",
    )
    try:
        wait_for_http(f"http://127.0.0.1:{PORT}/checkout/cancelled/")
        time.sleep(3)  # the worker connects to Redis
        sent: dict[str, float] = {}
        responses: list[float] = []
        for index in range(args.checkouts):
            session = stripe._create_checkout_session(
                {"mode": "subscription", "customer_email": f"owner{index}@bench.example", "line_items": [{"price": stripe.price_id, "quantity": "1"}],
                 "metadata": {"plan": "pro", "email": f"owner{index}@bench.example", "business_name": f"Bench Business {index}",
                              "industry": "plumber", "country": "US", "timezone": "America/New_York", "phone": "+12125550100", "team_size": "3"}},
            )[1]  # fmt: skip
            stripe.complete_checkout(session["id"])
            status, started = post_event(
                webhook_url, stripe.event("checkout.session.completed", session), endpoint.secret
            )
            assert status == 200, status
            responses.append(time.time() - started)
            sent[session["id"]] = started
            time.sleep(max(0.0, 1 / args.rate - responses[-1]))

        deadline = time.monotonic() + 300
        while len(email.sent) < args.checkouts and time.monotonic() < deadline:
            time.sleep(0.2)
        with system_scope():
            created = dict(Provisioning.objects.values_list("checkout_session_id", "organization__created_at"))
        connection.close()
        account = [created[sid].timestamp() - t0 for sid, t0 in sent.items() if sid in created]
        by_address = {m["To"]: m["received_at"] for m in email.sent}
        index_of = {sid: i for i, sid in enumerate(sent)}
        emailed = [
            by_address[f"owner{index_of[sid]}@bench.example"] - t0
            for sid, t0 in sent.items()
            if f"owner{index_of[sid]}@bench.example" in by_address
        ]
        result = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": common.machine(),
            "command": f"bench/checkout_webhooks.py --checkouts {args.checkouts} --rate {args.rate}",
            "checkouts": args.checkouts,
            "accounts_created": len(account),
            "emails_sent": len(emailed),
            "webhook_response": summary(responses),
            "post_to_account": summary(account),
            "post_to_email": summary(emailed),
        }
    finally:
        common.stop(web, worker)
        stripe.stop()
        email.stop()
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print("\n| measure | median | p95 | max |\n|---|---|---|---|")
    for name in ("webhook_response", "post_to_account", "post_to_email"):
        row = result[name]
        print(f"| {name.replace('_', ' ')} | {row['median_ms']} ms | {row['p95_ms']} ms | {row['max_ms']} ms |")
    return 0 if len(emailed) == args.checkouts else 1


# Each run starts from an empty product: earlier benchmark accounts and Stripe objects go.
_RESET_SQL = """
from django.db import connection
from accounts.tenancy import system_scope
from accounts.models import Organization, User
from djstripe.models import WebhookEndpoint, WebhookEventTrigger, Event, Session, Subscription, Customer
with system_scope():
    Organization.objects.filter(provisioning__isnull=False).delete()
    User.objects.filter(email__endswith="@bench.example").delete()
    for model in (WebhookEventTrigger, Event, Session, Subscription, Customer, WebhookEndpoint):
        model.objects.all().delete()
"""

if __name__ == "__main__":
    sys.exit(main())
