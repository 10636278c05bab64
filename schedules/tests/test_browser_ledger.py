"""In Debian's Chromium: a schedule's page shows its run ledger, a week of real history."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from schedules import services
from schedules.models import ScheduledJob
from schedules.tests.ledger.world import World

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ZONE = "America/New_York"
NOOP = {"executor": "noop"}


@pytest.fixture
def marketer(user, workspace):
    workspace.timezone = ZONE
    workspace.save(update_fields=["timezone"])
    return user


def _week_of_history(workspace, user) -> ScheduledJob:
    """A daily schedule over the week before now, built by the dispatcher and worker:
    it ran, failed once, was paused a day, missed a run in an outage (the next ran
    late for both), ran again; one run ahead is skipped and one moved."""
    now = timezone.now().replace(second=0, microsecond=0)
    first = now - timedelta(days=6, hours=2)
    day = [first + timedelta(days=n) for n in range(9)]  # day[6] is two hours ago

    def fresh():
        return ScheduledJob.objects.get(pk=schedule.pk)

    with World(now - timedelta(days=7)) as world:
        schedule = services.schedule_create(
            workspace=workspace,
            created_by=user,
            now=world.now,
            name="Morning digest",
            schedule_type="daily",
            scheduled_at=first,
            timezone=ZONE,
            job_config=NOOP,
        )
        world.advance_to(day[0] + timedelta(hours=1))
        services.schedule_update(
            schedule=fresh(), actor=user, job_config={**NOOP, "noop_fail": "fail"}
        )
        world.advance_to(day[1] + timedelta(hours=1))
        services.schedule_update(schedule=fresh(), actor=user, job_config=NOOP)
        services.schedule_pause(schedule=fresh(), actor=user, note="Holiday freeze")
        world.advance_to(day[2] + timedelta(hours=1))
        services.schedule_resume(schedule=fresh(), actor=user)
        world.down = True
        world.advance_to(day[4] + timedelta(hours=1))
        world.down = False
        world.step()
        world.advance_to(day[5] + timedelta(hours=1))
        services.schedule_occurrence_skip(
            scheduled_job=fresh(), occurrence_at=day[7], actor=user, note="Team offsite"
        )
        services.schedule_occurrence_move(
            scheduled_job=fresh(),
            occurrence_at=day[8],
            new_time=day[8] + timedelta(hours=3),
            actor=user,
        )
        world.advance_to(now - timedelta(minutes=1))
    return fresh()


def sign_in(page, next_url: str, username="alice", password="pw-for-tests-123"):  # noqa: S107
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def test_the_schedule_page_shows_the_run_ledger_with_a_withdrawn_run(
    browser_page, marketer, workspace, artifacts_dir
):
    schedule = _week_of_history(workspace, marketer)
    page = browser_page
    sign_in(page, f"/schedules/{schedule.pk}/")
    ledger = page.locator(f"#ledger-{schedule.pk}")
    ledger.wait_for()
    withdrawn = ledger.locator("tr.ledger-withdrawn")
    assert withdrawn.count() == 1
    text = withdrawn.inner_text()
    assert "Withdrawn" in text and "paused" in text and "Holiday freeze" in text
    assert ledger.locator("tr.ledger-failed", has_text="noop: asked to fail").count() == 1
    assert ledger.locator("tr.ledger-missed").count() == 1
    assert ledger.locator("tr.ledger-moved", has_text="Moved to").count() == 1
    summary = page.locator("#ledger-summary").inner_text()
    assert "30 days: ✓ 4 succeeded, ✕ 1 failed, ⚠ 1 missed, ⊘ 1 withdrawn (paused)" in summary
    # The withdrawn row's job column is empty: nothing ran, and the page says why.
    assert withdrawn.get_by_role("link", name="Job").count() == 0
    page.screenshot(path=str(artifacts_dir / "schedule-ledger.png"), full_page=True)

    # The calendar marks the same run time withdrawn, with the reason on hover.
    zone = ZoneInfo(ZONE)
    paused_day = schedule.scheduled_at.astimezone(zone).date() + timedelta(days=2)
    page.goto(f"/calendar/?view=week&date={paused_day.isoformat()}")
    chip = page.locator(".cal-body .ev-occurrence.ev-withdrawn", has_text="Morning digest")
    chip.wait_for()
    assert "Holiday freeze" in chip.get_attribute("title")
    page.screenshot(path=str(artifacts_dir / "calendar-fates-week.png"), full_page=True)
    chip.click()
    panel = page.locator("#panel")
    panel.locator(".panel-fate", has_text="Withdrawn").wait_for()
    assert "Holiday freeze" in panel.inner_text()
    page.screenshot(path=str(artifacts_dir / "calendar-fates-panel.png"), full_page=True)
    page.goto(f"/calendar/?view=month&date={paused_day.isoformat()}")
    page.locator(".day .ev-withdrawn", has_text="Morning digest").wait_for()
    page.screenshot(path=str(artifacts_dir / "calendar-fates-month.png"), full_page=True)
