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
import os
import secrets
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.tests.fakes.postmark import FakePostmark  # noqa: E402
from config.tests.fakes.stripe import FakeStripe  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://bizbox@127.0.0.1:5432/bizbox_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
PORT = int(os.environ.get("BENCH_PORT", "8765"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def product_environment(stripe: FakeStripe, email: FakePostmark) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "SECURE_SSL_REDIRECT": "0",
        "SITE_URL": f"http://127.0.0.1:{PORT}",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "STRIPE_SECRET_KEY": stripe.secret_key,
        "STRIPE_API_HOST": stripe.url,
        "STRIPE_PRICE_IDS": f"pro:{stripe.price_id}",
        "LOG_LEVEL": "WARNING",
        **email.environment(),
    }


def run(command: list[str], env: dict) -> None:
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def wait_for_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


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
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "checkout_webhooks.json"))
    args = parser.parse_args()

    stripe, email = FakeStripe().start(), FakePostmark().start()
    stripe.price_id = stripe.add_price()
    env = product_environment(stripe, email)
    os.environ.update(
        {
            key: env[key]
            for key in (
                "DEBUG",
                "SECRET_KEY",
                "ALLOWED_HOSTS",
                "FIELD_ENCRYPTION_KEY",
                "DATABASE_URL",
                "REDIS_URL",
                "SITE_URL",
                "STRIPE_SECRET_KEY",
                "STRIPE_API_HOST",
            )
        }
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

    logs = ROOT / "bench" / "results"
    logs.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "bin/pg_app_role.py"], {**env, "APP_DATABASE_URL": DATABASE_URL})
    run([sys.executable, "manage.py", "migrate", "--noinput"], env)
    run([sys.executable, "manage.py", "shell", "-c", _RESET_SQL], env)
    run([sys.executable, "manage.py", "stripe_webhook_endpoint"], env)

    import django

    django.setup()
    from django.db import connection
    from djstripe.models import WebhookEndpoint

    from accounts.tenancy import system_scope
    from billing.models import Provisioning

    with system_scope():
        endpoint = WebhookEndpoint.objects.get()
    webhook_url = f"http://127.0.0.1:{PORT}/stripe/webhook/{endpoint.djstripe_uuid}/"

    web = start(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{PORT}"], env, logs / "web.log"
    )
    worker = start(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "1", "--loglevel", "WARNING"],
        env,
        logs / "worker.log",
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
            "machine": {
                "cores": os.cpu_count(),
                "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            },
            "command": f"bench/checkout_webhooks.py --checkouts {args.checkouts} --rate {args.rate}",
            "checkouts": args.checkouts,
            "accounts_created": len(account),
            "emails_sent": len(emailed),
            "webhook_response": summary(responses),
            "post_to_account": summary(account),
            "post_to_email": summary(emailed),
        }
    finally:
        web.terminate()
        worker.terminate()
        web.wait(timeout=20)
        worker.wait(timeout=20)
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
    Organization.objects.all().delete()
    User.objects.all().delete()
    for model in (WebhookEventTrigger, Event, Session, Subscription, Customer, WebhookEndpoint):
        model.objects.all().delete()
"""

if __name__ == "__main__":
    sys.exit(main())
