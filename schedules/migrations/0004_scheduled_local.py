from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import migrations, models

import schedules.models

BATCH = 1000


def fill_scheduled_local(apps, schema_editor):
    """Existing rows: the wall time of scheduled_at in the row's own zone."""
    ScheduledJob = apps.get_model("schedules", "ScheduledJob")
    rows = ScheduledJob.objects.only("pk", "scheduled_at", "timezone").order_by("pk")
    last = None
    while True:
        # Keyset batches: never writes to a table while a cursor walks it.
        batch = list((rows if last is None else rows.filter(pk__gt=last))[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        filled = []
        for row in batch:
            try:
                local = row.scheduled_at.astimezone(ZoneInfo(row.timezone))
            except (ZoneInfoNotFoundError, ValueError, OverflowError):
                continue  # left blank: "derive from scheduled_at"
            row.scheduled_local = local.replace(tzinfo=None).isoformat()
            filled.append(row)
        ScheduledJob.objects.bulk_update(filled, ["scheduled_local"])


class Migration(migrations.Migration):
    dependencies = [
        ("schedules", "0003_occurrence_exceptions"),
    ]

    operations = [
        migrations.AddField(
            model_name="scheduledjob",
            name="scheduled_local",
            field=models.CharField(
                blank=True,
                help_text=(
                    "First run's wall time as typed, in the schedule's zone (YYYY-MM-DDTHH:MM:SS)."
                ),
                max_length=26,
                validators=[schedules.models.validate_wall_time],
            ),
        ),
        migrations.RunPython(fill_scheduled_local, migrations.RunPython.noop),
    ]
