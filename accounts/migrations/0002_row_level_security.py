from django.db import migrations

from accounts.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("membership"),
        EnableRowLevelSecurity("organizationindustry"),
        EnableRowLevelSecurity("apitoken"),
        EnableRowLevelSecurity("activityentry"),
        EnableRowLevelSecurity("idempotencyrecord"),
    ]
