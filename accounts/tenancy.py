"""The second wall: PostgreSQL row-level security, driven by two settings.

Every tenant-owned table has a policy that shows a row only when its
``organization_id`` equals ``app.current_organization``, or when
``app.rls_bypass`` is ``on`` (the admin, migrations, provisioning and other
system work). With neither set a query sees no tenant rows at all.

The settings are session-level so that they hold across the statements of a
request in autocommit mode; every scope therefore restores what was there
before, and the request middleware starts each request from a clean state.
On SQLite there is no second wall and these scopes do nothing.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

ORGANIZATION_SETTING = "app.current_organization"
BYPASS_SETTING = "app.rls_bypass"

# The setting names are spelled out: they are constants, the values are parameters.
_SWAP_SQL = """
WITH previous AS MATERIALIZED (
    SELECT coalesce(current_setting('app.current_organization', true), '') AS organization,
           coalesce(current_setting('app.rls_bypass', true), '') AS bypass
)
SELECT organization, bypass,
       set_config('app.current_organization', %s, false),
       set_config('app.rls_bypass', %s, false)
FROM previous
"""
_SET_SQL = "SELECT set_config('app.current_organization', %s, false), set_config('app.rls_bypass', %s, false)"
_READ_SQL = (
    "SELECT coalesce(current_setting('app.current_organization', true), ''), "
    "coalesce(current_setting('app.rls_bypass', true), '')"
)


def _has_row_level_security() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def _rls_state(*, organization: str, bypass: str) -> Iterator[None]:
    if not _has_row_level_security():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(_SWAP_SQL, [organization, bypass])
        previous_organization, previous_bypass, _, _ = cursor.fetchone()
    try:
        yield
    finally:
        _restore(previous_organization, previous_bypass)


def _restore(organization: str, bypass: str) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(_SET_SQL, [organization, bypass])
    except DatabaseError:
        # The connection is broken or its transaction aborted; a connection we
        # cannot reset must not serve anyone else.
        logger.warning("Could not reset row-level security settings; closing the connection")
        connection.close()


@contextmanager
def organization_scope(organization_id: int) -> Iterator[None]:
    """Make one organization's rows, and only those, visible to the database session."""
    with _rls_state(organization=str(int(organization_id)), bypass="off"):
        yield


@contextmanager
def system_scope() -> Iterator[None]:
    """See every organization's rows: the admin, migrations, provisioning, webhooks."""
    with _rls_state(organization="", bypass="on"):
        yield


@contextmanager
def no_scope() -> Iterator[None]:
    """Start from nothing: no organization chosen, no bypass, no tenant rows."""
    with _rls_state(organization="", bypass="off"):
        yield


def current_rls_settings() -> tuple[str, str]:
    """What the database session has now, as (organization, bypass); for checks and tests."""
    if not _has_row_level_security():
        return "", ""
    with connection.cursor() as cursor:
        cursor.execute(_READ_SQL)
        return cursor.fetchone()
