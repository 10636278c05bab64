"""End to end in Debian's Chromium against a live server: what a marketer does in a week."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from jobs.models import Job
from marketing.tests.factories import ChannelAccountFactory
from schedules.models import ScheduledJob
from schedules.services import schedule_create
from templates_lib.models import JobTemplate
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ZONE = "America/New_York"


@pytest.fixture
def marketer(user, workspace):
    workspace.timezone = ZONE
    workspace.save(update_fields=["timezone"])
    return user


def sign_in(page, username="alice", password="pw-for-tests-123"):  # noqa: S107 - the fixture user
    page.goto("/accounts/login/?next=/calendar/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/calendar/"))


def local_today():
    return timezone.now().astimezone(ZoneInfo(ZONE)).date()


def once_schedule(workspace, user, day, hour=11, name="Launch announcement"):
    return schedule_create(
        workspace=workspace,
        created_by=user,
        name=name,
        schedule_type="once",
        scheduled_at=datetime.combine(day, time(hour), tzinfo=ZoneInfo(ZONE)),
        timezone=ZONE,
    )


def toast(page, text):
    return page.locator("#toasts .toast", has_text=text)


def test_top_off_creates_planned_slots_that_appear_on_the_calendar(
    browser_page, marketer, workspace, artifacts_dir
):
    ChannelAccountFactory(workspace=workspace, name="X @acme", schedule_timezone=ZONE)
    page = browser_page
    sign_in(page)
    assert page.locator(".cal-body .ev-planned").count() == 0
    button = page.get_by_role("button", name=re.compile("Top off 28 days"))
    button.click()
    toast(page, "Created 28 new slots, skipped 0 existing").wait_for()
    page.locator(".cal-body .ev-planned").first.wait_for()
    assert page.locator(".cal-body .ev-planned").count() >= 1
    assert "Empty · X @acme" in page.locator(".cal-body .ev-planned").first.inner_text()
    page.screenshot(path=str(artifacts_dir / "calendar-month.png"), full_page=True)


def test_schedule_from_a_template_shows_its_occurrences_on_the_calendar(
    browser_page, marketer, workspace
):
    JobTemplateFactory(workspace=workspace, name="Product brief")
    page = browser_page
    sign_in(page)
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="Schedule", exact=True).first.click()
    assert page.get_by_label("Name").input_value() == "Product brief"
    page.get_by_label("Repeats").select_option("daily")
    tomorrow = local_today() + timedelta(days=1)
    page.get_by_label("First run").fill(f"{tomorrow.isoformat()}T08:15")
    page.get_by_label("Time zone").fill(ZONE)
    # The live preview follows what is typed: five runs at 08:15 New York time.
    page.locator("#schedule-preview li", has_text="08:15").nth(4).wait_for()
    assert "Every day at 08:15 America/New_York" in page.locator("#schedule-preview").inner_text()
    page.get_by_role("button", name="Create schedule").click()
    page.wait_for_url(re.compile(r"/schedules/[0-9a-f-]+/$"))
    toast(page, "Schedule created").wait_for()
    page.goto(f"/calendar/?view=week&date={tomorrow.isoformat()}")
    chips = page.locator(".ev-occurrence", has_text="Product brief")
    chips.first.wait_for()
    assert chips.count() >= 1
    assert "08:15" in chips.first.inner_text()
    chips.first.click()
    panel = page.locator("#panel")
    panel.get_by_role("button", name=re.compile("Pause")).wait_for()
    assert "Every day at 08:15" in panel.inner_text()


def test_dragging_an_event_to_another_day_persists(browser_page, marketer, workspace):
    day = local_today() + timedelta(days=2)
    target = day + timedelta(days=1)
    schedule = once_schedule(workspace, marketer, day)
    page = browser_page
    sign_in(page)
    page.goto(f"/calendar/?view=month&date={day.isoformat()}")
    chip = page.locator(".ev", has_text="Launch announcement")
    chip.drag_to(page.locator(f".day[data-date='{target.isoformat()}']"))
    toast(page, "moved to").wait_for()
    page.reload()
    moved = page.locator(f".day[data-date='{target.isoformat()}'] .ev", has_text="Launch")
    moved.wait_for()
    schedule.refresh_from_db()
    assert schedule.next_run_at.astimezone(ZoneInfo(ZONE)).date() == target
    assert schedule.next_run_at.astimezone(ZoneInfo(ZONE)).hour == 11


def test_dragging_one_run_of_a_weekly_series_asks_and_moves_only_that_run(
    browser_page, marketer, workspace
):
    day = local_today() + timedelta(days=2)
    target = day + timedelta(days=1)
    series = schedule_create(
        workspace=workspace,
        created_by=marketer,
        name="Weekly digest",
        schedule_type="weekly",
        scheduled_at=datetime.combine(day, time(11), tzinfo=ZoneInfo(ZONE)),
        timezone=ZONE,
    )
    page = browser_page
    sign_in(page)
    page.goto(f"/calendar/?view=month&date={day.isoformat()}")
    chip = page.locator(f".day[data-date='{day.isoformat()}'] .ev", has_text="Weekly digest")
    chip.drag_to(page.locator(f".day[data-date='{target.isoformat()}']"))
    dialog = page.locator("#move-scope")
    dialog.get_by_role("button", name="Only this run").click()
    toast(page, "Moved this run to").wait_for()
    page.reload()
    moved = page.locator(f".day[data-date='{target.isoformat()}'] .ev", has_text="moved from")
    moved.wait_for()
    assert page.locator(f".day[data-date='{day.isoformat()}'] .ev", has_text="Weekly").count() == 0
    week_later = day + timedelta(days=7)
    if page.locator(f".day[data-date='{week_later.isoformat()}']").count():
        later = page.locator(f".day[data-date='{week_later.isoformat()}'] .ev", has_text="Weekly")
        assert later.count() == 1  # the rest of the series stays
    series.refresh_from_db()
    assert series.next_run_at.astimezone(ZoneInfo(ZONE)).date() == week_later
    one_off = ScheduledJob.objects.get(schedule_type="once")
    assert one_off.next_run_at == datetime.combine(target, time(11), tzinfo=ZoneInfo(ZONE))


def test_a_refused_drag_shows_a_toast_and_the_event_snaps_back(browser_page, marketer, workspace):
    from marketing import services as marketing
    from marketing.tests.factories import ContentItemFactory

    channel = ChannelAccountFactory(
        workspace=workspace, name="Blog", posts_per_week=0, schedule_times=[], min_gap_minutes=60
    )
    today = local_today()
    monday = today + timedelta(days=7 - today.weekday())
    at_ten = [
        datetime.combine(monday + timedelta(days=n), time(10), tzinfo=ZoneInfo(ZONE))
        for n in (0, 1)
    ]
    for n, when in enumerate(at_ten):
        marketing.post_create(
            workspace=workspace,
            channel_id=channel.pk,
            scheduled_for=when,
            content_item=ContentItemFactory(workspace=workspace, title=f"Story {n}"),
        )
    page = browser_page
    sign_in(page)
    page.goto(f"/calendar/?view=week&date={monday.isoformat()}")
    tuesday = (monday + timedelta(days=1)).isoformat()
    chip = page.locator(f".daycol[data-date='{tuesday}'] .ev", has_text="Story 1")
    slot = page.locator(f".slot[data-date='{monday.isoformat()}'][data-time='10:00']")
    chip.drag_to(slot, force=True)
    toast(page, "refused").wait_for()
    # Back in its own column, and unchanged in the database.
    page.locator(f".daycol[data-date='{tuesday}'] .ev", has_text="Story 1").wait_for()
    from marketing.models import Post

    assert Post.objects.get(content_item__title="Story 1").scheduled_for == at_ten[1]


def test_switching_views_and_timezone_keeps_state_in_the_url_and_back_works(
    browser_page, marketer, workspace, artifacts_dir
):
    day = local_today() + timedelta(days=1)
    once_schedule(workspace, marketer, day, hour=9, name="Morning post")
    ChannelAccountFactory(workspace=workspace, name="LinkedIn", schedule_timezone=ZONE)
    page = browser_page
    sign_in(page)
    page.get_by_role("button", name=re.compile("Top off 28 days")).click()
    toast(page, "Created").wait_for()
    page.locator(".cal-body .ev-planned").first.wait_for()  # the calendar redrew itself
    page.get_by_role("link", name="Week", exact=True).click()
    page.wait_for_url(re.compile(r"view=week"))
    page.locator("#tgrid-scroll").wait_for()
    page.goto(f"/calendar/?view=week&date={day.isoformat()}")
    page.locator(".ev", has_text="Morning post").wait_for()
    page.screenshot(path=str(artifacts_dir / "calendar-week.png"), full_page=True)
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.wait_for_url(re.compile(r"tz=Asia%2FTokyo"))
    page.locator("#zone-name", has_text="Asia/Tokyo").wait_for()
    assert "23:00" in page.locator(".ev", has_text="Morning post").inner_text()
    page.get_by_role("link", name="Agenda").click()
    page.wait_for_url(re.compile(r"view=agenda"))
    page.go_back()
    page.wait_for_url(re.compile(r"view=week.*tz=Asia%2FTokyo|tz=Asia%2FTokyo.*view=week"))
    page.locator(".segmented a[aria-current='true']", has_text="Week").wait_for()
    page.locator("#zone-name", has_text="Asia/Tokyo").wait_for()
    assert "23:00" in page.locator(".ev", has_text="Morning post").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Month").click()
    page.wait_for_url(re.compile(r"view=month"))
    page.screenshot(path=str(artifacts_dir / "calendar-month-phone.png"), full_page=False)


def test_favourite_and_use_a_template(browser_page, marketer, workspace):
    template = JobTemplateFactory(workspace=workspace, name="SEO article")
    page = browser_page
    sign_in(page)
    page.get_by_role("link", name="Templates").click()
    star = page.get_by_role("button", name="Add SEO article to favourites")
    star.click()
    toast(page, "Added to favourites.").wait_for()
    assert (
        page.get_by_role("button", name="Remove SEO article from favourites").get_attribute(
            "aria-pressed"
        )
        == "true"
    )
    assert JobTemplate.objects.get(pk=template.pk).is_favorite
    page.get_by_role("link", name="Use", exact=True).first.click()
    page.get_by_label("Batch size").fill("500")
    page.get_by_role("button", name="Run job now").click()
    page.locator("#id_batch_size_error").wait_for()
    page.get_by_label("Batch size").fill("4")
    page.get_by_role("button", name="Run job now").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    toast(page, "created from the template").wait_for()
    job = Job.objects.get(template=template)
    assert job.config["batch_size"] == 4
    assert ScheduledJob.objects.count() == 0
