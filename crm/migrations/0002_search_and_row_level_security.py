from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from accounts.rls import EnableRowLevelSecurity


class TrigramIndexes(migrations.RunSQL):
    """GIN trigram indexes for contact search; PostgreSQL only (SQLite searches by substring)."""

    def __init__(self):
        super().__init__(
            sql=[
                "CREATE INDEX contact_search_trgm ON crm_contact USING gin (search_text gin_trgm_ops)",
                "CREATE INDEX contact_phone_trgm ON crm_contact USING gin (phone_digits gin_trgm_ops)",
            ],
            reverse_sql=["DROP INDEX contact_search_trgm", "DROP INDEX contact_phone_trgm"],
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [
        TrigramExtension(),
        TrigramIndexes(),
        EnableRowLevelSecurity("tag"),
        EnableRowLevelSecurity("contact"),
        EnableRowLevelSecurity("contacttag"),
        EnableRowLevelSecurity("contactnote"),
    ]
