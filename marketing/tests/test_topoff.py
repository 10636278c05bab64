"""Top-off (seed 002): idempotent planned slots, safety, the endpoint and the daily task."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django_celery_beat.models import PeriodicTask

from marketing import services
from marketing.models import Post
from marketing.tasks import topoff_marketing_slots
from marketing.tests.factories import ChannelAccountFactory, ContentItemFactory
from workspaces.tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # a Monday morning
TOPOFF = "/api/v1/marketing/scheduler/topoff"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_first_run_creates_the_slots_and_the_second_creates_none(api, workspace, make_channel):
    make_channel(posts_per_week=7, schedule_times=["09:00"])
    make_channel(posts_per_week=3, schedule_times=["12:00"])

    first = api.post(f"{TOPOFF}?tenant_id={workspace.pk}&days=28")
    second = api.post(f"{TOPOFF}?tenant_id={workspace.pk}&days=28")

    assert first.status_code == 200, first.json()
    assert first.json() == {
        "accounts_processed": 2,
        "instances_created": 28 + 12,
        "instances_skipped": 0,
        "window_start": "2026-01-05T06:00:00Z",
        "window_end": "2026-02-02T06:00:00Z",
        "message": "Created 40 new slots, skipped 0 existing",
    }
    assert second.json()["instances_created"] == 0
    assert second.json()["instances_skipped"] == 40
    assert second.json()["message"] == "Created 0 new slots, skipped 40 existing"
    assert Post.objects.filter(status="planned", content_item=None).count() == 40


def test_the_seeds_duplicate_query_finds_no_rows_after_repeated_runs(workspace, make_channel):
    make_channel(posts_per_week=14, schedule_times=["09:00", "18:00"])
    for _ in range(3):
        services.topoff_slots(workspace=workspace)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT workspace_id, channel_account_id, scheduled_for, COUNT(*) FROM marketing_post "
            "GROUP BY workspace_id, channel_account_id, scheduled_for HAVING COUNT(*) > 1"
        )
        assert cursor.fetchall() == []


def test_tenant_id_accepts_the_slug(api, workspace, make_channel):
    make_channel()
    response = api.post(f"{TOPOFF}?tenant_id={workspace.slug}")
    assert response.status_code == 200
    assert response.json()["instances_created"] == 28


def test_top_off_never_changes_a_slot_that_has_content_or_moved_on(workspace, make_channel):
    channel = make_channel(posts_per_week=7, schedule_times=["09:00"])
    services.topoff_slots(workspace=workspace)
    first, second, third = Post.objects.filter(channel_account=channel).order_by("scheduled_for")[
        :3
    ]
    content = ContentItemFactory(workspace=workspace, title="Filled")
    services.post_fill(post=first, content_item=content)
    Post.objects.filter(pk=second.pk).update(status="cancelled")
    Post.objects.filter(pk=third.pk).update(status="draft", error_message="kept")

    result = services.topoff_slots(workspace=workspace)

    assert result.instances_created == 0
    first.refresh_from_db()
    assert (first.content_item_id, first.status) == (content.pk, "scheduled")
    assert Post.objects.get(pk=second.pk).status == "cancelled"
    assert Post.objects.get(pk=third.pk).error_message == "kept"
    assert Post.objects.filter(channel_account=channel).count() == 28


def test_a_deleted_slot_is_recreated_and_nothing_else(workspace, make_channel):
    channel = make_channel()
    services.topoff_slots(workspace=workspace)
    Post.objects.filter(channel_account=channel).order_by("scheduled_for").first().delete()
    assert services.topoff_slots(workspace=workspace).instances_created == 1


def test_inactive_and_paused_channels_get_no_slots(api, workspace, make_channel):
    make_channel(is_active=False)
    make_channel(is_paused=True)
    make_channel()
    body = api.post(f"{TOPOFF}?tenant_id={workspace.pk}").json()
    assert body["accounts_processed"] == 1
    assert body["instances_created"] == 28


@pytest.mark.parametrize("days,expected", [(1, 1), (90, 90)])
def test_horizon_of_one_and_ninety_days(api, workspace, make_channel, days, expected):
    make_channel(posts_per_week=7, schedule_times=["09:00"])
    body = api.post(f"{TOPOFF}?tenant_id={workspace.pk}&days={days}").json()
    assert body["instances_created"] == expected
    assert body["window_end"] == (NOW + timedelta(days=days)).isoformat().replace("+00:00", "Z")
    latest = Post.objects.latest("scheduled_for").scheduled_for
    assert latest < NOW + timedelta(days=days)


@pytest.mark.parametrize("days", ["0", "91", "-3", "many"])
def test_days_outside_one_to_ninety_is_a_400_naming_days(api, workspace, days):
    response = api.post(f"{TOPOFF}?tenant_id={workspace.pk}&days={days}")
    assert response.status_code == 400
    assert "days" in response.json()
    assert Post.objects.count() == 0


def test_a_missing_tenant_is_a_400_naming_tenant_id(api):
    response = api.post(TOPOFF)
    assert response.status_code == 400
    assert "tenant_id" in response.json()


def test_another_workspace_is_a_404(api, other_workspace):
    ChannelAccountFactory(workspace=other_workspace)
    assert api.post(f"{TOPOFF}?tenant_id={other_workspace.pk}").status_code == 404
    assert api.post(f"{TOPOFF}?tenant_id={other_workspace.slug}").status_code == 404
    assert Post.objects.count() == 0


def test_a_viewer_cannot_top_off(viewer_api, workspace, make_channel):
    make_channel()
    assert viewer_api.post(f"{TOPOFF}?tenant_id={workspace.pk}").status_code == 403
    assert Post.objects.count() == 0


def test_the_dst_day_keeps_the_local_time_in_the_channels_zone(workspace, make_channel):
    # 7 a week on two times uses every other candidate: always the first time.
    channel = make_channel(
        posts_per_week=7, schedule_times=["02:30", "09:00"], schedule_timezone="America/New_York"
    )
    with time_machine.travel(datetime(2026, 3, 6, 12, tzinfo=UTC), tick=False):
        services.topoff_slots(workspace=workspace, days=4)
    zone = ZoneInfo("America/New_York")
    local = sorted(
        p.scheduled_for.astimezone(zone).strftime("%d %H:%M")
        for p in Post.objects.filter(channel_account=channel)
    )
    # 2026-03-08 has no 02:30 in New York: that day's post runs at 03:30.
    assert local == ["07 02:30", "08 03:30", "09 02:30", "10 02:30"]


def test_the_dst_day_with_a_daily_skipped_time_still_gets_its_post(workspace, make_channel):
    channel = make_channel(
        posts_per_week=7, schedule_times=["02:30"], schedule_timezone="America/New_York"
    )
    with time_machine.travel(datetime(2026, 3, 7, 12, tzinfo=UTC), tick=False):
        services.topoff_slots(workspace=workspace, days=2)
    zone = ZoneInfo("America/New_York")
    [post] = [
        p
        for p in Post.objects.filter(channel_account=channel)
        if p.scheduled_for.astimezone(zone).day == 8
    ]
    assert post.scheduled_for.astimezone(zone).strftime("%H:%M") == "03:30"


def test_tomorrows_top_off_adds_only_the_new_day(workspace, make_channel):
    make_channel(posts_per_week=5, schedule_times=["09:00", "17:00"])
    services.topoff_slots(workspace=workspace)
    before = set(Post.objects.values_list("scheduled_for", flat=True))
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        result = services.topoff_slots(workspace=workspace)
    after = set(Post.objects.values_list("scheduled_for", flat=True))
    assert before <= after
    assert result.instances_created == len(after - before) <= 2
    assert all(s >= NOW + timedelta(days=28) for s in after - before)


def test_the_daily_task_tops_off_every_workspace(make_channel):
    first = WorkspaceFactory()
    second = WorkspaceFactory()
    ChannelAccountFactory(workspace=first)
    ChannelAccountFactory(workspace=second, posts_per_week=3)
    result = topoff_marketing_slots()
    assert result == {"workspaces": 2, "instances_created": 28 + 12}
    assert topoff_marketing_slots()["instances_created"] == 0


def test_setup_creates_the_daily_two_am_crontab_task():
    call_command("setup_periodic_tasks", stdout=io.StringIO())
    task = PeriodicTask.objects.get(name="marketing.topoff-daily")
    assert task.task == "marketing.tasks.topoff_marketing_slots"
    assert (task.crontab.minute, task.crontab.hour) == ("0", "2")
    assert str(task.crontab.timezone) == "UTC"
    assert PeriodicTask.objects.get(name="marketing.publish-due-posts").interval is not None


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_top_offs_create_each_slot_once(requires_postgres):
    workspace = WorkspaceFactory()
    for n in range(20):
        ChannelAccountFactory(
            workspace=workspace, posts_per_week=14, schedule_times=["08:00", "20:00"], name=f"c{n}"
        )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(services.topoff_slots(workspace=workspace).instances_created)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(results)[1] + sorted(results)[0] == 20 * 56
    assert Post.objects.count() == 20 * 56


def test_the_database_itself_refuses_a_second_post_at_the_same_instant(workspace, make_channel):
    from django.db import IntegrityError, transaction

    channel = make_channel()
    at = NOW + timedelta(hours=3)
    Post.objects.create(workspace=workspace, channel_account=channel, scheduled_for=at)
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(workspace=workspace, channel_account=channel, scheduled_for=at)


def _slots_of(workspace) -> set[tuple]:
    return set(
        Post.objects.filter(workspace=workspace).values_list(
            "channel_account__name", "scheduled_for", "status", "content_item", "is_paused", "wave"
        )
    )


def _same_channels(workspace) -> None:
    ChannelAccountFactory(workspace=workspace, name="daily", posts_per_week=7)
    ChannelAccountFactory(
        workspace=workspace,
        name="new york",
        posts_per_week=5,
        schedule_times=["02:30", "17:00"],
        schedule_timezone="America/New_York",
    )
    ChannelAccountFactory(workspace=workspace, name="tokyo", schedule_timezone="Asia/Tokyo")
    ChannelAccountFactory(workspace=workspace, name="quiet", posts_per_week=0)


def _insert_both_ways(unnest_workspace, values_workspace) -> tuple[int, int]:
    window_start = datetime(2026, 3, 1, tzinfo=UTC)  # spans New York's spring forward
    window_end = window_start + timedelta(days=28)
    created = []
    for workspace, unnest in ((unnest_workspace, True), (values_workspace, False)):
        channels = list(services.topoff_channels(workspace).order_by("pk"))
        groups = services.planned_slot_groups(
            channels, window_start=window_start, window_end=window_end
        )
        if unnest:
            created.append(
                services.insert_planned_slots_unnest(workspace_id=workspace.pk, groups=groups)
            )
        else:
            rows = services._missing_rows(
                workspace, groups, window_start=window_start, window_end=window_end
            )
            inserted = services.insert_planned_slots_values(workspace_id=workspace.pk, rows=rows)
            created.append(inserted)
    return created[0], created[1]


def test_the_postgres_unnest_path_and_the_portable_path_make_the_same_slots(requires_postgres):
    unnest_workspace, values_workspace = WorkspaceFactory(), WorkspaceFactory()
    _same_channels(unnest_workspace)
    _same_channels(values_workspace)

    first = _insert_both_ways(unnest_workspace, values_workspace)
    same_after_first = _slots_of(unnest_workspace) == _slots_of(values_workspace)
    for workspace in (unnest_workspace, values_workspace):
        Post.objects.filter(workspace=workspace, channel_account__name="tokyo").earliest(
            "scheduled_for"
        ).delete()
    refill = _insert_both_ways(unnest_workspace, values_workspace)

    assert first == (28 + 20 + 28, 28 + 20 + 28)
    assert same_after_first
    assert refill == (1, 1)
    assert _slots_of(unnest_workspace) == _slots_of(values_workspace)
