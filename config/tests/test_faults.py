"""Faults in the middle of work lose nothing and do nothing twice.

Real services, started and stopped by the tests on loopback: a Redis of the
test's own restarted while emails are being sent, a Celery worker killed in
the middle of a task, PostgreSQL dropping the web server's connections.
"""

import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import redis
from django.db import connection

from accounts.roles import Role
from accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from billing.models import Provisioning, WelcomeEmailStatus
from billing.tasks import welcome_email_send
from billing.tests.factories import ProvisioningFactory
from config.middleware import RETRY_AFTER_SECONDS
from config.tests.processes import celery_client, celery_worker, redis_server
from crm import imports
from crm.models import Contact, ContactImport, DuplicatePolicy, ImportStatus
from crm.tasks import contact_import_run
from crm.tests.factories import csv_upload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="faults of the production services"),
]

UNAVAILABLE = {
    "error": {
        "code": "service_unavailable",
        "message": "The service is briefly unavailable; try again in a few seconds.",
        "fields": {},
    }
}
# A task taken by a worker that died goes back to its queue after this long; production keeps an hour.
VISIBILITY_TIMEOUT = "2"


def _wait_for(condition: Callable[[], object], seconds: float = 30, every: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def _new_queue() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def _broker_holds_nothing(url: str, queue: str) -> bool:
    """No task waiting in the queue and none taken but unacknowledged: nothing is left to run."""
    client = redis.Redis.from_url(url)
    try:
        return client.llen(queue) == 0 and client.hlen("unacked") == 0
    finally:
        client.close()


def _received(log: str) -> Counter:
    """How many times the worker whose log this is received each task, by task id."""
    return Counter(re.findall(r"\[([0-9a-f-]{36})\] received", log))


# -- Redis restarted while messages are being sent -----------------------------------------------------------


def _business_awaiting_its_welcome(n: int) -> Provisioning:
    organization = OrganizationFactory(name=f"Business {n}", slug=f"business-{n}")
    MembershipFactory(organization=organization, user=UserFactory(email=f"owner{n}@example.com"), role=Role.OWNER)
    return ProvisioningFactory(organization=organization)


@pytest.mark.worker
def test_emails_being_sent_when_redis_restarts_all_go_out_once(tmp_path, fake_email):
    queue = _new_queue()
    provisionings = [_business_awaiting_its_welcome(n) for n in range(20)]
    fake_email.hold(from_request=6)  # the sixth send waits for an answer while Redis goes down
    worker_env = {**fake_email.environment(), "CELERY_VISIBILITY_TIMEOUT_SECONDS": VISIBILITY_TIMEOUT}

    with redis_server(tmp_path) as broker_server:
        log_path = tmp_path / "worker.log"
        with celery_worker(queue=queue, log_path=log_path, env=worker_env, broker_url=broker_server.url):
            with celery_client(broker_server.url) as client:
                for provisioning in provisionings:
                    client.send_task(
                        welcome_email_send.name, kwargs={"organization_id": provisioning.organization_id}, queue=queue
                    )
            assert _wait_for(lambda: len(fake_email.requests) == 6), log_path.read_text()
            broker_server.stop()
            fake_email.release()
            # Down until the worker has finished that send and failed to acknowledge it.
            assert _wait_for(lambda: "Connection to broker lost" in log_path.read_text(), seconds=20)
            broker_server.start()

            assert _wait_for(lambda: len({m["To"] for m in fake_email.sent}) == 20, seconds=40), log_path.read_text()
            assert _wait_for(lambda: _broker_holds_nothing(broker_server.url, queue), seconds=20), log_path.read_text()

    # The send in flight at the restart could not be acknowledged: it was delivered again, and did nothing again.
    assert Counter(_received(log_path.read_text()).values()) == {1: 19, 2: 1}
    assert Counter(message["To"] for message in fake_email.sent) == {f"owner{n}@example.com": 1 for n in range(20)}
    assert set(Provisioning.objects.values_list("welcome_email_status", flat=True)) == {WelcomeEmailStatus.SENT}


# -- A worker killed during a task ---------------------------------------------------------------------------


def _contacts_file(count: int):
    return csv_upload([["Email", "First name"]] + [[f"person{n}@example.net", f"Person {n}"] for n in range(count)])


@pytest.mark.worker
def test_an_import_whose_worker_is_killed_runs_again_and_imports_every_row_once(tmp_path, org, owner, settings):
    queue = _new_queue()
    rows = 15000
    settings.MEDIA_ROOT = tmp_path / "media"
    worker_env = {"MEDIA_ROOT": str(settings.MEDIA_ROOT), "CELERY_VISIBILITY_TIMEOUT_SECONDS": VISIBILITY_TIMEOUT}
    # "create" is the policy under which a row imported twice would show as a second contact.
    contact_import = imports.contact_import_create(
        organization=org, actor=owner, upload=_contacts_file(rows), duplicate_policy=DuplicatePolicy.CREATE
    )
    ContactImport.objects.filter(pk=contact_import.pk).update(status=ImportStatus.PENDING)  # as starting it does

    def progress() -> ContactImport:
        return ContactImport.objects.get(pk=contact_import.pk)

    with redis_server(tmp_path) as broker_server:
        first_log = tmp_path / "first-worker.log"
        with celery_worker(
            queue=queue, log_path=first_log, env=worker_env, broker_url=broker_server.url, pool="prefork"
        ) as first_worker:
            with celery_client(broker_server.url) as client:
                task = client.send_task(
                    contact_import_run.name,
                    kwargs={"organization_id": org.id, "import_id": contact_import.pk},
                    queue=queue,
                )
            assert _wait_for(lambda: progress().rows_done >= 1000), first_log.read_text()
            os.killpg(first_worker.pid, signal.SIGKILL)  # the worker and the child running the import
            first_worker.wait(timeout=10)

        stopped = progress()
        assert stopped.status == ImportStatus.RUNNING
        assert 0 < stopped.rows_done < rows, "the worker was killed in the middle of the import"

        second_log = tmp_path / "second-worker.log"
        with celery_worker(
            queue=queue, log_path=second_log, env=worker_env, broker_url=broker_server.url, pool="prefork"
        ):
            assert _wait_for(lambda: progress().status == ImportStatus.COMPLETED, seconds=40), second_log.read_text()
            assert _wait_for(lambda: _broker_holds_nothing(broker_server.url, queue), seconds=10)

    assert _received(first_log.read_text()) == {task.id: 1}
    # The second worker takes the task again; on a slow machine a run longer than the test's
    # 2-second visibility timeout is handed to it once more, and that delivery must find the
    # import completed and do nothing: what counts is every row once, and the queue empty.
    assert set(_received(second_log.read_text())) == {task.id}
    done = progress()
    assert (done.rows_done, done.created_count, done.failed_count) == (rows, rows, 0)
    emails = Counter(Contact.objects.filter(organization=org).values_list("email", flat=True))
    assert len(emails) == rows
    assert set(emails.values()) == {1}


# -- PostgreSQL dropping connections -------------------------------------------------------------------------


def _get(url: str, token: str) -> tuple[int, str, object]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        content_type = error.headers["Content-Type"] or ""
        return error.code, content_type, json.loads(body) if content_type == "application/json" else body


def _drop_other_sessions() -> int:
    """End every session on the test database but this test's own: the server's connections."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@contextmanager
def _database_refusing_connections() -> Iterator[None]:
    """New sessions are refused ("too many connections"), as while PostgreSQL restarts; ours stays."""
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {name} CONNECTION LIMIT 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {name} CONNECTION LIMIT -1")


def test_dropped_database_connections_give_a_503_and_the_server_recovers_by_itself(server_process, token_client):
    url, token = f"{server_process}/api/v1/organization/", token_client.token_key
    unavailable = (503, "application/json", UNAVAILABLE)
    for _ in range(4):
        assert _get(url, token)[0] == 200

    # The server's connections dropped: a request takes a fresh one, or at worst gets the clean 503.
    assert _drop_other_sessions() >= 1
    answers = [_get(url, token) for _ in range(3)]
    assert all(answer[0] == 200 or answer == unavailable for answer in answers), answers

    # Dropped while the database refuses new ones, as while it restarts: the clean 503 for everyone.
    with _database_refusing_connections():
        _drop_other_sessions()
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda _: _get(url, token), range(4)))
    assert answers == [unavailable] * 4

    # The database is back: the same server process answers again.
    assert _wait_for(lambda: _get(url, token)[0] == 200, seconds=30, every=0.2)
    assert [_get(url, token)[0] for _ in range(4)] == [200] * 4


# -- The middleware, in process ------------------------------------------------------------------------------


@pytest.mark.urls("config.tests.fault_urls")
def test_a_connection_lost_in_a_view_answers_503_json_and_the_next_request_reconnects(owner_client):
    for path in ["/api/v1/lose-connection/", "/lose-connection/"]:  # a DRF view, then a plain Django one
        lost = owner_client.get(path)
        assert lost.status_code == 503
        assert lost["Content-Type"] == "application/json"
        assert lost["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert lost.json() == UNAVAILABLE

        assert owner_client.get("/api/v1/works/").status_code == 200
