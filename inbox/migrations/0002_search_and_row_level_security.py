from django.db import migrations

from accounts.rls import EnableRowLevelSecurity, PostgreSQLOnlySQL


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial")]

    operations = [
        # Full-text search across messages ("simple": names and numbers are not stemmed away).
        PostgreSQLOnlySQL(
            sql="CREATE INDEX message_search_idx ON inbox_message "
            "USING gin (to_tsvector('simple', subject || ' ' || body))",
            reverse_sql="DROP INDEX message_search_idx",
        ),
        EnableRowLevelSecurity("integrationconfig"),
        EnableRowLevelSecurity("contactidentity"),
        EnableRowLevelSecurity("label"),
        EnableRowLevelSecurity("thread"),
        EnableRowLevelSecurity("threadlabel"),
        EnableRowLevelSecurity("message"),
        EnableRowLevelSecurity("messageevent"),
        EnableRowLevelSecurity("attachment"),
    ]
