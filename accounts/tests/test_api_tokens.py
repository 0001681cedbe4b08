"""API tokens: created and shown once, kept hashed, listed, revoked; and the script command."""

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ActivityEntry, ApiToken

pytestmark = pytest.mark.django_db


def test_a_token_is_shown_once_and_stored_hashed(owner_client, org, owner):
    response = owner_client.post("/api/v1/api-tokens/", {"name": "Zapier"}, format="json")
    assert response.status_code == 201
    body = response.json()
    key = body["token"]
    assert key.startswith("bbx_") and len(key) > 40
    assert body["prefix"] == key[:12]
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.filter(pk=body["id"]).values().get())

    assert "token" not in owner_client.get(f"/api/v1/api-tokens/{body['id']}/").json()
    assert ActivityEntry.objects.filter(organization=org, verb="api_token.created", actor=owner).exists()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/me/").json()["user"]["email"] == owner.email


def test_a_token_needs_a_name(owner_client):
    response = owner_client.post("/api/v1/api-tokens/", {"name": "  "}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]


def test_revoking_a_token_stops_it_at_once(owner_client):
    created = owner_client.post("/api/v1/api-tokens/", {"name": "Old script"}, format="json").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert client.get("/api/v1/me/").status_code == 200

    assert owner_client.delete(f"/api/v1/api-tokens/{created['id']}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    listed = owner_client.get("/api/v1/api-tokens/", {"active": "false"}).json()["results"]
    assert [token["id"] for token in listed] == [created["id"]]
    assert listed[0]["revoked_at"] is not None


def test_the_command_prints_a_working_token_alone_on_its_last_line(org, owner):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", email=owner.email.upper(), organization=org.slug, stdout=out, stderr=err)
    key = out.getvalue().strip().splitlines()[-1]
    assert key.startswith("bbx_") and " " not in key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/organization/").json()["slug"] == org.slug


def test_the_command_refuses_a_non_member(org, outsider):
    with pytest.raises(CommandError, match="not a member"):
        call_command("create_api_token", email=outsider.email, organization=org.slug)
    with pytest.raises(CommandError, match="No organization"):
        call_command("create_api_token", email=outsider.email, organization="nope")
