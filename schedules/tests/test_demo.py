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


def test_the_demo_reruns_after_the_user_made_campaigns_and_templates_with_its_names():
    from campaigns.demo import DEMO_CAMPAIGNS
    from campaigns.models import Campaign
    from templates_lib.demo import DEMO_TEMPLATES
    from templates_lib.models import JobTemplate

    call_command("seed_demo", stdout=None)
    workspace = ScheduledJob.objects.filter(workspace__name="Demo workspace").first().workspace
    # What the seed's own Use Cases do through the API: the same names again.
    for spec in DEMO_CAMPAIGNS:
        Campaign.objects.create(workspace=workspace, name=spec["name"])
    for spec in DEMO_TEMPLATES:
        JobTemplate.objects.create(workspace=workspace, name=spec["name"])

    call_command("seed_demo", stdout=None)

    names = [spec["name"] for spec in DEMO_CAMPAIGNS]
    assert Campaign.objects.filter(workspace=workspace, name__in=names).count() == 2 * len(names)
