"""Every list endpoint makes the same number of queries whatever the page size, and every
detail endpoint the same whatever the number of records hanging from the one it shows."""

import csv
import io

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import TenantModel
from config.tests.registry import make
from config.tests.routes import api_routes, response_text

pytestmark = pytest.mark.django_db

LISTS = [r for r in api_routes() if r.method == "get" and not r.parameters and r.model is not None]
# One record's pages: /contacts/{id}/, and those of its own, such as /contacts/{id}/notes/.
DETAILS = [r for r in api_routes() if r.method == "get" and r.parameters and r.model is not None]


def _rows(response) -> list:
    if response.streaming:  # a CSV download: one line per row after the header
        return list(csv.reader(io.StringIO(response_text(response))))[1:]
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def _count(client, path: str, page_size: int) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"page_size": page_size})
        assert response.status_code == 200, response_text(response)
        rows = _rows(response)  # inside: a streamed body runs its queries as it is read
    return len(captured), len(rows)


@pytest.mark.parametrize("route", LISTS, ids=str)
def test_list_query_count_does_not_grow_with_the_page(owner_client, org, route):
    for _ in range(2):
        make(route.model, org)
    small_queries, small_rows = _count(owner_client, route.template, 1)
    for _ in range(8):
        make(route.model, org)
    large_queries, large_rows = _count(owner_client, route.template, 10)
    assert large_rows > small_rows
    assert large_queries == small_queries


def _grow_related(record, organization, count: int) -> int:
    """Add ``count`` rows of every kind that points at ``record`` (its notes, tags, ...); returns how many.

    A kind that holds one row per organization (a unique key) stops growing at its first.
    """
    made = 0
    for relation in record._meta.related_objects:
        if relation.many_to_many or not issubclass(relation.related_model, TenantModel):
            continue
        for _ in range(count):
            try:
                with transaction.atomic():
                    make(relation.related_model, organization, **{relation.field.name: record})
                made += 1
            except IntegrityError:
                break
    return made


def _count_detail(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        assert response.status_code == 200, response_text(response)
        response_text(response)  # inside: a streamed body runs its queries as it is read
    return len(captured)


@pytest.mark.parametrize("route", DETAILS, ids=str)
def test_detail_query_count_does_not_grow_with_related_records(owner_client, org, route):
    # A nested route would need its parent's id as well: teach this test to build one when it comes.
    assert len(route.parameters) == 1, f"{route}: a nested route; build its parent here too"
    record = make(route.model, org)
    path = route.path(getattr(record, route.lookup_field))
    _grow_related(record, org, 1)
    _count_detail(owner_client, path)  # once first: what a process caches on first use is not the point
    few = _count_detail(owner_client, path)
    _grow_related(record, org, 9)
    many = _count_detail(owner_client, path)
    assert many == few, f"{route}: {few} queries with one related record of each kind, {many} with ten"
