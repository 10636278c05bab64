"""The ledger's representative rows end to end: the API, the real dispatcher, a
real ``celery worker`` subprocess (Redis in CI; the embedded broker on a bare
machine), and the occurrences endpoint showing each fate.

Days cannot pass in a test, so the bounded series are created as if two days
ago (the service takes ``now``) with a grace window that covers them: the
dispatcher then hands out all three runs in one pass, the last of which ends
the series. That is the case that used to be cancelled.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import Job
from scheduler_site.testing import wait_until
from schedules import dispatcher, services
from schedules.models import ScheduledJob

pytestmark = [
    pytest.mark.integration,
    pytest.mark.ledger,
    pytest.mark.django_db(transaction=True),
]

UNFINISHED = ("pending", "queued", "running")


def _finished_runs(schedule_id, count: int, worker) -> list[Job]:
    def done():
        runs = list(Job.objects.filter(scheduled_job_id=schedule_id).order_by("scheduled_for"))
        if len(runs) == count and not any(run.status in UNFINISHED for run in runs):
            return runs
        return None

    return wait_until(
        done, timeout=90, message=f"runs did not finish; worker log:\n{worker.log_tail()}"
    )


def _fates(api, schedule_id) -> list[str]:
    body = api.get(
        f"/api/v1/schedule/{schedule_id}/occurrences",
        {"from": (timezone.now() - timedelta(days=3)).isoformat(), "fate": "succeeded"},
    ).json()
    return [o["fate"] for o in body["occurrences"]]


@pytest.mark.parametrize(
    "end",
    [{"max_runs": 3}, {"recurrence_end_date": "soon"}],
    ids=["max_runs-3", "end-date"],
)
def test_every_run_of_a_bounded_daily_series_succeeds_the_last_one_included(
    api, workspace, user, celery_worker, end
):
    now = timezone.now()
    first = now - timedelta(days=2) + timedelta(seconds=3)
    if "recurrence_end_date" in end:
        end = {"recurrence_end_date": now + timedelta(minutes=1)}
    schedule = services.schedule_create(
        workspace=workspace,
        created_by=user,
        now=first - timedelta(minutes=1),
        name="Three mornings",
        schedule_type="daily",
        scheduled_at=first,
        timezone="America/New_York",
        misfire_grace_seconds=3 * 86400,
        overlap_policy="allow",
        job_config={"executor": "noop"},
        **end,
    )
    report = dispatcher.dispatch_due(lookahead=timedelta(seconds=5))
    assert report.jobs_created == 3
    schedule.refresh_from_db()
    assert schedule.status in ("completed", "expired")  # the series ended when its last run left

    runs = _finished_runs(schedule.pk, 3, celery_worker)
    assert [run.status for run in runs] == ["succeeded"] * 3, [r.last_error for r in runs]
    assert runs[-1].started_at >= runs[-1].scheduled_for - timedelta(seconds=1)
    assert _fates(api, schedule.pk) == ["succeeded"] * 3
    body = api.get(f"/api/v1/schedule/{schedule.pk}").json()
    assert body["run_count"] == 3


def test_a_moved_run_runs_once_at_its_new_time_and_the_series_shows_it_moved(
    api, workspace, celery_worker
):
    start = timezone.now() + timedelta(hours=1)
    created = api.post(
        "/api/v1/schedule",
        {
            "name": "Weekly digest",
            "schedule_type": "daily",
            "scheduled_at": start.isoformat(),
            "job_config": {"executor": "noop"},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    series_id = created.json()["id"]
    new_time = timezone.now() + timedelta(seconds=3)
    moved = api.post(
        f"/api/v1/schedule/{series_id}/occurrences/move",
        {"occurrence_at": created.json()["next_runs"][0], "new_time": new_time.isoformat()},
        format="json",
    )
    assert moved.status_code == 201, moved.json()
    replacement_id = moved.json()["replacement_id"]
    dispatcher.dispatch_due(lookahead=timedelta(seconds=5))
    [run] = _finished_runs(replacement_id, 1, celery_worker)
    assert run.status == "succeeded"
    assert ScheduledJob.objects.get(pk=replacement_id).status == "completed"

    series = api.get(f"/api/v1/schedule/{series_id}/occurrences", {"fate": "moved"}).json()[
        "occurrences"
    ]
    assert len(series) == 1
    assert series[0]["replacement_job"]["status"] == "succeeded"
    assert not Job.objects.filter(scheduled_job_id=series_id).exists()


def test_a_run_withdrawn_by_a_pause_is_never_executed_by_the_worker(
    api, workspace, user, celery_worker
):
    start = timezone.now() + timedelta(seconds=4)
    schedule = services.schedule_create(
        workspace=workspace,
        created_by=user,
        name="Paused in flight",
        schedule_type="daily",
        scheduled_at=start,
        job_config={"executor": "noop"},
    )
    dispatcher.dispatch_due(lookahead=timedelta(seconds=5))  # on its way, ETA in 4 s
    services.schedule_pause(schedule=schedule, actor=user, note="Hold everything")
    # Dispatched early for a time still ahead, then withdrawn: the row is gone, so the
    # message the worker gets finds nothing to run.
    assert not Job.objects.filter(scheduled_job=schedule).exists()
    wait_until(lambda: timezone.now() > start + timedelta(seconds=3), timeout=15)
    assert not Job.objects.filter(scheduled_job=schedule, status="succeeded").exists()
    body = api.get(
        f"/api/v1/schedule/{schedule.pk}/occurrences",
        {"from": (start - timedelta(minutes=1)).isoformat()},
    ).json()
    first = body["occurrences"][0]
    assert first["fate"] == "withdrawn" and "Hold everything" in first["reason"]
