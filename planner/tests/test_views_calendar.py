from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.tests.factories import CampaignFactory
from jobs.tests.factories import JobFactory
from marketing.models import Post
from marketing.tests.factories import ChannelAccountFactory, ContentItemFactory
from schedules.models import ScheduledJob
from schedules.tests.factories import ScheduledJobFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ny_workspace(workspace):
    workspace.timezone = "America/New_York"
    workspace.save(update_fields=["timezone"])
    return workspace


def _daily(workspace, **fields):
    fields.setdefault("scheduled_at", datetime(2026, 11, 24, 14, 0, tzinfo=ZoneInfo("UTC")))
    fields.setdefault("now", NOW)
    return ScheduledJobFactory(workspace=workspace, **fields)


def test_signed_in_home_is_the_calendar(page_client):
    response = page_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/calendar/"


def test_month_shows_each_occurrence_expanded_from_the_recurrence(page_client, ny_workspace):
    campaign = CampaignFactory(workspace=ny_workspace, color="#AA3377")
    _daily(ny_workspace, name="Digest", campaign=campaign, timezone="America/New_York")
    body = page_client.get("/calendar/?view=month&date=2026-11-01").content.decode()
    # Nov 24 .. Dec 6 are on the November grid: 13 daily runs.
    assert body.count("Digest — Scheduled · Active") == 13
    assert "--c: #AA3377" in body
    assert "Times shown in <strong>America/New_York</strong>" in body
    assert "09:00" in body  # 14:00 UTC in New York


def test_display_timezone_changes_the_times_and_is_named(page_client, ny_workspace):
    _daily(ny_workspace, name="Digest")
    body = page_client.get("/calendar/?view=week&date=2026-11-24&tz=Asia/Tokyo").content.decode()
    assert "Times shown in <strong>Asia/Tokyo</strong>" in body
    assert 'data-time="23:00"' in body
    # The chosen zone is remembered for the next page.
    assert "Asia/Tokyo" in page_client.get("/calendar/").content.decode()


def test_past_runs_show_their_outcome_in_text_and_icon(page_client, ny_workspace):
    JobFactory(
        workspace=ny_workspace,
        name="Yesterday",
        status="failed",
        scheduled_for=NOW - timedelta(days=1),
    )
    body = page_client.get("/calendar/?view=agenda&date=2026-11-20").content.decode()
    assert "Yesterday — Run · Failed" in body
    assert "ev-run ev-failed" in body


def test_planned_slots_are_visibly_empty_and_distinct_from_filled_posts(page_client, ny_workspace):
    channel = ChannelAccountFactory(workspace=ny_workspace, name="X main")
    content = ContentItemFactory(workspace=ny_workspace, title="Real post")
    Post.objects.create(
        workspace=ny_workspace, channel_account=channel, scheduled_for=NOW + timedelta(days=1)
    )
    Post.objects.create(
        workspace=ny_workspace,
        channel_account=channel,
        content_item=content,
        status="scheduled",
        scheduled_for=NOW + timedelta(days=2),
    )
    body = page_client.get("/calendar/?view=agenda").content.decode()
    assert "ev-post ev-planned" in body and "Empty · X main" in body
    assert "Planned (empty slot)" in body
    assert "ev-post ev-scheduled" in body and "Real post" in body


def test_filters_narrow_by_campaign_kind_and_status(page_client, ny_workspace):
    mine = CampaignFactory(workspace=ny_workspace, name="Mine")
    _daily(ny_workspace, name="Kept", campaign=mine)
    _daily(ny_workspace, name="Dropped")
    body = page_client.get(
        f"/calendar/?view=week&date=2026-11-24&campaign={mine.pk}"
    ).content.decode()
    assert "Kept" in body and "Dropped —" not in body
    body = page_client.get("/calendar/?view=week&date=2026-11-24&kind=post").content.decode()
    assert "Kept —" not in body
    body = page_client.get("/calendar/?view=week&date=2026-11-24&status=paused").content.decode()
    assert "Kept —" not in body


def test_htmx_navigation_gets_the_calendar_fragment_and_history_restore_the_page(page_client):
    fragment = page_client.get("/calendar/?view=week", **HX).content.decode()
    assert fragment.lstrip().startswith('<div id="calendar"')
    restore = page_client.get(
        "/calendar/?view=week", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HX
    ).content.decode()
    assert "<html" in restore


