from __future__ import annotations

import pytest
from django.utils import timezone

from jobs.models import Job, JobAttempt
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_client):
    return admin_client


def test_staff_see_jobs_filtered_by_status_and_a_job_with_its_attempts(staff, workspace):
    job = JobFactory(workspace=workspace, name="Forbes article", status="failed")
    JobAttempt.objects.create(
        job=job,
        number=1,
        started_at=timezone.now(),
        outcome="failed",
        http_status=404,
        error="HTTP 404: gone",
    )
    JobFactory(workspace=workspace, name="Other job", status="succeeded")

    listing = staff.get("/admin/jobs/job/?status__exact=failed")
    detail = staff.get(f"/admin/jobs/job/{job.pk}/change/")

    assert listing.status_code == 200
    assert "Forbes article" in listing.text and "Other job" not in listing.text
    assert detail.status_code == 200
    assert "HTTP 404: gone" in detail.text


def test_the_retry_and_cancel_actions_move_only_jobs_that_may_move(staff, workspace):
    failed = JobFactory(workspace=workspace, status="failed")
    pending = JobFactory(workspace=workspace)
    done = JobFactory(workspace=workspace, status="succeeded")

    staff.post(
        "/admin/jobs/job/",
        {"action": "retry_jobs", "_selected_action": [failed.pk, done.pk]},
    )
    response = staff.post(
        "/admin/jobs/job/",
        {"action": "cancel_jobs", "_selected_action": [pending.pk, done.pk]},
        follow=True,
    )

    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses == {failed.pk: "pending", pending.pk: "cancelled", done.pk: "succeeded"}
    assert "1 job(s) skipped" in response.text
