"""Tasks in a real worker process: each runs in its organization's scope, and /healthz sees the worker."""

import time

import pytest

from accounts.models import ActivityEntry, IdempotencyRecord
from accounts.tasks import idempotency_records_prune
from accounts.tests.factories import IdempotencyRecordFactory
from config.tests.worker_tasks import report_visible_organizations

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_an_organization_task_sees_only_its_organization(celery_worker_process, owner, outsider, org, other_org):
    report_visible_organizations.delay(organization_id=org.id)
    assert _wait_for(lambda: ActivityEntry.objects.filter(verb="test.visibility").exists())
    assert ActivityEntry.objects.get(verb="test.visibility").data == {"seen": [org.id]}
    assert ActivityEntry.objects.get(verb="test.visibility").organization_id == org.id


def test_an_organization_task_refuses_to_run_without_one(celery_worker_process):
    with pytest.raises(TypeError, match="organization_id"):
        report_visible_organizations.apply(kwargs={}, throw=True)


def test_the_prune_task_forgets_old_idempotency_keys(celery_worker_process, org):
    from datetime import timedelta

    from django.utils import timezone

    old = IdempotencyRecordFactory(organization=org)
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    fresh = IdempotencyRecordFactory(organization=org)
    idempotency_records_prune.delay()
    assert _wait_for(lambda: not IdempotencyRecord.objects.filter(pk=old.pk).exists())
    assert IdempotencyRecord.objects.filter(pk=fresh.pk).exists()


def test_healthz_checks_database_redis_and_the_worker(celery_worker_process, client):
    response = client.get("/healthz", {"format": "json"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body) == 4
    assert all(status == "OK" for status in body.values())


def test_healthz_fails_without_a_worker(client):
    from config.celery import app

    saved = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, "queue-nobody-listens-to"
    try:
        response = client.get("/healthz", {"format": "json"})
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved
    assert response.status_code == 500
    assert any("Ping" in name and status != "OK" for name, status in response.json().items())
