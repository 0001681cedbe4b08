"""The migration operation that puts a tenant-owned table behind row-level security.

Every migration that creates a model with an ``organization`` (a subclass of
``TenantModel``) adds ``EnableRowLevelSecurity("modelname")`` after it; a test
fails for any tenant table without the policy.
"""

from django.db.migrations.operations.base import Operation
from django.db.migrations.operations.special import RunSQL

from accounts.tenancy import BYPASS_SETTING, ORGANIZATION_SETTING

POLICY_NAME = "tenant_isolation"

_POLICY_CONDITION = (
    f"organization_id = NULLIF(current_setting('{ORGANIZATION_SETTING}', true), '')::bigint "
    f"OR current_setting('{BYPASS_SETTING}', true) = 'on'"
)


class EnableRowLevelSecurity(Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def deconstruct(self):
        return self.__class__.__name__, [self.model_name], {}

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, to_state))
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY {POLICY_NAME} ON {table} USING ({_POLICY_CONDITION}) WITH CHECK ({_POLICY_CONDITION})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self):
        return f"Enable row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"rls_{self.model_name.lower()}"


class PostgreSQLOnlySQL(RunSQL):
    """SQL that only PostgreSQL runs (GIN indexes for search, say); SQLite skips it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
