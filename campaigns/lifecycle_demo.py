"""Demo rows for the campaign lifecycle: a scheduled, a recurring and an archived campaign."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campaigns import lifecycle, services
from campaigns.models import Campaign


def _fresh(workspace, name: str, **fields) -> Campaign | None:
    """A new demo campaign, or None if the demo already has it (seeding runs again)."""
    if Campaign.objects.filter(workspace=workspace, name=name).exists():
        return None
    return services.campaign_create(workspace=workspace, name=name, **fields)


def seed(*, workspace, user) -> None:
    now = timezone.now()
    tz = workspace.timezone or "UTC"
    launch = _fresh(
        workspace,
        "Holiday launch",
        created_by=user,
        description="Starts by itself next week at 09:00 local time.",
        color="#8E24AA",
        timezone=tz,
    )
    if launch is not None:
        start = (now + timedelta(days=7)).replace(hour=14, minute=0, second=0, microsecond=0)
        lifecycle.campaign_schedule(campaign=launch, scheduled_at=start, actor=user)
    newsletter = _fresh(
        workspace,
        "Newsletter",
        created_by=user,
        description="Recurring: a child campaign every month, named after its month.",
        color="#00897B",
        timezone=tz,
    )
    if newsletter is not None:
        lifecycle.campaign_schedule(
            campaign=newsletter,
            scheduled_at=now.replace(second=0, microsecond=0) + timedelta(minutes=3),
            timezone_name=tz,
            recurrence_type=Campaign.RecurrenceType.MONTHLY,
            recurrence_count=12,
            actor=user,
        )
    retired = _fresh(
        workspace, "2025 retrospective", created_by=user, description="Archived example."
    )
    if retired is not None:
        lifecycle.campaign_archive(campaign=retired, actor=user)
