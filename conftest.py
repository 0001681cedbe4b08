"""Fixtures shared by every app's tests.

The test database connection is the application's own role, so PostgreSQL's
row-level security applies: test set-up runs in the system scope, and each
request the tests make starts from no scope and picks its organization itself,
exactly as in production.
"""

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.roles import Role
from accounts.tenancy import system_scope
from accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _system_scope_for_setup(db):
    with system_scope():
        _shipped_data()
        yield


def _shipped_data() -> None:
    """Data the migrations ship; a transactional test's flush empties it for the next test."""
    from accounts.models import IndustryProfile

    if not IndustryProfile.objects.exists():
        services.industry_profiles_load()


@pytest.fixture
def org():
    return OrganizationFactory(name="Alpha Plumbing", slug="alpha-plumbing")


@pytest.fixture
def other_org():
    return OrganizationFactory(name="Bravo Salon", slug="bravo-salon")


def _member(organization, role: str, email: str):
    return MembershipFactory(organization=organization, user=UserFactory(email=email), role=role).user


@pytest.fixture
def owner(org):
    return _member(org, Role.OWNER, "alice@alpha.example")


@pytest.fixture
def admin_user(org):
    return _member(org, Role.ADMIN, "adam@alpha.example")


@pytest.fixture
def staff_member(org):
    return _member(org, Role.STAFF, "bob@alpha.example")


@pytest.fixture
def viewer(org):
    return _member(org, Role.VIEWER, "vera@alpha.example")


@pytest.fixture
def outsider(other_org):
    """Charlie owns the other organization and has no access to ours."""
    return _member(other_org, Role.OWNER, "charlie@bravo.example")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def run_concurrently(action, times: int) -> list:
    """Run ``action`` from ``times`` threads at once, each on its own database connection."""
    import threading

    from django.db import connection

    results: list = []

    def run():
        try:
            results.append(action())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def admin_client(admin_user):
    return client_for(admin_user)


@pytest.fixture
def staff_client(staff_member):
    return client_for(staff_member)


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def token_client(org, owner):
    """A client that authenticates with a real bearer token of the owner."""
    _, key = services.api_token_create(organization=org, user=owner, name="Tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.token_key = key
    return client


@pytest.fixture
def worker_env() -> dict[str, str]:
    """Extra environment for the worker process; tests override it (e.g. fake Stripe and email)."""
    return {}


@pytest.fixture
def fake_email(settings):
    """A fake email service (Postmark's API) on 127.0.0.1, reached through anymail."""
    from config.tests.fakes.postmark import FakePostmark

    fake = FakePostmark().start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = fake.anymail_settings()
    yield fake
    fake.stop()


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path, worker_env):
    """A real Celery worker process on Redis, on a queue of its own, using this test's database.

    Its queue is unique so that parallel test processes never take each other's tasks.
    """
    import uuid

    from config.celery import app
    from config.tests.processes import celery_worker

    queue = f"test-{uuid.uuid4().hex[:10]}"
    saved = app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.task_default_queue, app.conf.task_always_eager = queue, False
    try:
        with celery_worker(queue=queue, log_path=tmp_path / "worker.log", env=worker_env) as worker:
            yield worker
    finally:
        app.conf.task_default_queue, app.conf.task_always_eager = saved


@pytest.fixture
def server_env() -> dict[str, str]:
    """Extra environment for the server process; tests override it."""
    return {}


@pytest.fixture
def server_process(transactional_db, tmp_path, server_env) -> str:
    """The product under gunicorn, as in production, on this test's database; yields its base URL."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from config.tests.processes import database_url, free_port, stop_process

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        **server_env,
    }
    log_path = tmp_path / "server.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"The server exited:\n{log_path.read_text()}")
            try:
                urllib.request.urlopen(f"{base}/admin/login/", timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"The server did not start:\n{log_path.read_text()}") from None
                time.sleep(0.3)
        yield base
    finally:
        stop_process(server, timeout=30)
        log.close()


@pytest.fixture
def fake_stripe(settings):
    """A fake Stripe API on 127.0.0.1, reached by the official client and by dj-stripe."""
    import stripe

    from config.tests.fakes.stripe import FakeStripe

    fake = FakeStripe().start()
    saved_base = stripe.api_base
    settings.STRIPE_SECRET_KEY = fake.secret_key
    settings.STRIPE_API_HOST = fake.url
    stripe.api_base = fake.url  # dj-stripe's own calls use the library's global address
    fake.price_id = fake.add_price(amount=4900, name="Pro")
    settings.STRIPE_PRICE_IDS = {"pro": fake.price_id, "starter": fake.add_price(amount=1900, name="Starter")}
    yield fake
    stripe.api_base = saved_base
    fake.stop()


@pytest.fixture
def fake_twilio(settings):
    """A fake Twilio REST API on 127.0.0.1, reached by the official client; the platform's
    Twilio account is the fake's account."""
    from config.tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

    fake = FakeTwilio().start()
    settings.TWILIO_API_BASE = fake.url
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = ACCOUNT_SID, AUTH_TOKEN
    yield fake
    fake.stop()


@pytest.fixture
def fake_meta(settings):
    """A fake Meta Graph API on 127.0.0.1, with the platform's app secret and verify token set."""
    from config.tests.fakes.meta import APP_SECRET, VERIFY_TOKEN, FakeGraph

    fake = FakeGraph().start()
    settings.META_GRAPH_URL = fake.url
    settings.META_APP_SECRET = APP_SECRET
    settings.META_VERIFY_TOKEN = VERIFY_TOKEN
    yield fake
    fake.stop()
