from django.db import migrations

from accounts.rls import PostgreSQLOnlySQL


class Migration(migrations.Migration):
    """Message search reads a stored tsvector column, so that the only function a search applies
    to a row is the ``@@`` operator itself: under row-level security the planner may use an index
    only for leakproof operators, and bin/pg_app_role.py marks this one so (``to_tsvector`` over
    the row's text, in an expression index, could never be)."""

    dependencies = [("inbox", "0002_search_and_row_level_security")]

    operations = [
        PostgreSQLOnlySQL(
            sql=[
                "DROP INDEX IF EXISTS message_search_idx",
                "ALTER TABLE inbox_message ADD COLUMN search_vector tsvector "
                "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, subject || ' ' || body)) STORED",
                "CREATE INDEX message_search_idx ON inbox_message USING gin (search_vector)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS message_search_idx",
                "ALTER TABLE inbox_message DROP COLUMN search_vector",
                "CREATE INDEX message_search_idx ON inbox_message "
                "USING gin (to_tsvector('simple', subject || ' ' || body))",
            ],
        ),
    ]
