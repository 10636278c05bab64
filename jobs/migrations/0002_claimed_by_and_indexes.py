from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="claimed_by",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(
                condition=models.Q(("status", "running")),
                fields=["started_at"],
                name="job_running_started_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(fields=["template", "-created_at"], name="job_template_created_idx"),
        ),
    ]
