"""Schema-driven fuzzing with schemathesis: what the fuzz test and the cross-tenant replay share.

The schema is the one ``/api/schema/`` serves (the same drf-spectacular
generator, built at import so that pytest can give every operation a test of
its own and spread them over the xdist workers); ``test_api_fuzz`` checks the
two are equal. Requests go in process to Django's WSGI application, on this
test's database connection, so they see the test's data and leave nothing behind.

Environment knobs, for a longer run by hand (CI uses the defaults):

- ``FUZZ_MAX_EXAMPLES``: generated examples per operation, valid and invalid (default 25; half for the replay).
- ``FUZZ_SEED``: the seed of a run, printed with every failure, to replay it exactly.
- ``FUZZ_COVERAGE=1``: also run schemathesis' coverage phase (every boundary of every field; minutes).
"""

import os
import random
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from config.tests.routes import PARAMETER, Route, api_routes, openapi_schema

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
SEED = int(os.environ.get("FUZZ_SEED") or random.randrange(2**32))
# The coverage phase tries every boundary of every field: hundreds of requests for a
# large body, however few examples are asked for. Off in CI so each operation stays bounded.
COVERAGE_PHASE = os.environ.get("FUZZ_COVERAGE", "") == "1"
# An address of the documentation range: the rate limits it fills are nobody else's.
CLIENT_ADDRESS = "192.0.2.10"

# What the issue asks (no 5xx; every response, errors included, as the schema
# describes it) and the conformance checks around it. Two built-in checks are
# left out on purpose: negative_data_rejection and positive_data_acceptance
# measure how closely the schema spells out validation, and DRF by design
# accepts 7 for a string field, while rules such as "a real time zone" cannot be
# written in JSON Schema. Bad input is still checked: it must be a 4xx with the
# error body, never a 5xx.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
]

# Hypothesis' health checks judge generation speed and fixture scope; neither
# is a fault of the API, and the seeded organization is meant to outlive one example.
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
# Replaying against another organization checks the walls, not the answers: fewer examples do.
REPLAY_SETTINGS = settings(FUZZ_SETTINGS, max_examples=max(1, MAX_EXAMPLES // 2))


def _with_client_address(app):
    """Any real server sets REMOTE_ADDR (the rate limits key on it); werkzeug's test client does not."""

    def application(environ: dict, start_response):
        environ.setdefault("REMOTE_ADDR", CLIENT_ADDRESS)
        return app(environ, start_response)

    return application


def api_schema():
    """The API's OpenAPI schema as schemathesis sees it, answered by the application in process."""
    raw = openapi_schema()
    config = schemathesis.Config.from_dict({"seed": SEED, "phases": {"coverage": {"enabled": COVERAGE_PHASE}}})
    schema = schemathesis.openapi.from_dict(raw, config=config)
    schema.app = _with_client_address(get_wsgi_application())
    return schema


ROUTES: dict[tuple[str, str], Route] = {(route.template, route.method): route for route in api_routes()}


def route_of(case) -> Route:
    return ROUTES[(case.operation.path, case.operation.method.lower())]


@contextmanager
def in_process_requests() -> Iterator[None]:
    """Serve requests on the test's own connection, as Django's test client does.

    Django closes "old" connections when a request starts and ends; inside the
    test's transaction that would poison it, so the handlers are off meanwhile.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def record_parameter(route: Route) -> str | None:
    """The path parameter that names the route's own record: the last one (``/contacts/{id}/notes/``)."""
    names = PARAMETER.findall(route.template)
    return names[-1] if names and route.model is not None else None


def _stable_index(value: Any, size: int) -> int:
    return zlib.crc32(repr(value).encode()) % size


def point_at(case, route: Route, values: list, *, leave_some: bool = True) -> bool:
    """Aim the generated path id at one of ``values`` (real records); True when it was.

    Ids drawn at random would nearly always miss and only ever test the 404.
    A value of another type (a negative case, such as text where an integer
    belongs) is left as generated, and with ``leave_some`` one id in four too.
    """
    name = record_parameter(route)
    if name is None or not values or name not in (case.path_parameters or {}):
        return False
    generated = case.path_parameters[name]
    if type(generated) is not type(values[0]) or (leave_some and _stable_index(generated, 4) == 0):
        return False
    case.path_parameters = {**case.path_parameters, name: values[_stable_index(generated, len(values))]}
    return True


def replace_ids(body: Any, ids: list[int]) -> Any:
    """``body`` with every integer in it (at any depth) swapped for one of ``ids``."""
    if isinstance(body, dict):
        return {key: replace_ids(value, ids) for key, value in body.items()}
    if isinstance(body, list):
        return [replace_ids(value, ids) for value in body]
    if isinstance(body, int) and not isinstance(body, bool) and ids:
        return ids[_stable_index(body, len(ids))]
    return body


@contextmanager
def seed_on_failure() -> Iterator[None]:
    """A failure says which seed replays its run."""
    try:
        yield
    except Exception as error:
        error.add_note(f"Replay this run with FUZZ_SEED={SEED} (and the same FUZZ_MAX_EXAMPLES).")
        raise
