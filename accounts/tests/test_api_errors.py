"""Bad input gets a clear JSON 4xx naming the problem, never a 500."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.json()["error"]


@pytest.mark.parametrize("path", ["/api/v1/members/abc/", "/api/v1/members/1.5/", "/api/v1/nothing-here/"])
def test_a_malformed_id_or_unknown_route_is_a_json_404(owner_client, path):
    response = owner_client.get(path)
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_an_id_that_does_not_exist_is_a_json_404(owner_client):
    response = owner_client.get("/api/v1/members/987654321/")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_wrong_content_type_is_415(owner_client):
    response = owner_client.patch("/api/v1/organization/", "name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"


def test_malformed_json_is_400(owner_client):
    response = owner_client.patch("/api/v1/organization/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_body_is_413(owner_client):
    response = owner_client.patch("/api/v1/organization/", {"name": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert _error(response)["code"] == "body_too_large"


def test_a_field_error_names_the_field(owner_client):
    response = owner_client.patch(
        "/api/v1/organization/", {"timezone": "Mars/Olympus", "currency": "XYZ"}, format="json"
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"timezone", "currency"}


def test_a_method_not_allowed_is_405(owner_client):
    response = owner_client.delete("/api/v1/organization/")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"
