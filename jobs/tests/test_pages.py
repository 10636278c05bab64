from __future__ import annotations

import pytest

from jobs.models import Job
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_job_list_filters_by_status(page_client, workspace):
    JobFactory(workspace=workspace, name="Went well", status="succeeded")
    JobFactory(workspace=workspace, name="Broke", status="failed")
    body = page_client.get("/jobs/?status=failed").content.decode()
    assert "Broke" in body and "Went well" not in body
    fragment = page_client.get("/jobs/?status=bogus", HTTP_HX_TARGET="job-rows", **HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()


def test_job_detail_shows_attempts_and_offers_the_right_action(page_client, workspace):
    failed = JobFactory(workspace=workspace, name="Broke", status="failed")
    body = page_client.get(f"/jobs/{failed.pk}/").content.decode()
    assert "Attempts" in body and "Retry" in body and "Cancel job" not in body


def test_cancel_answers_htmx_with_the_summary_and_a_toast(page_client, workspace):
    job = JobFactory(workspace=workspace, status="queued")
    response = page_client.post(f"/jobs/{job.pk}/cancel/", **HX)
    assert response.status_code == 200
    assert f'id="job-{job.pk}"' in response.content.decode()
    assert "Job cancelled." in response["HX-Trigger"]
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED


def test_refused_actions_explain_why(page_client, workspace):
    job = JobFactory(workspace=workspace, status="succeeded")
    response = page_client.post(f"/jobs/{job.pk}/cancel/", **HX)
    assert '"level": "error"' in response["HX-Trigger"]
    assert "Only pending or queued jobs can be cancelled" in response["HX-Trigger"]


def test_strangers_jobs_are_not_found_and_viewers_cannot_cancel(
    page_client, viewer_client, workspace, other_workspace
):
    stranger = JobFactory(workspace=other_workspace)
    assert page_client.get(f"/jobs/{stranger.pk}/").status_code == 404
    mine = JobFactory(workspace=workspace, status="queued")
    assert viewer_client.post(f"/jobs/{mine.pk}/cancel/").status_code == 403
