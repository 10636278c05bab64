"""Dates at the calendar's edges are 400s naming the field, never an OverflowError (500)."""

from __future__ import annotations

import pytest

from marketing.models import Post, Wave
from marketing.tests.factories import PostFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/marketing"
TOO_LATE = "9999-12-31T23:00:00Z"


def test_checking_a_staggered_wave_that_starts_in_year_9999_is_a_400(
    api, workspace, video, channels
):
    response = api.post(
        f"{API}/waves/check?tenant_id={workspace.pk}",
        {
            "content_item_id": str(video.pk),
            "type": "staggered",
            "start_at": TOO_LATE,
            "delay_seconds": 3600,
            "channel_ids": [str(c.pk) for c in channels],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"start_at": ["The year must be from 1970 to 2200."]}


def test_creating_or_moving_a_wave_past_2200_is_a_400_and_writes_nothing(
    api, workspace, video, channels
):
    body = {
        "content_item_id": str(video.pk),
        "type": "staggered",
        "start_at": "2200-12-31T23:00:00-05:00",  # 2201 once in UTC
        "delay_seconds": 3600,
        "channel_ids": [str(c.pk) for c in channels],
    }
    response = api.post(f"{API}/waves", body, format="json")
    assert response.status_code == 400
    assert "start_at" in response.json()
    assert not Wave.objects.exists()


def test_rescheduling_a_post_to_the_last_second_of_9999_is_a_400(api, workspace):
    post = PostFactory(workspace=workspace)
    before = post.scheduled_for

    response = api.post(
        f"{API}/posts/{post.pk}/reschedule",
        {"scheduled_for": "9999-12-31T23:59:59Z"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"scheduled_for": ["The year must be from 1970 to 2200."]}
    post.refresh_from_db()
    assert post.scheduled_for == before


@pytest.mark.parametrize("scheduled_for", ["1969-12-31T23:59:59Z", "0001-01-01T00:00:00+05:00"])
def test_a_post_before_1970_is_a_400(api, workspace, channels, scheduled_for):
    response = api.post(
        f"{API}/posts",
        {"channel_id": str(channels[0].pk), "scheduled_for": scheduled_for},
        format="json",
    )

    assert response.status_code == 400
    assert "scheduled_for" in response.json()
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "9999-12-01", "end_date": "9999-12-31"}, "start_date"),
        ({"start_date": "2027-01-01", "end_date": "2201-01-01"}, "end_date"),
        ({"start_date": "0001-01-01T00:00:00+05:00", "end_date": "2027-01-01"}, "start_date"),
    ],
)
def test_the_calendar_refuses_years_outside_1970_to_2200(api, workspace, params, field):
    response = api.get(f"{API}/calendar", {"tenant_id": workspace.pk, **params})

    assert response.status_code == 400
    assert "1970 to 2200" in response.json()[field][0]
