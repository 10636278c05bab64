"""GET /api/v1/marketing/calendar (seed 002): keyed by local date, sorted, bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from marketing import services
from marketing.models import Post
from marketing.tests.factories import ChannelAccountFactory, PostFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
CALENDAR = "/api/v1/marketing/calendar"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def calendar(api, workspace, start="2026-01-05", end="2026-01-11", **extra):
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    return api.get(f"{CALENDAR}?tenant_id={workspace.pk}&start_date={start}&end_date={end}&{query}")


def test_topped_off_slots_show_up_keyed_by_local_date(api, workspace, make_channel):
    make_channel(name="Daily", posts_per_week=7, schedule_times=["09:00"])
    services.topoff_slots(workspace=workspace)

    response = calendar(api, workspace)

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [f"2026-01-{d:02d}" for d in range(5, 12)]
    [slot] = body["2026-01-06"]
    assert slot["status"] == "planned"
    assert slot["content"] is None
    assert slot["channel"]["name"] == "Daily"
    assert slot["scheduled_for"] == "2026-01-06T09:00:00Z"


def test_posts_are_sorted_by_time_with_channel_content_and_wave(
    api, workspace, make_channel, video
):
    early, late = make_channel(name="Early"), make_channel(name="Late")
    services.wave_create(
        workspace=workspace,
        content_item_id=video.pk,
        type="staggered",
        start_at=datetime(2026, 1, 7, 15, tzinfo=UTC),
        delay_seconds=3600,
        channel_ids=[late.pk, early.pk],
    )
    [first, second] = calendar(api, workspace).json()["2026-01-07"]
    assert [first["channel"]["name"], second["channel"]["name"]] == ["Late", "Early"]
    assert first["content"]["title"] == "Launch video"
    assert first["wave"]["type"] == "staggered"
    assert first["status"] == "scheduled"


def test_days_are_local_to_the_workspace_timezone(api, workspace, make_channel):
    workspace.timezone = "America/Los_Angeles"
    workspace.save()
    channel = make_channel()
    # 03:00 UTC on the 7th is the evening of the 6th in Los Angeles.
    PostFactory(
        workspace=workspace,
        channel_account=channel,
        scheduled_for=datetime(2026, 1, 7, 3, tzinfo=UTC),
    )
    body = calendar(api, workspace).json()
    assert len(body["2026-01-06"]) == 1
    assert body["2026-01-07"] == []
    assert len(calendar(api, workspace, timezone="UTC").json()["2026-01-07"]) == 1


def test_the_seeds_datetime_range_works(api, workspace, make_channel):
    make_channel()
    services.topoff_slots(workspace=workspace)
    response = calendar(api, workspace, start="2026-01-05T00:00:00", end="2026-02-02T00:00:00")
    assert response.status_code == 200
    assert sum(len(posts) for posts in response.json().values()) == 28


def test_a_range_over_92_days_is_a_400(api, workspace):
    response = calendar(api, workspace, start="2026-01-01", end="2026-04-05")
    assert response.status_code == 400
    assert "end_date" in response.json()
    assert calendar(api, workspace, start="2026-01-01", end="2026-04-02").status_code == 200


@pytest.mark.parametrize(
    "start,end,field",
    [("yesterday", "2026-01-05", "start_date"), ("2026-01-05", "2026-01-01", "end_date")],
)
def test_bad_dates_are_400s_naming_the_field(api, workspace, start, end, field):
    response = calendar(api, workspace, start=start, end=end)
    assert response.status_code == 400
    assert field in response.json()


def test_missing_dates_are_400s(api, workspace):
    response = api.get(f"{CALENDAR}?tenant_id={workspace.pk}")
    assert response.status_code == 400
    assert set(response.json()) == {"start_date", "end_date"}


def test_another_workspaces_calendar_is_a_404(api, other_workspace):
    assert calendar(api, other_workspace).status_code == 404


def test_a_viewer_can_read_the_calendar(viewer_api, workspace):
    assert calendar(viewer_api, workspace).status_code == 200


def test_the_calendar_costs_the_same_queries_for_five_or_five_hundred_posts(
    api, workspace, make_channel, video, django_assert_num_queries
):
    channel = make_channel()

    def add_posts(count, offset):
        Post.objects.bulk_create(
            Post(
                workspace=workspace,
                channel_account=channel if n % 2 else ChannelAccountFactory(workspace=workspace),
                content_item=video if n % 3 == 0 else None,
                status="scheduled" if n % 3 == 0 else "planned",
                scheduled_for=NOW + timedelta(minutes=10 * (n + offset)),
            )
            for n in range(count)
        )

    add_posts(5, 0)
    calendar(api, workspace)  # warm up: the session, content types
    with django_assert_num_queries(2) as few:  # the workspace, the posts
        assert calendar(api, workspace).status_code == 200
    add_posts(495, 10)
    with django_assert_num_queries(len(few.captured_queries)):
        body = calendar(api, workspace).json()
    assert sum(len(posts) for posts in body.values()) == 500


@pytest.mark.parametrize("start", ["2026-02-30", "2026-01-05T25:00:00", "2026-01-05T"])
def test_impossible_dates_are_400s_not_500s(api, workspace, start):
    response = calendar(api, workspace, start=start, end="2026-01-11")
    assert response.status_code == 400
    assert "start_date" in response.json()


def test_an_unencoded_offset_in_the_query_string_still_parses(api, workspace):
    response = calendar(api, workspace, start="2026-01-05T00:00:00+01:00", end="2026-01-06")
    assert response.status_code == 200
    assert list(response.json())[:2] == ["2026-01-04", "2026-01-05"]  # 23:00 UTC on the 4th


def test_a_tenant_id_that_is_neither_id_nor_slug_is_a_404(api, workspace):
    response = api.get(
        CALENDAR,
        {"tenant_id": "\x00\u00a0:", "start_date": "2026-01-05", "end_date": "2026-01-11"},
    )
    assert response.status_code == 404
