"""A retried create with the same Idempotency-Key creates nothing new and answers the same."""

import pytest

from accounts.models import ActivityEntry, IdempotencyRecord
from conftest import client_for, run_concurrently

pytestmark = pytest.mark.urls("config.tests.idempotency_urls")


@pytest.mark.django_db
def test_a_retry_replays_the_first_answer(owner_client, org):
    first = owner_client.post(
        "/api/v1/entries/", {"verb": "note.added", "summary": "Hi"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = owner_client.post(
        "/api/v1/entries/", {"verb": "note.added", "summary": "Hi"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ActivityEntry.objects.filter(organization=org, verb="note.added").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(owner_client, org):
    owner_client.post("/api/v1/entries/", {"verb": "note.added"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = owner_client.post("/api/v1/entries/", {"verb": "other"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert ActivityEntry.objects.filter(organization=org).count() == 1


@pytest.mark.django_db
def test_a_rejected_request_does_not_use_up_the_key(owner_client, org):
    bad = owner_client.post("/api/v1/entries/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert bad.status_code == 400
    good = owner_client.post("/api/v1/entries/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 400
    assert not IdempotencyRecord.objects.filter(key="k-3").exists()


@pytest.mark.django_db
def test_keys_belong_to_one_organization(owner_client, outsider_client, org, other_org):
    owner_client.post("/api/v1/entries/", {"verb": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = outsider_client.post("/api/v1/entries/", {"verb": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert ActivityEntry.objects.filter(verb="a").count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_object(owner, org):
    def post() -> int:
        client = client_for(owner)
        return client.post(
            "/api/v1/entries/", {"verb": "race"}, format="json", HTTP_IDEMPOTENCY_KEY="k-race"
        ).status_code

    assert run_concurrently(post, 8) == [201] * 8
    assert ActivityEntry.objects.filter(verb="race").count() == 1
