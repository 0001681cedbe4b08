from django.db import migrations

from accounts.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [EnableRowLevelSecurity("provisioning")]
