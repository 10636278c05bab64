from __future__ import annotations

from django.db import transaction

from campaigns.models import Campaign
from workspaces.models import Workspace


def campaign_create(*, workspace: Workspace, created_by=None, **fields) -> Campaign:
    campaign = Campaign(workspace=workspace, created_by=created_by, **fields)
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, **fields) -> Campaign:
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign with its templates and schedules; job history stays.

    Jobs keep the campaign's name; their reference is cleared by SET_NULL.
    """
    jobs = getattr(campaign, "jobs", None)
    if jobs is not None:
        jobs.filter(campaign_name="").update(campaign_name=campaign.name)
    campaign.delete()
