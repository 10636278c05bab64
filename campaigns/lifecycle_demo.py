"""Demo rows for the campaign lifecycle: a scheduled, a recurring and an archived campaign."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campaigns import lifecycle, services
from campaigns.models import Campaign
from scheduler_site.demo import attempt, demo_id, demo_row


def _fresh(workspace, key: str, name: str, **fields) -> Campaign | None:
    """A new demo campaign, or None if the demo already has it (seeding runs again).

    Known by its demo key (scheduler_site/demo.py), whatever it is called now.
    """
    if demo_row(Campaign, workspace=workspace, key=f"campaign:{key}") is not None:
        return None
    return services.campaign_create(
        id=demo_id(workspace, f"campaign:{key}"), workspace=workspace, name=name, **fields
    )


def seed(*, workspace, user) -> None:
    # Each campaign in a savepoint of its own: one refused leaves the others.
    for step in (_launch, _newsletter, _retired):
        attempt(f"lifecycle campaign {step.__name__[1:]}", lambda step=step: step(workspace, user))


def _launch(workspace, user) -> None:
    launch = _fresh(
        workspace,
        "holiday-launch",
        "Holiday launch",
        created_by=user,
        description="Starts by itself next week at 09:00 local time.",
        color="#8E24AA",
        timezone=workspace.timezone or "UTC",
    )
    if launch is not None:
        now = timezone.now()
        start = (now + timedelta(days=7)).replace(hour=14, minute=0, second=0, microsecond=0)
        lifecycle.campaign_schedule(campaign=launch, scheduled_at=start, actor=user)


def _newsletter(workspace, user) -> None:
    tz = workspace.timezone or "UTC"
    newsletter = _fresh(
        workspace,
        "newsletter",
        "Newsletter",
        created_by=user,
        description="Recurring: a child campaign every month, named after its month.",
        color="#00897B",
        timezone=tz,
    )
    if newsletter is not None:
        lifecycle.campaign_schedule(
            campaign=newsletter,
            scheduled_at=timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=3),
            timezone_name=tz,
            recurrence_type=Campaign.RecurrenceType.MONTHLY,
            recurrence_count=12,
            actor=user,
        )


def _retired(workspace, user) -> None:
    retired = _fresh(
        workspace,
        "2025-retrospective",
        "2025 retrospective",
        created_by=user,
        description="Archived example.",
    )
    if retired is not None:
        lifecycle.campaign_archive(campaign=retired, actor=user)
