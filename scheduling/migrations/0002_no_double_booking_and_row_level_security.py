from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

from accounts.rls import EnableRowLevelSecurity

# Two holding bookings of one staff member may not overlap, buffers included. The
# range is half-open, so a booking may start the moment the previous one ends.
_EXCLUSION = """
ALTER TABLE scheduling_booking ADD CONSTRAINT booking_no_overlap
EXCLUDE USING gist (staff_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&)
WHERE (status <> 'cancelled')
"""
_DROP_EXCLUSION = "ALTER TABLE scheduling_booking DROP CONSTRAINT IF EXISTS booking_no_overlap"


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(_on_postgresql(_EXCLUSION), _on_postgresql(_DROP_EXCLUSION)),
        *(
            EnableRowLevelSecurity(model)
            for model in (
                "service",
                "servicestaff",
                "job",
                "jobassignee",
                "joblineitem",
                "jobstatuschange",
                "jobattachment",
                "booking",
                "weeklyhours",
                "datehours",
                "timeoff",
                "bookingpolicy",
                "calendarfeed",
                "externalcalendar",
                "busyblock",
            )
        ),
    ]
