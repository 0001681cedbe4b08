from django.db import migrations

from accounts.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_contact_imports")]

    operations = [
        EnableRowLevelSecurity("contactimport"),
        EnableRowLevelSecurity("contactimporterror"),
    ]
