from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

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


def test_the_demo_knows_its_rows_by_key_not_by_name_across_reruns():
    from campaigns import lifecycle
    from campaigns.demo import DEMO_CAMPAIGNS
    from campaigns.models import Campaign
    from scheduler_site.demo import demo_row
    from schedules.demo import _demo_schedules
    from templates_lib.demo import DEMO_TEMPLATES
    from templates_lib.models import JobTemplate

    call_command("seed_demo", stdout=None)
    workspace = ScheduledJob.objects.filter(workspace__name="Demo workspace").first().workspace
    schedule_names = [spec["name"] for spec in _demo_schedules()]
    # The user makes rows with every demo name (before the next seed)...
    for spec in DEMO_CAMPAIGNS:
        Campaign.objects.create(workspace=workspace, name=spec["name"])
    for spec in DEMO_TEMPLATES:
        JobTemplate.objects.create(workspace=workspace, name=spec["name"])
    for name in schedule_names:
        ScheduledJob.objects.create(
            workspace=workspace,
            name=name,
            schedule_type="once",
            status="paused",
            scheduled_at=timezone.now(),
        )
    # ...renames demo rows, deletes others, and archives a demo campaign.
    forbes = demo_row(Campaign, workspace=workspace, key="campaign:forbes")
    Campaign.objects.filter(pk=forbes.pk).update(name="Forbes (mine now)")
    review = demo_row(ScheduledJob, workspace=workspace, key="schedule:second-tuesday")
    ScheduledJob.objects.filter(pk=review.pk).update(name="My review")
    weekly_id = demo_row(ScheduledJob, workspace=workspace, key="schedule:client-a-weekly").pk
    ScheduledJob.objects.filter(pk=weekly_id).delete()
    demo_row(Campaign, workspace=workspace, key="campaign:client-b").delete()
    demo_row(ScheduledJob, workspace=workspace, key="schedule:daily-forbes").delete()
    demo_row(JobTemplate, workspace=workspace, key="template:forbes-expert").delete()
    lifecycle.campaign_archive(campaign=forbes)

    call_command("seed_demo", stdout=None)  # and again: nothing stops it
    call_command("seed_demo", stdout=None)

    # Renamed demo rows stay renamed and are not made again under the old name.
    assert Campaign.objects.get(pk=forbes.pk).name == "Forbes (mine now)"
    assert ScheduledJob.objects.get(pk=review.pk).name == "My review"
    # Deleted ones come back with the same identity.
    assert ScheduledJob.objects.get(pk=weekly_id).name == "Client A Weekly"
    assert demo_row(Campaign, workspace=workspace, key="campaign:client-b") is not None
    # A template for the archived campaign is refused, and skipped.
    assert demo_row(JobTemplate, workspace=workspace, key="template:forbes-expert") is None
    # Each name: the user's row plus at most the demo's one; the user's untouched.
    for name in schedule_names:
        rows = ScheduledJob.objects.filter(workspace=workspace, name=name)
        assert rows.filter(schedule_type="once", status="paused").exists()
        assert rows.count() <= 2
    review_name = "Second Tuesday review (rrule)"
    assert ScheduledJob.objects.filter(workspace=workspace, name=review_name).count() == 1
    # A demo row points at the demo's campaign and template, never at the user's namesake.
    weekly = ScheduledJob.objects.get(pk=weekly_id)
    assert weekly.campaign_id == demo_row(Campaign, workspace=workspace, key="campaign:client-a").pk
    weekday = demo_row(ScheduledJob, workspace=workspace, key="schedule:weekday-mornings")
    assert (
        weekday.template_id
        == demo_row(JobTemplate, workspace=workspace, key="template:huffpost-comprehensive").pk
    )
