"""/api/v1/templates/{id}/use and /api/v1/jobs as an integrator sees them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.tests.factories import CampaignFactory
from jobs.models import Job, JobAttempt
from jobs.tests.factories import JobFactory
from templates_lib.models import JobTemplate
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db


def use_url(template) -> str:
    return f"/api/v1/templates/{template.pk}/use"


@pytest.fixture
def template(workspace):
    campaign = CampaignFactory(workspace=workspace, name="Forbes Q1")
    return JobTemplateFactory(
        workspace=workspace,
        campaign=campaign,
        name="Forbes Standard",
        country="us",
        language="en",
        llm_model="claude-3-5-sonnet",
        metadata={"tone": "professional", "audience": "execs"},
    )


def test_use_creates_a_job_with_the_template_config_and_my_overrides(api, template):
    response = api.post(
        use_url(template),
        {"country": "uk", "language": "en-GB", "metadata": {"tone": "casual"}},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Forbes Standard"
    assert body["trigger"] == "template_use"
    assert body["status"] == "pending"
    assert body["template_id"] == str(template.pk)
    assert body["campaign_id"] == str(template.campaign_id)
    assert body["campaign_name"] == "Forbes Q1"
    assert body["config"]["country"] == "uk"
    assert body["config"]["language"] == "en-GB"
    assert body["config"]["llm_model"] == "claude-3-5-sonnet"
    assert body["config"]["metadata"] == {"tone": "casual", "audience": "execs"}
    assert body["attempt_log"] == []
    assert Job.objects.filter(pk=body["id"], workspace=template.workspace).exists()


def test_use_counts_the_use_and_records_when(api, template):
    api.post(use_url(template), {}, format="json")
    api.post(use_url(template), {}, format="json")

    template.refresh_from_db()
    assert template.use_count == 2
    assert template.last_used_at is not None


def test_use_takes_execution_keys(api, template):
    response = api.post(
        use_url(template),
        {"executor": "webhook", "webhook_url": "https://hooks.example.com/in", "max_retries": 5},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["config"]["executor"] == "webhook"
    assert body["config"]["webhook_url"] == "https://hooks.example.com/in"
    assert body["max_retries"] == 5


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"country": "zz"}, "country"),
        ({"language": "english please"}, "language"),
        ({"publisher_domain": "not a host"}, "publisher_domain"),
        ({"llm_provider": "skynet"}, "llm_provider"),
        ({"writing_strategy": "loud"}, "writing_strategy"),
        ({"max_retries": 11}, "max_retries"),
        ({"batch_size": 0}, "batch_size"),
        ({"metadata": ["not", "an", "object"]}, "metadata"),
        ({"metadata": {"blob": "x" * 20000}}, "metadata"),
        ({"executor": "carrier-pigeon"}, "executor"),
        ({"webhook_url": "ftp://example.com/x"}, "webhook_url"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_overrides_are_a_400_naming_the_field_and_nothing_is_written(
    api, template, overrides, field
):
    response = api.post(use_url(template), overrides, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Job.objects.count() == 0
    template.refresh_from_db()
    assert template.use_count == 0


def test_another_workspaces_template_is_not_found(api, other_workspace):
    theirs = JobTemplateFactory(workspace=other_workspace)

    response = api.post(use_url(theirs), {}, format="json")

    assert response.status_code == 404
    assert Job.objects.count() == 0


def test_a_viewer_cannot_use_a_template(viewer_api, template):
    response = viewer_api.post(use_url(template), {}, format="json")

    assert response.status_code == 403
    assert Job.objects.count() == 0


def test_the_job_list_shows_only_my_workspaces_jobs_newest_first(api, workspace, other_workspace):
    older = JobFactory(workspace=workspace, name="older")
    newer = JobFactory(workspace=workspace, name="newer")
    JobFactory(workspace=other_workspace, name="theirs")

    response = api.get("/api/v1/jobs")

    assert response.status_code == 200
    names = [row["name"] for row in response.json()["results"]]
    assert names == ["newer", "older"]
    assert str(older.pk) != str(newer.pk)


def test_the_job_list_filters_by_status_trigger_campaign_and_template(api, workspace, template):
    failed = JobFactory(workspace=workspace, status="failed", campaign=template.campaign)
    JobFactory(workspace=workspace, status="succeeded")
    used = JobFactory(workspace=workspace, template=template, trigger="template_use")

    def names(query):
        return {row["id"] for row in api.get(f"/api/v1/jobs?{query}").json()["results"]}

    assert names("status=failed") == {str(failed.pk)}
    assert names("status=failed&status=pending") == {str(failed.pk), str(used.pk)}
    assert names("trigger=template_use") == {str(used.pk)}
    assert names(f"campaign={template.campaign_id}") == {str(failed.pk)}
    assert names(f"template={template.pk}") == {str(used.pk)}


def test_the_job_list_filters_by_created_and_scheduled_ranges(api, workspace):
    now = timezone.now()
    soon = JobFactory(workspace=workspace, scheduled_for=now + timedelta(hours=1))
    later = JobFactory(workspace=workspace, scheduled_for=now + timedelta(days=3))
    Job.objects.filter(pk=later.pk).update(created_at=now - timedelta(days=2))

    def ids(query):
        response = api.get("/api/v1/jobs", query)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    day = (now + timedelta(days=1)).isoformat()
    assert ids({"scheduled_before": day}) == {str(soon.pk)}
    assert ids({"scheduled_after": day}) == {str(later.pk)}
    assert ids({"created_before": (now - timedelta(days=1)).isoformat()}) == {str(later.pk)}
    assert ids({"created_after": (now - timedelta(days=1)).isoformat()}) == {str(soon.pk)}


def test_a_range_filter_with_an_offset_postgresql_cannot_store_is_read_in_utc(api, workspace):
    # +21:24 is a valid offset for Python, not for PostgreSQL (a DataError, a 500).
    soon = JobFactory(workspace=workspace, scheduled_for=timezone.now() + timedelta(hours=1))

    response = api.get("/api/v1/jobs", {"scheduled_after": "2000-10-21T20:44:47.22+21:24"})
    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == [str(soon.pk)]

    response = api.get("/api/v1/jobs", {"created_before": "0001-01-01T00:00+05:00"})
    assert response.status_code == 400
    assert "created_before" in response.json()


def test_the_job_list_orders_and_paginates(api, workspace):
    for n in range(3):
        JobFactory(workspace=workspace, name=f"job {n}")

    response = api.get("/api/v1/jobs?ordering=name&page_size=2")

    body = response.json()
    assert body["count"] == 3
    assert [row["name"] for row in body["results"]] == ["job 0", "job 1"]
    assert body["next"]


def test_a_bad_filter_value_is_a_400(api):
    response = api.get("/api/v1/jobs?status=exploded")

    assert response.status_code == 400
    assert "status" in response.json()


def test_job_detail_lists_its_attempts_in_order(api, workspace):
    job = JobFactory(workspace=workspace, status="failed")
    now = timezone.now()
    for number, outcome in ((2, "failed"), (1, "retrying")):
        JobAttempt.objects.create(
            job=job, number=number, started_at=now, outcome=outcome, http_status=500, error="boom"
        )

    body = api.get(f"/api/v1/jobs/{job.pk}").json()

    assert [(a["number"], a["outcome"]) for a in body["attempt_log"]] == [
        (1, "retrying"),
        (2, "failed"),
    ]


def test_another_workspaces_job_is_not_found(api, other_workspace):
    theirs = JobFactory(workspace=other_workspace)

    assert api.get(f"/api/v1/jobs/{theirs.pk}").status_code == 404
    assert api.post(f"/api/v1/jobs/{theirs.pk}/cancel").status_code == 404


def test_cancel_stops_a_pending_job(api, workspace):
    job = JobFactory(workspace=workspace)

    response = api.post(f"/api/v1/jobs/{job.pk}/cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


@pytest.mark.parametrize("status", ["running", "succeeded", "failed", "cancelled"])
def test_cancel_refuses_a_job_past_the_queue_with_a_400(api, workspace, status):
    job = JobFactory(workspace=workspace, status=status)

    response = api.post(f"/api/v1/jobs/{job.pk}/cancel")

    assert response.status_code == 400
    assert "status" in response.json()
    job.refresh_from_db()
    assert job.status == status


def test_retry_puts_a_failed_job_back_in_line(api, workspace):
    job = JobFactory(workspace=workspace, status="failed")

    response = api.post(f"/api/v1/jobs/{job.pk}/retry")

    assert response.status_code == 200
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize("status", ["pending", "running", "succeeded"])
def test_retry_refuses_anything_but_a_failed_job(api, workspace, status):
    job = JobFactory(workspace=workspace, status=status)

    assert api.post(f"/api/v1/jobs/{job.pk}/retry").status_code == 400


def test_a_viewer_can_read_jobs_but_not_cancel_them(viewer_api, workspace):
    job = JobFactory(workspace=workspace)

    assert viewer_api.get(f"/api/v1/jobs/{job.pk}").status_code == 200
    assert viewer_api.post(f"/api/v1/jobs/{job.pk}/cancel").status_code == 403


def test_campaign_stats_count_jobs_and_their_cost(api, workspace):
    campaign = CampaignFactory(workspace=workspace, target_budget_usd="10.00", target_job_count=4)
    for status, cost in (("succeeded", "1.25"), ("succeeded", "2.50"), ("failed", None)):
        job = JobFactory(workspace=workspace, campaign=campaign, status=status)
        Job.objects.filter(pk=job.pk).update(cost_usd=cost)

    stats = api.get(f"/api/v1/campaigns/{campaign.pk}/stats").json()

    assert stats["total_jobs"] == 3
    assert stats["status_distribution"] == {"succeeded": 2, "failed": 1}
    assert stats["spent_usd"] == "3.75"
    assert stats["budget_progress"] == 0.375
    assert stats["job_count_progress"] == 0.75


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_uses_count_two(requires_postgres, user, workspace):
    template = JobTemplateFactory(workspace=workspace)

    def use(_):
        client = APIClient()
        client.force_authenticate(user)
        try:
            return client.post(use_url(template), {}, format="json").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(use, range(8)))

    assert codes == [201] * 8
    assert JobTemplate.objects.get(pk=template.pk).use_count == 8
    assert Job.objects.filter(template=template).count() == 8
