"""Create or update the periodic tasks named in settings.PERIODIC_TASKS.

Idempotent: run it on every deploy (``make run`` does). Tasks are stored by
django-celery-beat, so staff can change an interval in the admin; this command
resets them to the configured values.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


class Command(BaseCommand):
    help = "Create or update the periodic tasks this product needs."

    @transaction.atomic
    def handle(self, *args, **options):
        for name, spec in settings.PERIODIC_TASKS.items():
            defaults = {"task": spec["task"], "enabled": True, "interval": None, "crontab": None}
            if "every" in spec:
                defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=spec["every"], period=IntervalSchedule.SECONDS
                )
            else:
                minute, hour, day_of_month, month_of_year, day_of_week = spec["crontab"].split()
                defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    minute=minute,
                    hour=hour,
                    day_of_month=day_of_month,
                    month_of_year=month_of_year,
                    day_of_week=day_of_week,
                    timezone=spec.get("timezone", "UTC"),
                )
            _, created = PeriodicTask.objects.update_or_create(name=name, defaults=defaults)
            self.stdout.write(f"{'created' if created else 'updated'} periodic task {name}")
