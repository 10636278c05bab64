from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.models import Campaign
from workspaces.models import Workspace

ARCHIVED_READ_ONLY = "archived campaigns are read-only; unarchive the campaign first."


def refuse_archived_campaigns(*, campaign_ids: Iterable, field: str = "campaign") -> None:
    """Refuse a write to something that belongs (or would belong) to an archived campaign.

    Reads the status from the database, not from an instance a caller may
    have loaded before the campaign was archived.
    """
    ids = {pk for pk in campaign_ids if pk}
    if ids and Campaign.objects.filter(pk__in=ids, status=Campaign.Status.ARCHIVED).exists():
        raise ValidationError({field: ARCHIVED_READ_ONLY})


def refuse_archived_campaign_edit(instance) -> None:
    """For a row with a ``campaign`` about to be saved: neither the campaign it
    belongs to (as stored) nor the one it is moved to may be archived."""
    stored = (
        type(instance)._default_manager.filter(pk=instance.pk).values_list("campaign_id", flat=True)
    )
    refuse_archived_campaigns(campaign_ids=[*stored, instance.campaign_id])


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
