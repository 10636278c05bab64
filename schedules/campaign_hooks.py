"""Receivers: a campaign's lifecycle acts on its schedules.

campaigns sits below schedules, so it announces transitions through
``campaigns.signals`` and this module does the schedules' side with the
schedules services (pauses are campaign pauses, so resuming the campaign
resumes them; every change is an audit event saying why). Receivers run inside
the transition's transaction. Connected from ``SchedulesConfig.ready``.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from campaigns import signals


def _services():
    # Imported on first use: services pull in the jobs app's services.
    from schedules import services

    return services


def pause_campaign_schedules(*, campaign, note: str, actor=None) -> int:
    """Pause the campaign's active schedules as a campaign pause (resuming it resumes them)."""
    from schedules.models import ScheduledJob

    services = _services()
    active = ScheduledJob.objects.filter(campaign=campaign, status=ScheduledJob.Status.ACTIVE)
    count = 0
    for schedule in active.order_by("pk"):
        services.schedule_pause(schedule=schedule, actor=actor, note=note, by_campaign=True)
        count += 1
    return count


def resume_campaign_schedules(*, campaign, note: str, actor=None) -> int:
    """Resume the schedules a campaign pause held (never ones paused on their own)."""
    from schedules.models import ScheduledJob

    services = _services()
    held = ScheduledJob.objects.filter(
        campaign=campaign, status=ScheduledJob.Status.PAUSED, paused_by_campaign=True
    )
    count = 0
    for schedule in held.order_by("pk"):
        services.schedule_resume(schedule=schedule, actor=actor, note=note)
        count += 1
    return count


@receiver(signals.campaign_schedules_held, dispatch_uid="schedules.hold_for_campaign_start")
def hold_schedules(sender, campaign, note: str, actor=None, **kwargs) -> None:
    pause_campaign_schedules(campaign=campaign, actor=actor, note=note)


@receiver(signals.campaign_archived, dispatch_uid="schedules.pause_for_archived_campaign")
def pause_schedules_of_archived_campaign(sender, campaign, note: str, actor=None, **kwargs) -> None:
    pause_campaign_schedules(campaign=campaign, actor=actor, note=note)


@receiver(signals.campaign_budget_reached, dispatch_uid="schedules.pause_for_budget")
def pause_schedules_over_budget(sender, campaign, note: str, actor=None, **kwargs) -> None:
    pause_campaign_schedules(campaign=campaign, actor=actor, note=note)


@receiver(signals.campaign_started, dispatch_uid="schedules.resume_for_campaign_start")
def resume_held_schedules(sender, campaign, note: str, actor=None, **kwargs) -> None:
    resume_campaign_schedules(campaign=campaign, actor=actor, note=note)


@receiver(signals.campaign_ended, dispatch_uid="schedules.expire_for_campaign_end")
def expire_schedules_of_ended_campaign(sender, campaign, note: str, actor=None, **kwargs) -> int:
    return campaign_expire_schedules(campaign=campaign, note=note, actor=actor)


@transaction.atomic
def campaign_expire_schedules(*, campaign, note: str, actor=None) -> int:
    """Expire the campaign's live (active or paused) schedules, each with an event.

    Runs already due when the campaign ends still run: the end is not a withdrawal.
    """
    from django.utils import timezone

    from schedules.models import ScheduledJob

    services = _services()
    now = timezone.now()
    live = (
        ScheduledJob.objects.select_for_update(of=("self",))
        .filter(
            campaign=campaign,
            status__in=[ScheduledJob.Status.ACTIVE, ScheduledJob.Status.PAUSED],
        )
        .order_by("pk")
    )
    count = 0
    for schedule in live:
        services.schedule_expire(schedule=schedule, note=note, actor=actor, now=now)
        count += 1
    return count
