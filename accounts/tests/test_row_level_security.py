"""The second wall: PostgreSQL itself refuses one organization's rows to another."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.rls import POLICY_NAME
from accounts.tenancy import no_scope, organization_scope
from config.tests.registry import make, models_with_organization_column, tenant_models

pytestmark = pytest.mark.django_db


def _query(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def test_the_application_role_is_subject_to_row_level_security():
    assert _query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user") == [(False, False)]


def test_every_model_with_an_organization_is_a_tenant_model():
    assert set(models_with_organization_column()) == set(tenant_models())


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_every_tenant_table_has_a_forced_policy_for_every_role(model):
    table = model._meta.db_table
    flags = _query("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass", [table])
    assert flags == [(True, True)], f"{table} needs EnableRowLevelSecurity in its migration"
    policies = _query("SELECT policyname, roles FROM pg_policies WHERE tablename = %s", [table])
    assert policies == [(POLICY_NAME, ["public"])]


@pytest.fixture
def rows_in_both(org, other_org):
    for model in tenant_models():
        make(model, org)
        make(model, other_org)


@pytest.mark.usefixtures("rows_in_both")
def test_with_one_organization_set_no_other_organizations_row_is_readable(org, other_org):
    with organization_scope(org.id):
        for model in tenant_models():
            table = connection.ops.quote_name(model._meta.db_table)
            owners = {row[0] for row in _query(f"SELECT organization_id FROM {table}")}
            assert owners == {org.id}, table
            assert _query(f"SELECT count(*) FROM {table} WHERE organization_id = %s", [other_org.id]) == [(0,)]


@pytest.mark.usefixtures("rows_in_both")
def test_with_nothing_set_no_tenant_row_is_readable():
    with no_scope():
        for model in tenant_models():
            table = connection.ops.quote_name(model._meta.db_table)
            assert _query(f"SELECT count(*) FROM {table}") == [(0,)], table


@pytest.mark.usefixtures("rows_in_both")
def test_rows_cannot_be_moved_into_or_written_for_another_organization(org, other_org):
    for model in tenant_models():
        table = connection.ops.quote_name(model._meta.db_table)
        with organization_scope(other_org.id):
            theirs = _query(f"SELECT count(*) FROM {table}")
        with organization_scope(org.id):
            with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
                _query(f"UPDATE {table} SET organization_id = %s", [other_org.id])
            # Another organization's rows are not even there to change or delete.
            assert _query(f"DELETE FROM {table} WHERE organization_id = %s", [other_org.id]) == 0
            assert (
                _query(
                    f"UPDATE {table} SET organization_id = organization_id WHERE organization_id = %s", [other_org.id]
                )
                == 0
            )
        with organization_scope(other_org.id):
            assert _query(f"SELECT count(*) FROM {table}") == theirs, table


def test_scopes_restore_what_was_there_before(org, other_org):
    from accounts.tenancy import current_rls_settings, system_scope

    with no_scope():
        assert current_rls_settings() == ("", "off")
        with organization_scope(org.id):
            assert current_rls_settings() == (str(org.id), "off")
            with system_scope():
                assert current_rls_settings() == ("", "on")
            assert current_rls_settings() == (str(org.id), "off")
        assert current_rls_settings() == ("", "off")


def test_a_rolled_back_transaction_leaves_the_settings_the_scopes_expect(org, other_org):
    """Scopes remember what they set instead of reading it back; a rollback must not make that memory wrong."""
    from accounts.tenancy import current_rls_settings, system_scope

    with no_scope():
        with pytest.raises(ZeroDivisionError), transaction.atomic(), organization_scope(org.id), system_scope():
            raise ZeroDivisionError
        assert current_rls_settings() == ("", "off")
        with organization_scope(other_org.id):
            with pytest.raises(ZeroDivisionError), transaction.atomic(), organization_scope(org.id):
                assert current_rls_settings() == (str(org.id), "off")
                raise ZeroDivisionError
            assert current_rls_settings() == (str(other_org.id), "off")
            with organization_scope(other_org.id):  # already in place: no statement, still right
                assert current_rls_settings() == (str(other_org.id), "off")
        assert current_rls_settings() == ("", "off")


@pytest.mark.django_db(transaction=True)
def test_a_scope_that_cannot_reset_its_connection_closes_it(org):
    """An aborted transaction refuses the reset; the connection is closed, and the next one starts with nothing."""
    from accounts.tenancy import current_rls_settings

    with pytest.raises(DatabaseError), transaction.atomic(), organization_scope(org.id):
        _query("SELECT 1/0")
    assert current_rls_settings() == ("", "off")
