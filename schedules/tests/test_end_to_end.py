"""The whole path with a real Celery worker: API -> dispatcher -> broker -> worker -> /runs."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from jobs.models import Job
from jobs.services import enqueue_after_commit
from scheduler_site.testing import wait_until
from schedules import dispatcher

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_schedule_due_now_runs_on_a_real_worker_and_shows_in_its_runs(api, celery_worker):
    start = timezone.now() + timedelta(seconds=2)
    response = api.post(
        "/api/v1/schedule",
        {
            "name": "Daily noop",
            "schedule_type": "daily",
            "scheduled_at": start.isoformat(),
            "job_config": {"executor": "noop"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    schedule_id = response.json()["id"]

    # One tick, claiming what is due within the lookahead: sent with an ETA of its time.
    report = dispatcher.dispatch_due(lookahead=timedelta(seconds=3))
    assert report.jobs_created == 1

    job = wait_until(
        lambda: Job.objects.filter(scheduled_job_id=schedule_id, status="succeeded").first(),
        timeout=60,
        message=f"the run did not succeed; worker log:\n{celery_worker.log_tail()}",
    )
    assert job.started_at >= job.scheduled_for - timedelta(seconds=1)
    [run] = api.get(f"/api/v1/schedule/{schedule_id}/runs").json()["results"]
    assert (run["id"], run["status"], run["trigger"]) == (str(job.pk), "succeeded", "scheduled")
    body = api.get(f"/api/v1/schedule/{schedule_id}").json()
    assert body["run_count"] == 1
    assert body["next_run_at"] == (job.scheduled_for + timedelta(days=1)).isoformat().replace(
        "+00:00", "Z"
    )


def test_a_run_dispatched_before_a_pause_is_cancelled_by_the_worker(api, celery_worker):
    start = timezone.now() - timedelta(seconds=1)
    schedule_id = api.post(
        "/api/v1/schedule",
        {
            "name": "Paused right after dispatch",
            "schedule_type": "daily",
            "scheduled_at": start.isoformat(),
            "job_config": {"executor": "noop"},
        },
        format="json",
    ).json()["id"]
    # The broker is unreachable at dispatch (the edge of the world, so a mock):
    # the run is recorded and left in the outbox. The schedule is paused, then
    # the run reaches the worker, as the sweeper would send it.
    with mock.patch("jobs.services.publish", return_value=[]):
        dispatcher.dispatch_due(lookahead=timedelta(0))
    job = Job.objects.get(scheduled_job_id=schedule_id)
    assert api.post(f"/api/v1/schedule/{schedule_id}/pause").status_code == 200
    enqueue_after_commit([job])

    job = wait_until(
        lambda: Job.objects.filter(pk=job.pk, status="cancelled").first(),
        timeout=60,
        message=f"the run was not cancelled; worker log:\n{celery_worker.log_tail()}",
    )
    assert "paused" in job.last_error


@pytest.mark.parametrize(
    "shape",
    [
        {"schedule_type": "once"},
        {"schedule_type": "daily", "max_runs": 1},
    ],
    ids=["once", "daily-max-runs-1"],
)
def test_the_last_run_of_a_series_runs_although_dispatching_it_completes_the_series(
    api, celery_worker, shape
):
    start = timezone.now() + timedelta(seconds=2)
    response = api.post(
        "/api/v1/schedule",
        {
            "name": "Last run",
            "scheduled_at": start.isoformat(),
            "job_config": {"executor": "noop"},
            **shape,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    schedule_id = response.json()["id"]
    assert dispatcher.dispatch_due(lookahead=timedelta(seconds=3)).jobs_created == 1
    # Handing out its only run ends the series at once...
    assert api.get(f"/api/v1/schedule/{schedule_id}").json()["status"] == "completed"

    # ...and that run still runs.
    job = wait_until(
        lambda: (
            Job.objects.filter(scheduled_job_id=schedule_id)
            .exclude(status__in=["pending", "queued", "running"])
            .first()
        ),
        timeout=60,
        message=f"the run never finished; worker log:\n{celery_worker.log_tail()}",
    )
    assert (job.status, job.last_error) == ("succeeded", "")
    body = api.get(f"/api/v1/schedule/{schedule_id}").json()
    assert (body["status"], body["run_count"]) == ("completed", 1)
