import json
from pathlib import Path

from django.db import migrations

PROFILES_FILE = Path(__file__).resolve().parent.parent / "data" / "industry_profiles.json"


def load_profiles(apps, schema_editor):
    """Ship the industry profiles; ones already there keep the admin's edits."""
    IndustryProfile = apps.get_model("accounts", "IndustryProfile")
    field_names = {field.name for field in IndustryProfile._meta.get_fields()}
    for entry in json.loads(PROFILES_FILE.read_text()):
        fields = {key: value for key, value in entry.items() if key in field_names and key != "key"}
        IndustryProfile.objects.get_or_create(key=entry["key"], defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_row_level_security")]

    operations = [migrations.RunPython(load_profiles, migrations.RunPython.noop)]
