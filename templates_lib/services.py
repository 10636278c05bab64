from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, Value, When
from django.db.models.deletion import RestrictedError

from campaigns.services import refuse_archived_campaign_edit, refuse_archived_campaigns
from templates_lib.models import JobTemplate
from workspaces.models import Workspace


def template_create(*, workspace: Workspace, created_by=None, **fields) -> JobTemplate:
    template = JobTemplate(workspace=workspace, created_by=created_by, **fields)
    refuse_archived_campaigns(campaign_ids=[template.campaign_id])
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def template_update(*, template: JobTemplate, **fields) -> JobTemplate:
    """Edit a template; neither the campaign it leaves nor the one it joins may be archived."""
    for name, value in fields.items():
        setattr(template, name, value)
    refuse_archived_campaign_edit(template)
    template.full_clean()
    template.save()
    return template


def template_toggle_favorite(*, template: JobTemplate) -> JobTemplate:
    # One UPDATE flips it in the database, so two quick clicks never race.
    JobTemplate.objects.filter(pk=template.pk).update(
        is_favorite=Case(
            When(is_favorite=True, then=Value(False)),
            default=Value(True),
            output_field=BooleanField(),
        )
    )
    template.refresh_from_db(fields=["is_favorite", "updated_at"])
    return template


def template_delete(*, template: JobTemplate) -> None:
    try:
        template.delete()
    except RestrictedError:
        raise ValidationError(
            "This template is used by scheduled jobs; delete or change those schedules first."
        ) from None
