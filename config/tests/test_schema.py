"""The OpenAPI schema describes every endpoint without guesses, and the docs page serves it."""

import io

import pytest
from django.core.management import call_command


def test_the_schema_is_valid_and_complete():
    # --fail-on-warn: an endpoint whose shapes drf-spectacular had to guess fails here.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())


@pytest.mark.django_db
def test_the_docs_and_schema_are_served(client):
    assert client.get("/api/docs/").status_code == 200
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from POST /api/v1/api-tokens/ or `manage.py create_api_token`.",
    }
