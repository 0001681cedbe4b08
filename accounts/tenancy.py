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
_SET_SQL = "SELECT set_config('app.current_organization', %s, false), set_config('app.rls_bypass', %s, false)"
_READ_SQL = (
    "SELECT coalesce(current_setting('app.current_organization', true), ''), "
    "coalesce(current_setting('app.rls_bypass', true), '')"
)
# What a database session holds: (organization, bypass). A new session has neither set.
State = tuple[str, str]
_NOTHING: State = ("", "off")
# Each database connection remembers what this module last set on it, so that a scope
# reads nothing before it changes the settings, and one already in place costs no
# statement at all (every request starts and ends in the state it found). Scopes nest as
# ``with`` blocks, so a rolled-back transaction returns the settings to the state the
# transaction began in, which is the state every scope inside it restored: the memory
# and the session agree at every scope boundary.
_KNOWN_STATE = "_bizbox_rls_state"
_UNKNOWN: State = ("unknown", "unknown")  # matches no state: the next scope sets its own


def _has_row_level_security() -> bool:
    return connection.vendor == "postgresql"


def _same(first: State, second: State) -> bool:
    # An unset bypass and "off" mean the same to the policies; so do the two empty organizations.
    return first[0] == second[0] and (first[1] == "on") == (second[1] == "on")


def _known_state() -> State:
    raw = connection.connection
    return _NOTHING if raw is None else getattr(raw, _KNOWN_STATE, _NOTHING)


def _apply(state: State) -> None:
    if _same(state, _known_state()):
        return
    with connection.cursor() as cursor:
        cursor.execute(_SET_SQL, list(state))
    setattr(connection.connection, _KNOWN_STATE, state)


@contextmanager
def _rls_state(*, organization: str, bypass: str) -> Iterator[None]:
    if not _has_row_level_security():
        yield
        return
    previous = _known_state()
    _apply((organization, bypass))
    try:
        yield
    finally:
        _restore(previous)


def _restore(state: State) -> None:
    try:
        _apply(state)
    except DatabaseError:
        # The connection is broken or its transaction aborted; a connection we
        # cannot reset must not serve anyone else.
        logger.warning("Could not reset row-level security settings; closing the connection")
        if connection.connection is not None:
            # A pool may hand this connection out again, its transaction rolled back.
            setattr(connection.connection, _KNOWN_STATE, _UNKNOWN)
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


def current_rls_settings() -> State:
    """What the database session has now, read from it, as (organization, bypass "on" or
    "off"); for checks and tests."""
    if not _has_row_level_security():
        return "", ""
    with connection.cursor() as cursor:
        cursor.execute(_READ_SQL)
        organization, bypass = cursor.fetchone()
    return organization, "on" if bypass == "on" else "off"
