"""The calendar page at the edges of the calendar: a page, never a 500."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from schedules.tests.factories import ScheduledJobFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("?view=month&date=9999-12-01", "December 2200"),
        ("?view=week&date=0001-01-01", "1970"),
        ("?view=day&date=9999-12-31", "December 31, 2200"),
        ("?view=agenda&date=0001-01-01", "1970"),
        ("?view=month&date=2200-12-15", "December 2200"),  # its "next" link stays in range
        ("?view=week&date=not-a-date", "2026"),
    ],
)
def test_a_date_outside_1970_to_2200_shows_the_nearest_day_inside(page_client, query, shown):
    response = page_client.get(f"/calendar/{query}")

    assert response.status_code == 200
    assert shown in response.content.decode()


def test_following_next_from_the_last_month_stays_on_it(page_client):
    response = page_client.get("/calendar/?view=month&date=2201-01-01")

    assert response.status_code == 200
    assert "December 2200" in response.content.decode()


@pytest.mark.parametrize("to", ["9999-12-31T23:00", "0001-01-01T00:00", "2201-01-01T00:00"])
def test_dropping_an_event_outside_1970_to_2200_is_refused_with_a_reason(
    page_client, workspace, to
):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        schedule_type="once",
        scheduled_at=datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("UTC")),
        now=NOW,
    )
    response = page_client.post(
        "/calendar/move/",
        {"kind": "occurrence", "id": schedule.pk, "at": schedule.next_run_at.isoformat(), "to": to},
    )

    assert response.status_code == 422
    assert "1970 to 2200" in response.json()["message"]
    schedule.refresh_from_db()
    assert schedule.next_run_at == datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("UTC"))
