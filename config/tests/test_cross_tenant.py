"""The first wall, walked route by route.

A member of organization A, with full rights there, calls every route of the
OpenAPI schema with organization B's ids in the path and in the body, and
also tries to switch to B with X-Organization. No response may carry B's
data and no row of B may change. Then the fuzzer's generated requests
(config/tests/fuzzing.py) are replayed the same way, with B's ids in the path
and in place of every integer of the body. New endpoints are covered without
editing this file: they are found in the schema.
"""

import json
from typing import NamedTuple

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from rest_framework.test import APIClient

from accounts import services
from accounts.api.base import OrganizationAPIView
from accounts.models import TenantModel, User
from accounts.roles import Role
from accounts.tests.factories import MembershipFactory, UserFactory
from config.tests import fuzzing
from config.tests.registry import make, tenant_models
from config.tests.routes import Route, api_routes, response_text

pytestmark = pytest.mark.django_db

SECRET = "org-b-secret"
ROUTES = api_routes()


def _snapshot(organization) -> dict:
    return {
        model._meta.label: sorted(
            json.dumps(model_to_dict(obj), sort_keys=True, default=str)
            for obj in model.objects.filter(organization=organization)
        )
        for model in tenant_models()
    }


class World(NamedTuple):
    client: APIClient  # signed in as the attacker, an owner of A
    theirs: dict  # model -> one of B's records
    ours: dict  # model -> one of A's records
    attacker: User


@pytest.fixture
def world(org, other_org) -> World:
    other_org.name = f"{SECRET} Bravo"
    other_org.save()
    attacker = MembershipFactory(
        organization=org, user=UserFactory(email="attacker@alpha.example"), role=Role.OWNER
    ).user
    MembershipFactory(organization=other_org, user=UserFactory(email=f"owner@{SECRET}.example"), role=Role.OWNER)
    theirs = {model: make(model, other_org) for model in tenant_models()}
    ours = {model: make(model, org) for model in tenant_models()}
    client = APIClient()
    client.force_login(attacker)
    return World(client, theirs, ours, attacker)


def _body(route: Route, other_org, theirs: dict) -> dict:
    """Every field the request schema names, with B's ids wherever an id fits."""
    body = {"organization": other_org.id, "organization_id": other_org.id}
    ids_of_b = [obj.pk for obj in theirs.values()]
    content = route.operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema_ref = content.get("schema", {}).get("$ref", "")
    properties = _components()[schema_ref.split("/")[-1]].get("properties", {}) if schema_ref else {}
    for name, spec in properties.items():
        kind = spec.get("type")
        if kind == "integer":
            body[name] = ids_of_b[0] if ids_of_b else other_org.id
        elif kind == "array":
            body[name] = ids_of_b
        elif kind == "string":
            body[name] = "probe"
    return body


_SCHEMA_COMPONENTS: dict = {}


def _components() -> dict:
    if not _SCHEMA_COMPONENTS:
        from drf_spectacular.generators import SchemaGenerator

        _SCHEMA_COMPONENTS.update(SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"])
    return _SCHEMA_COMPONENTS


def _send(client: APIClient, route: Route, path: str, body: dict, **headers):
    send = getattr(client, route.method)
    if route.method in ("post", "put", "patch"):
        return send(path, body, format="json", **headers)
    return send(path, **headers)


def _assert_nothing_of_b(response, route: Route, theirs: dict) -> None:
    _assert_answer_has_nothing_of_b(response.status_code, response_text(response), route, theirs)


def _assert_answer_has_nothing_of_b(status_code: int, text: str, route: Route, theirs: dict) -> None:
    assert status_code < 500, f"{route}: {status_code}"
    assert SECRET not in text.lower(), f"{route} leaked organization B's data"
    if route.model is not None and route.model in theirs and status_code < 300 and text.startswith("{"):
        ids = {item.get("id") for item in json.loads(text).get("results", []) if isinstance(item, dict)}
        assert theirs[route.model].pk not in ids, f"{route} listed B's {route.model.__name__}"


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_route_reaches_another_organization(world, other_org, route):
    client, theirs = world.client, world.theirs
    before = _snapshot(other_org)
    value = getattr(theirs[route.model], route.lookup_field) if route.is_tenant_detail else None
    path = route.path(value if value is not None else 1)
    body = _body(route, other_org, theirs)

    response = _send(client, route, path, body)
    _assert_nothing_of_b(response, route, theirs)
    if route.is_tenant_detail:
        assert response.status_code in (400, 403, 404, 405), f"{route} answered {response.status_code} for B's id"

    switched = _send(client, route, path, body, HTTP_X_ORGANIZATION=other_org.slug)
    _assert_nothing_of_b(switched, route, theirs)
    if issubclass(route.view_class, OrganizationAPIView):
        assert switched.status_code == 403, f"{route} let a member of A switch to B"

    assert _snapshot(other_org) == before, f"{route} changed organization B's data"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.is_tenant_detail and r.method == "get"], ids=str)
