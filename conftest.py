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
        yield


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


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


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
def celery_worker_process(transactional_db, tmp_path):
    """A real Celery worker process on Redis, on a queue of its own, using this test's database.

    Its queue is unique so that parallel test processes never take each other's tasks.
    """
    import os
    import subprocess
    import sys
    import uuid

    from django.db import connection

    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DEBUG": "1",
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--queues", queue,
         "--hostname", f"{queue}@localhost", "--without-gossip", "--without-mingle",
         "--include", "config.tests.worker_tasks", "--loglevel", "INFO"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    saved = app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.task_default_queue, app.conf.task_always_eager = queue, False
    try:
        _wait_for_worker(app, f"{queue}@localhost", worker, tmp_path / "worker.log")
        yield worker
    finally:
        app.conf.task_default_queue, app.conf.task_always_eager = saved
        worker.terminate()
        worker.wait(timeout=20)
        log.close()


def _wait_for_worker(app, name: str, worker, log_path) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"The Celery worker exited:\n{log_path.read_text()}")
        if app.control.ping(destination=[name], timeout=0.5):
            return
    raise RuntimeError(f"The Celery worker did not answer in time:\n{log_path.read_text()}")
