"""Every list endpoint makes the same number of queries whatever the page size."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.tests.registry import make
from config.tests.routes import api_routes, response_text

pytestmark = pytest.mark.django_db

LISTS = [r for r in api_routes() if r.method == "get" and not r.parameters and r.model is not None]


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
