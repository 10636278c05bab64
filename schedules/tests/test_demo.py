from __future__ import annotations

import pytest
from django.core.management import call_command

from schedules.models import ScheduledJob

pytestmark = pytest.mark.django_db


def test_the_demo_has_every_schedule_type_in_two_timezones_some_paused_and_reruns_safely():
    call_command("seed_demo", stdout=None)
    call_command("seed_demo", stdout=None)
    schedules = ScheduledJob.objects.filter(workspace__name="Demo workspace")
    assert set(schedules.values_list("schedule_type", flat=True)) == {
        "once",
        "daily",
        "weekly",
        "monthly",
        "cron",
        "rrule",
    }
    assert set(schedules.values_list("timezone", flat=True)) == {
        "America/New_York",
        "Europe/London",
    }
    assert schedules.filter(status="paused").count() == 2
    assert schedules.filter(recurrence_pattern="monthly:31").exists()
    assert schedules.count() == len(set(schedules.values_list("name", flat=True)))
    assert all(s.next_run_at for s in schedules.filter(status="active"))
