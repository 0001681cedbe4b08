"""Fuzzing every operation of the API with schemathesis, as the owner of a seeded organization.

Each operation of the schema gets ``FUZZ_MAX_EXAMPLES`` generated requests,
valid and invalid, sent with a bearer token of the owner, with path ids aimed
at the organization's real records. No answer may be a 5xx, and every answer,
errors included, must be what the schema says. New endpoints are fuzzed
without editing this file.
"""

import json

import pytest

from accounts import services
from accounts.models import TenantModel
from config.tests import fuzzing
from config.tests.registry import make, tenant_models
from config.tests.routes import Route, openapi_schema

pytestmark = pytest.mark.django_db

SCHEMA = fuzzing.api_schema()


@pytest.fixture
def seeded_token(org, owner, settings) -> str:
    """Our organization with one record of every kind (and those they hang from); the owner's API token."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl-fuzz-{fuzzing.SEED}-"  # counters of this run only
    for model in tenant_models():
        make(model, org)
    _, key = services.api_token_create(organization=org, user=owner, name="Fuzzing")
    return key


def _record_ids(route: Route, organization) -> list:
    records = route.model.objects.all()
    if issubclass(route.model, TenantModel):
        records = records.filter(organization=organization)
    return sorted(records.values_list(route.lookup_field, flat=True))


@SCHEMA.parametrize()
@fuzzing.FUZZ_SETTINGS
def test_every_answer_is_documented_and_none_is_a_server_error(case, seeded_token, org):
    route = fuzzing.route_of(case)
    if route.model is not None:
        fuzzing.point_at(case, route, _record_ids(route, org))
    with fuzzing.in_process_requests(), fuzzing.seed_on_failure():
        case.call_and_validate(headers=fuzzing.bearer(seeded_token), checks=fuzzing.CHECKS)


def test_the_fuzzed_schema_is_the_one_served(client):
    served = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    generated = json.loads(json.dumps(openapi_schema(), default=str))
    assert served == generated