def test_the_same_routes_do_answer_for_our_own_ids(world, route):
    """The control: the walk above is not passing because every detail route 404s."""
    client, ours = world.client, world.ours
    response = client.get(route.path(getattr(ours[route.model], route.lookup_field)))
    assert response.status_code == 200, f"{route}: {response.status_code}"


def _chooses_the_organization(sql: str) -> bool:
    """The one read across organizations: the signed-in user's own memberships, to pick one."""
    return 'FROM "accounts_membership"' in sql and 'WHERE "accounts_membership"."user_id" = ' in sql


def _select_of(sql: str) -> str:
    """A server-side cursor (a streamed export's ``.iterator()``) wraps its SELECT in a DECLARE."""
    return sql.split(" CURSOR FOR ", 1)[1] if sql.startswith("DECLARE ") else sql


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.method == "get" and r.model is not None and r.model in tenant_models()], ids=str
)
def test_the_first_wall_holds_without_the_second(world, org, route):
    """Each query a route makes of its model's table names our organization itself,
    so the API stays tenant-safe even where row-level security is absent (SQLite)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, ours = world.client, world.ours
    path = route.path(getattr(ours[route.model], route.lookup_field)) if route.parameters else route.template
    table = route.model._meta.db_table
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        assert response.status_code == 200
        response_text(response)  # a streamed body reads the table only as it is sent
    statements = [_select_of(q["sql"]) for q in captured.captured_queries]
    reads = [
        sql
        for sql in statements
        if sql.startswith("SELECT") and f'FROM "{table}"' in sql and not _chooses_the_organization(sql)
    ]
    assert reads, f"{route} did not read {table}"
    for sql in reads:
        assert f'"{table}"."organization_id" = {org.id}' in sql, (
            f"{route} reads {table} without the organization: {sql}"
        )


# The fuzzer's requests, replayed against B -------------------------------------------

REPLAY = fuzzing.api_schema()


@pytest.fixture
def attacker_token(world, org, settings) -> str:
    settings.RATELIMIT_CACHE_PREFIX = f"rl-replay-{fuzzing.SEED}-"  # counters of this run only
    _, key = services.api_token_create(organization=org, user=world.attacker, name="Replay")
    return key


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _digests(organization) -> list[tuple[str, str]]:
    """A digest of the organization's rows, table by table, in one query: cheap enough for every request.

    _snapshot() says what changed but builds every row in Python; this only says whether.
    """
    selects = [
        f"SELECT %s, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
        f"FROM {_quoted(model._meta.db_table)} t WHERE t.organization_id = %s"
        for model in tenant_models()
    ]
    params = [value for model in tenant_models() for value in (model._meta.label, organization.pk)]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        return sorted(cursor.fetchall())


def _links_across(organization) -> list[str]:
    """Which foreign keys of the organization's rows point at another organization's row; none may."""
    checks, params = [], []
    for model in tenant_models():
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is None or not issubclass(target, TenantModel):
                continue
            checks.append(
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {_quoted(model._meta.db_table)} a "
                f"JOIN {_quoted(target._meta.db_table)} b ON a.{_quoted(field.column)} = b.{_quoted(field.target_field.column)} "
                "WHERE a.organization_id = %s AND b.organization_id <> a.organization_id)"
            )
            params += [f"{model.__name__}.{field.name}", organization.pk]
    if not checks:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(checks), params)
        return [label for (label,) in cursor.fetchall()]


@REPLAY.parametrize()
@fuzzing.REPLAY_SETTINGS
def test_generated_requests_with_their_ids_never_reach_another_organization(
    case, world, attacker_token, org, other_org
):
    """Each generated request, sent by an owner of A with B's ids in its path and every integer of its body."""
    route = fuzzing.route_of(case)
    theirs = world.theirs
    aimed = route.model in theirs and fuzzing.point_at(
        case, route, [getattr(theirs[route.model], route.lookup_field)], leave_some=False
    )
    case.body = fuzzing.replace_ids(case.body, [record.pk for record in theirs.values()])
    writes = case.method.upper() not in ("GET", "HEAD", "OPTIONS")
    before = _digests(other_org) if writes else None

    with fuzzing.in_process_requests(), fuzzing.seed_on_failure():
        response = case.call(headers=fuzzing.bearer(attacker_token))
        _assert_answer_has_nothing_of_b(response.status_code, response.content.decode(errors="replace"), route, theirs)
        if aimed and route.is_tenant_detail:
            assert response.status_code in (400, 403, 404, 405), f"{route} answered {response.status_code} for B's id"
        if writes:
            assert _digests(other_org) == before, f"{route} changed organization B's data"
            assert not _links_across(org), f"{route} linked A's records to B's"


def test_the_replay_sees_a_change_of_b_and_a_link_into_b(world, org, other_org):
    """The control: the replay's checks do notice what they look for."""
    from crm.models import Contact, ContactNote

    before = _digests(other_org)
    Contact.objects.filter(pk=world.theirs[Contact].pk).update(first_name="Changed")
    assert _digests(other_org) != before

    assert _links_across(org) == []
    make(ContactNote, org, contact=world.theirs[Contact])
    assert _links_across(org) == ["ContactNote.contact"]
