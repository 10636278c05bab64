from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_claimed_by_and_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="job",
            name="jobs_job_trigger_valid",
        ),
        migrations.AlterField(
            model_name="job",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("manual", "Manual"),
                    ("template_use", "Template use"),
                    ("scheduled", "Scheduled"),
                    ("catch_up", "Catch-up"),
                    ("backfill", "Backfill"),
                    ("publication", "Publication"),
                ],
                default="manual",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="job",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "trigger__in",
                        [
                            "manual",
                            "template_use",
                            "scheduled",
                            "catch_up",
                            "backfill",
                            "publication",
                        ],
                    )
                ),
                name="jobs_job_trigger_valid",
            ),
        ),
    ]