@pytest.mark.parametrize(
    "query",
    [
        "?view=year",
        "?date=2026-02-30",
        "?campaign=zzz",
        "?channel=1",
        "?tz=Mars/Olympus",
        "?workspace=nope",
        "?kind=<script>",
        "?status=%00",
    ],
)
def test_bad_query_strings_never_break_the_page(page_client, query):
    assert page_client.get("/calendar/" + query).status_code == 200


def test_month_cells_cap_their_chips_and_say_how_many_more(page_client, ny_workspace):
    for n in range(7):
        _daily(ny_workspace, name=f"S{n}")
    body = page_client.get("/calendar/?view=month&date=2026-11-01").content.decode()
    assert "+3 more" in body


def _bulk_posts(workspace, count: int):
    channels = [ChannelAccountFactory(workspace=workspace, name=f"C{n}") for n in range(10)]
    start = datetime(2026, 12, 1, tzinfo=ZoneInfo("UTC"))
    rows = [
        Post(
            workspace=workspace,
            channel_account=channels[n % 10],
            scheduled_for=start + timedelta(minutes=5 * (n // 10) + 1),
        )
        for n in range(count)
    ]
    Post.objects.bulk_create(rows)


def test_a_month_with_5000_events_renders_with_a_constant_number_of_queries(
    page_client, ny_workspace, django_assert_num_queries
):
    _daily(ny_workspace, name="Digest")
    _bulk_posts(ny_workspace, 10)
    url = "/calendar/?view=month&date=2026-12-01"
    with CaptureQueriesContext(connection) as small:
        assert page_client.get(url).status_code == 200
    Post.objects.all().delete()
    _bulk_posts(ny_workspace, 5000)
    with django_assert_num_queries(len(small.captured_queries)):
        response = page_client.get(url)
    body = response.content.decode()
    # 5,000 posts + one daily run on each of the 35 days drawn (Nov 30 .. Jan 3).
    assert "5035 events" in body
    assert "more</a>" in body


def test_event_panel_shows_details_and_actions(page_client, ny_workspace):
    schedule = _daily(ny_workspace, name="Digest")
    at = schedule.next_run_at.isoformat()
    response = page_client.get(f"/calendar/event/occurrence/{schedule.pk}/", {"at": at}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="scheduledjob-{schedule.pk}"' in body
    for action in ("Pause", "Run now", "Edit", "Open schedule"):
        assert action in body


def test_panel_actions_call_the_services_and_ask_the_calendar_to_refresh(page_client, ny_workspace):
    schedule = _daily(ny_workspace, name="Digest")
    response = page_client.post(f"/calendar/event/occurrence/{schedule.pk}/pause/", **HX)
    triggers = json.loads(response["HX-Trigger"])
    assert triggers["toast"]["message"] == "Paused “Digest”."
    assert triggers["calendar-refresh"] is True
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.PAUSED


def test_filling_a_planned_slot_from_the_panel(page_client, ny_workspace):
    channel = ChannelAccountFactory(workspace=ny_workspace)
    slot = Post.objects.create(
        workspace=ny_workspace, channel_account=channel, scheduled_for=NOW + timedelta(days=1)
    )
    content = ContentItemFactory(workspace=ny_workspace, title="Fresh")
    panel = page_client.get(f"/calendar/event/post/{slot.pk}/", **HX).content.decode()
    assert "Fill this slot with" in panel
    response = page_client.post(
        f"/calendar/event/post/{slot.pk}/fill/", {"content_item": content.pk}, **HX
    )
    assert "Slot filled with “Fresh”." in json.loads(response["HX-Trigger"])["toast"]["message"]
    slot.refresh_from_db()
    assert slot.status == "scheduled" and slot.content_item == content


def test_moving_a_one_off_schedule_persists(page_client, ny_workspace):
    schedule = _daily(ny_workspace, name="Once", schedule_type="once")
    response = page_client.post(
        "/calendar/move/",
        {
            "kind": "occurrence",
            "id": schedule.pk,
            "at": schedule.next_run_at.isoformat(),
            "to": "2026-11-27T10:30",
            "tz": "America/New_York",
        },
    )
    assert response.status_code == 200 and response.json()["ok"]
    schedule.refresh_from_db()
    assert schedule.next_run_at == datetime(2026, 11, 27, 15, 30, tzinfo=ZoneInfo("UTC"))


def test_moving_into_the_past_is_refused_with_a_reason(page_client, ny_workspace):
    schedule = _daily(ny_workspace, name="Once", schedule_type="once")
    before = schedule.next_run_at
    response = page_client.post(
        "/calendar/move/",
        {
            "kind": "occurrence",
            "id": schedule.pk,
            "at": before.isoformat(),
            "to": "2026-11-01T10:30",
            "tz": "UTC",
        },
    )
    assert response.status_code == 422
    assert "in the past" in response.json()["message"]
    schedule.refresh_from_db()
    assert schedule.next_run_at == before


def test_moving_a_weekly_series_moves_its_weekday(page_client, ny_workspace):
    schedule = _daily(
        ny_workspace, name="Weekly", schedule_type="weekly", recurrence_pattern="weekly:tuesday"
    )
    response = page_client.post(
        "/calendar/move/",
        {
            "kind": "occurrence",
            "id": schedule.pk,
            "at": schedule.next_run_at.isoformat(),
            "to": "2026-11-26T09:00",
            "scope": "series",
            "tz": "UTC",
        },
    )
    assert response.json()["ok"], response.json()
    schedule.refresh_from_db()
    assert schedule.recurrence_pattern == "weekly:thursday"


def test_moving_a_post_onto_a_conflict_is_refused(page_client, ny_workspace):
    channel = ChannelAccountFactory(workspace=ny_workspace, min_gap_minutes=60)
    first = Post.objects.create(
        workspace=ny_workspace,
        channel_account=channel,
        content_item=ContentItemFactory(workspace=ny_workspace),
        status="scheduled",
        scheduled_for=NOW + timedelta(days=1),
    )
    second = Post.objects.create(
        workspace=ny_workspace,
        channel_account=channel,
        content_item=ContentItemFactory(workspace=ny_workspace),
        status="scheduled",
        scheduled_for=NOW + timedelta(days=2),
    )
    target = (first.scheduled_for + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    response = page_client.post(
        "/calendar/move/",
        {
            "kind": "post",
            "id": second.pk,
            "at": second.scheduled_for.isoformat(),
            "to": target,
            "tz": "UTC",
        },
    )
    assert response.status_code == 422
    assert "60" in response.json()["message"] or "gap" in response.json()["message"]
    second.refresh_from_db()
    assert second.scheduled_for == NOW + timedelta(days=2)


def test_strangers_events_are_not_found_and_viewers_cannot_move(
    page_client, viewer_client, ny_workspace, other_workspace
):
    stranger = _daily(other_workspace, name="Theirs")
    assert page_client.get(f"/calendar/event/occurrence/{stranger.pk}/").status_code == 404
    moved = page_client.post(
        "/calendar/move/", {"kind": "occurrence", "id": stranger.pk, "to": "2026-12-01T10:00"}
    )
    assert moved.status_code == 404
    mine = _daily(ny_workspace, name="Mine", schedule_type="once")
    denied = viewer_client.post(
        "/calendar/move/", {"kind": "occurrence", "id": mine.pk, "to": "2026-12-01T10:00"}
    )
    assert denied.status_code == 403
    assert page_client.get("/calendar/event/nonsense/1/").status_code == 404


def test_calendar_lists_only_the_users_workspaces(page_client, other_workspace):
    _daily(other_workspace, name="Secret schedule")
    body = page_client.get("/calendar/?view=agenda&date=2026-11-24&workspace=all").content.decode()
    assert "Secret schedule" not in body


def test_time_grid_places_events_by_their_local_time(page_client, ny_workspace):
    _daily(
        ny_workspace,
        name="Noon",
        scheduled_at=datetime.combine(
            NOW.date() + timedelta(days=1), time(12), tzinfo=ZoneInfo("America/New_York")
        ),
        timezone="America/New_York",
    )
    body = page_client.get("/calendar/?view=day&date=2026-11-24").content.decode()
    assert "top: 576px" in body  # 12 hours x 48 px


def test_a_frequent_schedule_is_one_chip_per_day_in_the_month(page_client, ny_workspace):
    _daily(
        ny_workspace,
        name="Quarter hourly",
        schedule_type="cron",
        recurrence_pattern="*/15 * * * *",
        timezone="UTC",
    )
    body = page_client.get("/calendar/?view=month&date=2026-12-01&tz=UTC").content.decode()
    assert "\u00d796" in body  # times 96: a whole day of 15-minute runs behind one chip
    assert "more</a>" not in body  # so the cell has room for everything else


def test_moving_only_one_run_of_a_series_moves_that_run_and_keeps_the_others(
    page_client, ny_workspace
):
    schedule = _daily(ny_workspace, name="Digest", timezone="America/New_York")
    # The Nov 25 run (09:00 New York) goes to Nov 27 at 15:30.
    response = page_client.post(
        "/calendar/move/",
        {
            "kind": "occurrence",
            "id": schedule.pk,
            "at": "2026-11-25T14:00:00+00:00",
            "to": "2026-11-27T15:30",
            "scope": "occurrence",
            "tz": "America/New_York",
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["message"] == "Moved this run to Fri Nov 27, 15:30."
    schedule.refresh_from_db()
    assert schedule.scheduled_at == datetime(2026, 11, 24, 14, 0, tzinfo=ZoneInfo("UTC"))
    body = page_client.get("/calendar/?view=agenda&date=2026-11-23").content.decode()
    moved = "Digest (moved from 2026-11-25)"
    assert moved in body
    day = page_client.get("/calendar/?view=day&date=2026-11-25").content.decode()
    assert "Digest — Scheduled" not in day
    assert (
        "Digest — Scheduled"
        in page_client.get("/calendar/?view=day&date=2026-11-26").content.decode()
    )
    friday = page_client.get("/calendar/?view=day&date=2026-11-27").content.decode()
    assert moved in friday and "15:30" in friday


def test_moving_one_run_into_the_past_is_refused_and_nothing_moves(page_client, ny_workspace):
    schedule = _daily(ny_workspace, name="Digest")
    response = page_client.post(
        "/calendar/move/",
        {
            "kind": "occurrence",
            "id": schedule.pk,
            "at": "2026-11-25T14:00:00+00:00",
            "to": "2026-11-20T10:00",
            "scope": "occurrence",
            "tz": "UTC",
        },
    )
    assert response.status_code == 422
    assert "in the past" in response.json()["message"]
    assert ScheduledJob.objects.count() == 1
    assert not schedule.exceptions.exists()


def test_a_viewer_cannot_move_one_run(viewer_client, workspace):
    schedule = _daily(workspace, name="Digest")
    response = viewer_client.post(
        "/calendar/move/",
        {
            "kind": "occurrence",
            "id": schedule.pk,
            "at": "2026-11-25T14:00:00+00:00",
            "to": "2026-11-27T10:00",
            "scope": "occurrence",
            "tz": "UTC",
        },
    )
    assert response.status_code in (403, 422)
    assert not schedule.exceptions.exists()


def test_skipped_runs_of_many_schedules_cost_no_extra_query_per_schedule(
    page_client, ny_workspace, user, django_assert_num_queries
):
    from schedules.services import schedule_occurrence_skip

    first = _daily(ny_workspace, name="Digest 0")
    schedule_occurrence_skip(
        scheduled_job=first, occurrence_at=datetime(2026, 12, 2, 14, tzinfo=ZoneInfo("UTC"))
    )
    url = "/calendar/?view=month&date=2026-12-01"
    with CaptureQueriesContext(connection) as small:
        assert page_client.get(url).status_code == 200
    for n in range(1, 20):
        schedule = _daily(ny_workspace, name=f"Digest {n}")
        schedule_occurrence_skip(
            scheduled_job=schedule,
            occurrence_at=datetime(2026, 12, 2, 14, tzinfo=ZoneInfo("UTC")),
            actor=user,
        )
    with django_assert_num_queries(len(small.captured_queries)):
        body = page_client.get(url).content.decode()
    # 20 daily schedules over the 35 days drawn, less the 20 skipped Dec 2 runs.
    assert f"{20 * 35 - 20} events" in body
