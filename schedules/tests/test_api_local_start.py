"""POST/PATCH /api/v1/schedule with a start inside a clock change (the engine's
hand-worked cases are in test_recurrence_local_start).

  America/New_York  gap 2027-03-14 02:00 -> 03:00; fold 2026-11-01 01:00-02:00
  America/Nuuk      gap Saturday 2027-03-27 23:00 (-02) -> Sunday 00:00 (-01)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from schedules.models import ScheduledJob

pytestmark = pytest.mark.django_db

NY = "America/New_York"
NUUK = "America/Nuuk"
SECOND_PASS = "2026-11-01T01:30:00-05:00"  # 01:30 EST, the second 01:30 of the night


@pytest.fixture
def before_spring():
    """Frozen a fortnight before the gaps; asked for before ``api``, so it signs in then."""
    with time_machine.travel(datetime(2027, 3, 1, 12, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def before_fall():
    with time_machine.travel(datetime(2026, 10, 20, 12, tzinfo=UTC), tick=False):
        yield


def _create(api, **body):
    payload = {
        "name": "Night batch",
        "schedule_type": "daily",
        "timezone": NY,
        "job_config": {"executor": "noop"},
        **body,
    }
    return api.post("/api/v1/schedule", payload, format="json")


def test_api_a_naive_gap_start_previews_0330_on_the_first_day_then_0230(before_spring, api):
    response = _create(api, scheduled_at="2027-03-14T02:30:00")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["scheduled_at"] == "2027-03-14T07:30:00Z"
    assert body["scheduled_local"] == "2027-03-14T02:30:00"
    assert body["next_run_at"] == "2027-03-14T07:30:00Z"
    assert body["next_runs"] == [
        "2027-03-14T07:30:00Z",  # 03:30 EDT: 02:30 does not exist that day
        "2027-03-15T06:30:00Z",  # 02:30 EDT
        "2027-03-16T06:30:00Z",
        "2027-03-17T06:30:00Z",
        "2027-03-18T06:30:00Z",
    ]
    assert body["schedule_description"] == "Every day at 02:30 America/New_York"
    assert ScheduledJob.objects.get().scheduled_local == "2027-03-14T02:30:00"


def test_api_an_offset_start_stores_its_own_wall_time_and_scheduled_local_is_read_only(
    before_spring, api
):
    response = _create(
        api, scheduled_at="2027-03-14T03:30:00-04:00", scheduled_local="2027-03-14T02:30:00"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["scheduled_local"] == "2027-03-14T03:30:00"
    assert body["next_runs"][:2] == ["2027-03-14T07:30:00Z", "2027-03-15T07:30:00Z"]


def test_api_edits_keep_or_replace_the_typed_wall_time(before_spring, api):
    created = _create(api, scheduled_at="2027-03-14T02:30:00").json()
    url = f"/api/v1/schedule/{created['id']}"
    # Sending back what was read (the instant, the zone) changes nothing.
    same = api.patch(
        url, {"scheduled_at": created["scheduled_at"], "timezone": NY, "name": "Renamed"}, "json"
    ).json()
    assert same["scheduled_local"] == "2027-03-14T02:30:00"
    assert same["version"] == created["version"]
    assert same["next_runs"][1] == "2027-03-15T06:30:00Z"
    # A new naive start is the new typed wall time.
    moved = api.patch(url, {"scheduled_at": "2027-03-20T02:30:00"}, format="json").json()
    assert moved["scheduled_local"] == "2027-03-20T02:30:00"
    assert moved["next_runs"][:2] == ["2027-03-20T06:30:00Z", "2027-03-21T06:30:00Z"]
    # A new zone keeps the instant, as before: the wall time is the instant's there.
    chicago = api.patch(url, {"timezone": "America/Chicago"}, format="json").json()
    assert chicago["scheduled_local"] == "2027-03-20T01:30:00"
    assert chicago["scheduled_at"] == "2027-03-20T06:30:00Z"


def test_api_weekly_saturday_typed_where_the_gap_swallows_midnight(before_spring, api):
    response = _create(
        api,
        schedule_type="weekly",
        recurrence_pattern="weekly:saturday",
        timezone=NUUK,
        scheduled_at="2027-03-27T23:30:00",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["next_runs"][:3] == [
        "2027-03-28T01:30:00Z",  # Sunday 00:30 -01: Saturday 23:30 moved on by the gap
        "2027-04-04T00:30:00Z",  # Saturday 23:30 -01
        "2027-04-11T00:30:00Z",
    ]


@pytest.mark.parametrize(
    ("schedule_type", "pattern"),
    [
        ("once", ""),
        ("daily", ""),
        ("weekly", "weekly:sunday"),
        ("monthly", "monthly:1"),
        ("cron", "30 1 * * *"),
        ("rrule", "FREQ=DAILY"),
    ],
)
def test_api_a_second_pass_start_is_the_first_run(before_fall, api, schedule_type, pattern):
    response = _create(
        api, schedule_type=schedule_type, recurrence_pattern=pattern, scheduled_at=SECOND_PASS
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["scheduled_local"] == "2026-11-01T01:30:00"
    assert body["next_run_at"] == "2026-11-01T06:30:00Z"
    assert body["next_runs"][0] == "2026-11-01T06:30:00Z"  # not 05:30Z, the first pass


@pytest.mark.parametrize(
    "scheduled_at",
    [
        "2027-03-14T12:99:00Z",  # well formed, minute out of range: a ValueError, was a 500
        "9999-12-31T23:00:00-05:00",  # past year 9999 once in UTC
    ],
)
def test_api_an_out_of_range_scheduled_at_is_a_400(before_spring, api, scheduled_at):
    response = _create(api, scheduled_at=scheduled_at)
    assert response.status_code == 400
    assert "scheduled_at" in response.json()


def test_api_an_offset_postgresql_cannot_store_is_kept_as_the_same_instant(before_spring, api):
    response = _create(api, scheduled_at="2027-03-20T23:30:00+21:24")
    assert response.status_code == 201, response.json()
    assert response.json()["scheduled_at"] == "2027-03-20T02:06:00Z"
