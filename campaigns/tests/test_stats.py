"""GET /campaigns/{id}/stats: progress towards the campaign's targets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from campaigns.tests.factories import CampaignFactory
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 11, 10, 12, 0, tzinfo=UTC)


def stats(api, campaign):
    response = api.get(f"/api/v1/campaigns/{campaign.pk}/stats")
    assert response.status_code == 200
    return response.json()


def test_stats_of_a_new_campaign_count_templates_and_days_left(api, workspace):
    campaign = CampaignFactory(
        workspace=workspace,
        target_job_count=50,
        start_date=datetime(2025, 11, 1, tzinfo=UTC),
        end_date=datetime(2025, 12, 10, 12, 0, tzinfo=UTC),
    )
    JobTemplateFactory(workspace=workspace, campaign=campaign)
    JobTemplateFactory(workspace=workspace, campaign=campaign)
    JobTemplateFactory(workspace=workspace)

    with time_machine.travel(NOW, tick=False):
        body = stats(api, campaign)

    assert body["campaign_id"] == str(campaign.pk)
    assert body["total_templates"] == 2
    assert body["total_jobs"] == 0
    assert body["total_scheduled_jobs"] == 0
    assert body["job_count_progress"] == 0.0
    assert body["days_remaining"] == 30
    assert body["status_distribution"] == {}


def test_progress_is_null_without_a_target_and_days_null_without_an_end(api, workspace):
    campaign = CampaignFactory(workspace=workspace)

    body = stats(api, campaign)

    assert body["job_count_progress"] is None
    assert body["days_remaining"] is None


def test_days_remaining_is_never_negative_after_the_end(api, workspace):
    campaign = CampaignFactory(
        workspace=workspace,
        start_date=datetime(2025, 1, 1, tzinfo=UTC),
        end_date=datetime(2025, 3, 31, 23, 59, 59, tzinfo=UTC),
    )

    with time_machine.travel(NOW, tick=False):
        assert stats(api, campaign)["days_remaining"] == 0


def test_jobs_of_the_campaign_light_up_totals_progress_and_distribution(api, workspace):
    from jobs.models import Job

    campaign = CampaignFactory(workspace=workspace, target_job_count=4)
    for status in ["succeeded", "succeeded", "pending"]:
        Job.objects.create(workspace=workspace, campaign=campaign, name="run", status=status)
    Job.objects.create(workspace=workspace, name="unrelated", status="failed")

    body = stats(api, campaign)

    assert body["total_jobs"] == 3
    assert body["job_count_progress"] == 0.75
    assert body["status_distribution"] == {"succeeded": 2, "pending": 1}
