"""Builders for the lifecycle tests: campaigns with templates, schedules and costed jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from jobs import services as job_services
from jobs.models import Job
from schedules.models import ScheduledJob
from schedules.tests.factories import ScheduledJobFactory
from templates_lib.tests.factories import JobTemplateFactory


def campaign_with_parts(*, workspace, now: datetime, **fields) -> Campaign:
    """A campaign with one template and one daily 09:00 schedule running it."""
    campaign = CampaignFactory(workspace=workspace, **fields)
    template = JobTemplateFactory(workspace=workspace, campaign=campaign, name="Weekly post")
    ScheduledJobFactory(
        workspace=workspace,
        campaign=campaign,
        template=template,
        name="Daily post",
        scheduled_at=now + timedelta(hours=1),
        now=now,
    )
    return campaign


def schedule_for(campaign: Campaign, *, now: datetime, **fields) -> ScheduledJob:
    fields.setdefault("scheduled_at", now + timedelta(hours=1))
    return ScheduledJobFactory(workspace=campaign.workspace, campaign=campaign, now=now, **fields)


def run_costed_job(campaign: Campaign, *, cost_usd: str) -> Job:
    """A job of the campaign executed for real by the noop executor, reporting its cost."""
    job = job_services.job_create(
        workspace=campaign.workspace,
        campaign=campaign,
        name=f"{campaign.name} run",
        config={"executor": "noop", "noop_cost_usd": cost_usd},
        trigger=Job.Trigger.MANUAL,
        enqueue=False,
    )
    outcome = job_services.job_run(job_id=job.pk, worker_id="tests:1:1")
    assert outcome == "succeeded"
    job.refresh_from_db()
    assert job.cost_usd == Decimal(cost_usd)
    return job
