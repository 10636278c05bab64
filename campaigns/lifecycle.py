"""Campaign lifecycle: scheduled start, recurring occurrences, automatic end,
budget guard, duplicate and archive.

Every timed transition happens in ``campaign_lifecycle_run``, called by one
django-celery-beat periodic task. Each transition claims its campaign row
(``SELECT ... FOR UPDATE SKIP LOCKED``), re-checks that it is still due and
acts, so any number of overlapping runs do each thing once; a recurring
campaign's child is also unique per (parent, occurrence) in the database.

Campaigns sit below templates, jobs and schedules: this module reaches them
through reverse relations (``campaign.templates``, ``campaign.scheduled_jobs``,
``campaign.jobs``) and tells the schedules app what happened through
``campaigns.signals``. Recurrence comes from the pure ``schedules.recurrence``.

Time: dates of a recurring child are shifted by the period on wall-clock time
in the campaign's timezone (a 09:00 start stays 09:00 local across DST and
month lengths), then converted to UTC.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from campaigns import signals
from campaigns.models import Campaign
from campaigns.selectors import campaign_spent_usd
from campaigns.services import ARCHIVED_READ_ONLY
from schedules import recurrence

logger = logging.getLogger(__name__)

ONE_TICK = timedelta(microseconds=1)
# Campaign fields only the lifecycle writes: read-only in the API and admin.
LIFECYCLE_FIELDS = (
    "scheduled_at",
    "timezone",
    "is_recurring",
    "recurrence_type",
    "recurrence_pattern",
    "recurrence_end_date",
    "recurrence_count",
    "next_run_at",
    "started_at",
    "parent_campaign",
    "occurrence_at",
    "archived_at",
    "previous_status",
    "budget_reached_at",
)
READ_ONLY_MESSAGE = ARCHIVED_READ_ONLY
# Campaigns handled per transition kind in one lifecycle run; the rest wait
# for the next run (a few seconds later), so one run never holds on for long.
BATCH_SIZE = 500
# Walking a series to its latest due occurrence stops here (a per-minute cron
# after a week of downtime), then jumps straight to the next future one.
MAX_DUE_STEPS = 10_000
# RecurrenceError names the schedule's field; the campaign's is spelled differently.
RECURRENCE_FIELD_NAMES = {
    "schedule_type": "recurrence_type",
    "pattern": "recurrence_pattern",
    "recurrence_pattern": "recurrence_pattern",
    "end": "recurrence_end_date",
    "recurrence_end_date": "recurrence_end_date",
    "max_runs": "recurrence_count",
    "start": "scheduled_at",
    "scheduled_at": "scheduled_at",
    "timezone": "timezone",
}

Status = Campaign.Status


@dataclass
class LifecycleReport:
    started: int = 0
    occurrences_created: int = 0
    occurrences_skipped: int = 0
    ended: int = 0
    budget_reached: int = 0
    budget_released: int = 0
    held: int = 0


# --- time helpers ---------------------------------------------------------------


def _naive_local(value: datetime, tz: ZoneInfo) -> datetime:
    return value.astimezone(tz).replace(tzinfo=None)


def _from_local(local: datetime, tz: ZoneInfo) -> datetime:
    # fold=0: a repeated wall time is its first pass; a wall time inside a
    # spring-forward gap resolves with the offset before the gap, i.e. it
    # moves forward by the gap (02:30 becomes 03:30), never dropped.
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def shift_wall_clock(value: datetime | None, shift: relativedelta, tz: ZoneInfo) -> datetime | None:
    """``value`` moved by ``shift`` on the wall clock of ``tz`` (None stays None)."""
    if value is None:
        return None
    return _from_local(_naive_local(value, tz) + shift, tz)


def period_shift(anchor: datetime, occurrence: datetime, tz: ZoneInfo) -> relativedelta:
    """The wall-clock distance from the first occurrence to this one (months stay months)."""
    return relativedelta(_naive_local(occurrence, tz), _naive_local(anchor, tz))


# --- recurrence -----------------------------------------------------------------


def campaign_recurrence(campaign: Campaign) -> recurrence.Recurrence:
    """The series of occurrences of a recurring campaign (its count included)."""
    try:
        return recurrence.build(
            campaign.recurrence_type,
            campaign.scheduled_at,
            campaign.timezone,
            pattern=campaign.recurrence_pattern or "",
            end=campaign.recurrence_end_date,
            max_runs=campaign.recurrence_count,
        )
    except recurrence.RecurrenceError as error:
        field = RECURRENCE_FIELD_NAMES.get(error.field or "", "recurrence_pattern")
        raise ValidationError({field: error.message}) from None


def _first_occurrence(rec: recurrence.Recurrence) -> datetime | None:
    return recurrence.next_run(rec)


def _due_occurrences(
    rec: recurrence.Recurrence, first_due: datetime, now: datetime
) -> tuple[list[datetime], datetime | None]:
    """Occurrences from ``first_due`` up to ``now``, and the first one after ``now``."""
    due: list[datetime] = []
    current: datetime | None = first_due
    while current is not None and current <= now and len(due) < MAX_DUE_STEPS:
        due.append(current)
        current = recurrence.next_run(rec, after=current)
    if current is not None and current <= now:
        current = recurrence.next_run(rec, after=now)
    return due, current


def _period_format(rec: recurrence.Recurrence) -> str:
    """How finely a child's name names its period: month, day, or minute."""
    first = recurrence.next_run(rec)
    first_two = recurrence.next_runs(rec, first - ONE_TICK, 2) if first else []
    if len(first_two) < 2:
        return "%Y-%m-%d"
    gap = first_two[1] - first_two[0]
    if gap >= timedelta(days=28):
        return "%Y-%m"
    if gap >= timedelta(days=1):
        return "%Y-%m-%d"
    return "%Y-%m-%d %H:%M"


def occurrence_name(parent: Campaign, occurrence_at: datetime, rec: recurrence.Recurrence) -> str:
    """ "Newsletter - 2026-12": the parent's name and the period, in the campaign's zone."""
    label = occurrence_at.astimezone(ZoneInfo(parent.timezone)).strftime(_period_format(rec))
    suffix = f" - {label}"
    return parent.name[: 255 - len(suffix)] + suffix


# --- guards -----------------------------------------------------------------------


def refuse_if_archived(campaign: Campaign) -> None:
    """Archived campaigns are read-only except unarchive and delete."""
    if campaign.status == Status.ARCHIVED:
        raise ValidationError(READ_ONLY_MESSAGE)


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _claim(queryset: QuerySet[Campaign]) -> Campaign | None:
    """The row if still due and nobody else holds it; otherwise another run has it."""
    return queryset.select_for_update(skip_locked=True).order_by().first()


# --- schedule ---------------------------------------------------------------------


@transaction.atomic
def campaign_schedule(
    *,
    campaign: Campaign,
    scheduled_at: datetime,
    timezone_name: str | None = None,
    recurrence_type: str = "",
    recurrence_pattern: str = "",
    recurrence_end_date: datetime | None = None,
    recurrence_count: int | None = None,
    actor=None,
    now: datetime | None = None,
) -> Campaign:
    """Start the campaign at ``scheduled_at``; until then it is paused, its schedules held.

    With a recurrence type the campaign is a recurring blueprint: from
    ``scheduled_at`` on, each occurrence creates a child campaign.
    """
    now = now or timezone.now()
    campaign = _locked(campaign)
    refuse_if_archived(campaign)
    if scheduled_at <= now:
        raise ValidationError(
            {
                "scheduled_at": (
                    f"scheduled_at {scheduled_at.isoformat()} is in the past; "
                    "choose a time in the future."
                )
            }
        )
    if campaign.end_date is not None and scheduled_at >= campaign.end_date:
        raise ValidationError(
            {"scheduled_at": "The campaign would end (end_date) before it starts."}
        )
    campaign.scheduled_at = scheduled_at
    campaign.timezone = timezone_name or campaign.timezone
    campaign.is_recurring = bool(recurrence_type)
    campaign.recurrence_type = recurrence_type
    campaign.recurrence_pattern = recurrence_pattern if recurrence_type else ""
    campaign.recurrence_end_date = recurrence_end_date if recurrence_type else None
    campaign.recurrence_count = recurrence_count if recurrence_type else None
    campaign.status = Status.PAUSED
    campaign.started_at = None
    campaign.next_run_at = scheduled_at
    campaign.full_clean()
    if campaign.is_recurring:
        campaign.next_run_at = _first_occurrence(campaign_recurrence(campaign))
        if campaign.next_run_at is None:
            raise ValidationError(
                {"recurrence_end_date": "The recurrence ends before its first occurrence."}
            )
        if campaign.end_date is not None and campaign.next_run_at >= campaign.end_date:
            raise ValidationError(
                {"recurrence_pattern": "The first occurrence is after the campaign's end_date."}
            )
    campaign.save()
    signals.campaign_schedules_held.send(
        sender=Campaign, campaign=campaign, note=_hold_note(campaign), actor=actor
    )
    return campaign


def _hold_note(campaign: Campaign) -> str:
    if campaign.is_recurring:
        return (
            f"Held: campaign '{campaign.name}' is recurring; each occurrence runs "
            "copies of these schedules."
        )
    local_start = campaign.scheduled_at.astimezone(ZoneInfo(campaign.timezone))
    return f"Held until campaign '{campaign.name}' starts at {local_start:%Y-%m-%d %H:%M %Z}."


# --- duplicate and copies -------------------------------------------------------------


def _related_manager(campaign: Campaign, name: str):
    """A reverse relation's manager, or None while the app that owns it is absent."""
    return getattr(campaign, name, None)


def _copy_templates(source: Campaign, target: Campaign, *, only: set | None = None) -> dict:
    """Clone the source's templates into the target; returns {old id: new id}."""
    templates = _related_manager(source, "templates")
    if templates is None:
        return {}
    mapping = {}
    queryset = templates.all() if only is None else templates.filter(pk__in=only)
    for template in queryset:
        old_pk = template.pk
        template.pk = None
        template._state.adding = True
        template.campaign = target
        template.use_count = 0
        template.last_used_at = None
        template.full_clean()
        template.save()
        mapping[old_pk] = template.pk
    return mapping


def _schedule_first_run(schedule, *, not_before: datetime | None) -> datetime | None:
    rec = recurrence.build(
        schedule.schedule_type,
        schedule.scheduled_at,
        schedule.timezone,
        pattern=schedule.recurrence_pattern or "",
        end=schedule.recurrence_end_date,
        max_runs=schedule.max_runs,
    )
    if not_before is None or not_before <= schedule.scheduled_at:
        return recurrence.next_run(rec)
    return recurrence.next_run(rec, after=not_before - ONE_TICK)


def _copy_schedules(
    source: Campaign,
    target: Campaign,
    *,
    shift: Callable[[datetime | None, str], datetime | None],
    template_map: dict,
    paused: bool,
    note: str,
    actor,
    now: datetime,
) -> int:
    """Clone the source's schedules into the target, moved by ``shift``.

    Copies start a fresh history (version 1, no runs) with a "created" audit
    event. Paused copies (duplicates) are held by the campaign, so resuming
    the campaign resumes them; active copies (recurring children) run from
    their first shifted run.
    """
    schedules = _related_manager(source, "scheduled_jobs")
    if schedules is None:
        return 0
    ScheduledJob = schedules.model
    ScheduleEvent = ScheduledJob._meta.get_field("events").related_model
    count = 0
    for schedule in schedules.all():
        original_name = schedule.name
        schedule.pk = None
        schedule._state.adding = True
        schedule.campaign = target
        schedule.template_id = template_map.get(schedule.template_id, schedule.template_id)
        schedule.created_by = actor or schedule.created_by
        schedule.scheduled_at = shift(schedule.scheduled_at, schedule.timezone)
        schedule.recurrence_end_date = shift(schedule.recurrence_end_date, schedule.timezone)
        schedule.run_count = 0
        schedule.error_count = 0
        schedule.last_run_at = None
        schedule.version = 1
        if paused:
            schedule.status = ScheduledJob.Status.PAUSED
            schedule.paused_at = now
            schedule.pause_note = note
            schedule.paused_by_campaign = True
            schedule.next_run_at = _schedule_first_run(schedule, not_before=now)
        else:
            schedule.status = ScheduledJob.Status.ACTIVE
            schedule.paused_at = None
            schedule.pause_note = ""
            schedule.paused_by_campaign = False
            schedule.next_run_at = _schedule_first_run(schedule, not_before=None)
            if schedule.next_run_at is None:
                schedule.status = (
                    ScheduledJob.Status.EXPIRED
                    if schedule.recurrence_end_date
                    else ScheduledJob.Status.COMPLETED
                )
        schedule.full_clean()
        schedule.save()
        ScheduleEvent.objects.create(
            scheduled_job=schedule,
            kind=ScheduleEvent.Kind.CREATED,
            actor=actor,
            note=f"Copied from '{original_name}' of campaign '{source.name}'. {note}".strip(),
        )
        count += 1
    return count


def _templates_used_by_schedules(campaign: Campaign) -> set:
    schedules = _related_manager(campaign, "scheduled_jobs")
    if schedules is None:
        return set()
    return set(schedules.filter(template__campaign=campaign).values_list("template_id", flat=True))


@transaction.atomic
def campaign_duplicate(
    *,
    campaign: Campaign,
    name: str | None = None,
    include_templates: bool = True,
    include_schedules: bool = True,
    shift_days: int = 0,
    actor=None,
    now: datetime | None = None,
) -> Campaign:
    """A copy of the campaign (not of its scheduling), recording its parent.

    Dates move by ``shift_days`` on the wall clock. Copied schedules are
    paused until resumed; a copied schedule always gets a copy of the
    campaign template it runs, so the copy never depends on the original.
    """
    now = now or timezone.now()
    tz = ZoneInfo(campaign.timezone)
    shift = relativedelta(days=shift_days)
    copy = Campaign(
        workspace=campaign.workspace,
        created_by=actor or campaign.created_by,
        name=(name or "").strip() or f"{campaign.name} (copy)"[:255],
        description=campaign.description,
        color=campaign.color,
        tags=list(campaign.tags),
        target_job_count=campaign.target_job_count,
        target_budget_usd=campaign.target_budget_usd,
        start_date=shift_wall_clock(campaign.start_date, shift, tz),
        end_date=shift_wall_clock(campaign.end_date, shift, tz),
        timezone=campaign.timezone,
        status=Status.ACTIVE,
        parent_campaign=campaign,
    )
    copy.full_clean()
    copy.save()
    template_map: dict = {}
    if include_templates:
        template_map = _copy_templates(campaign, copy)
    elif include_schedules:
        template_map = _copy_templates(campaign, copy, only=_templates_used_by_schedules(campaign))
    if include_schedules:
        _copy_schedules(
            campaign,
            copy,
            shift=lambda value, tz_name: shift_wall_clock(value, shift, ZoneInfo(tz_name)),
            template_map=template_map,
            paused=True,
            note=f"Paused: copied with campaign '{copy.name}'; resume it to start.",
            actor=actor,
            now=now,
        )
    return copy


# --- archive ----------------------------------------------------------------------


@transaction.atomic
def campaign_archive(*, campaign: Campaign, actor=None, now: datetime | None = None) -> Campaign:
    """Hide the campaign from default lists, pause its schedules, make it read-only."""
    campaign = _locked(campaign)
    if campaign.status == Status.ARCHIVED:
        raise ValidationError({"status": "This campaign is already archived."})
    campaign.previous_status = campaign.status
    campaign.status = Status.ARCHIVED
    campaign.archived_at = now or timezone.now()
    campaign.full_clean()
    campaign.save(update_fields=["previous_status", "status", "archived_at", "updated_at"])
    signals.campaign_archived.send(
        sender=Campaign,
        campaign=campaign,
        note=f"Campaign '{campaign.name}' archived.",
        actor=actor,
    )
    return campaign


@transaction.atomic
def campaign_unarchive(*, campaign: Campaign, actor=None) -> Campaign:
    """Restore the status it had; its schedules stay paused until resumed."""
    campaign = _locked(campaign)
    if campaign.status != Status.ARCHIVED:
        raise ValidationError({"status": "This campaign is not archived."})
    campaign.status = campaign.previous_status or Status.ACTIVE
    campaign.previous_status = ""
    campaign.archived_at = None
    campaign.full_clean()
    campaign.save(update_fields=["previous_status", "status", "archived_at", "updated_at"])
    return campaign


# --- budget -------------------------------------------------------------------------


def campaign_budget_exceeded(campaign: Campaign) -> bool:
    """True while spent cost is at or over the budget (resuming would be paused again)."""
    if campaign.target_budget_usd is None:
        return False
    return campaign_spent_usd(campaign) >= campaign.target_budget_usd


def _apply_budget_guard(campaign: Campaign, *, now: datetime) -> bool:
    spent = campaign_spent_usd(campaign)
    budget = campaign.target_budget_usd
    if budget is None or spent < budget:
        return False
    if campaign.budget_reached_at is None:
        campaign.budget_reached_at = now
        campaign.save(update_fields=["budget_reached_at", "updated_at"])
    signals.campaign_budget_reached.send(
        sender=Campaign,
        campaign=campaign,
        spent_usd=spent,
        budget_usd=budget,
        note=(
            f"budget reached: campaign '{campaign.name}' has spent ${spent:.2f} of its "
            f"${budget:.2f} budget. Raise the budget to resume."
        ),
        actor=None,
    )
    return True


@transaction.atomic
def campaign_guard_budget(*, campaign: Campaign, now: datetime | None = None) -> bool:
    """Pause the campaign's active schedules if its spent cost reached its budget."""
    campaign = _locked(campaign)
    if campaign.status not in (Status.ACTIVE, Status.PAUSED):
        return False
    return _apply_budget_guard(campaign, now=now or timezone.now())


# --- the periodic run ---------------------------------------------------------------


def campaign_lifecycle_run(*, now: datetime | None = None) -> LifecycleReport:
    """Every due transition, each in its own transaction; safe to run concurrently."""
    now = now or timezone.now()
    report = LifecycleReport()
    _start_due_campaigns(now, report)
    _create_due_occurrences(now, report)
    _end_due_campaigns(now, report)
    _guard_budgets(now, report)
    _hold_schedules_added_while_waiting(report)
    if any(vars(report).values()):
        logger.info("campaign lifecycle: %s", report)
    return report


def _due_ids(queryset: QuerySet[Campaign]) -> list:
    return list(queryset.order_by().values_list("pk", flat=True)[:BATCH_SIZE])


def _start_due_filter(now: datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(next_run_at__lte=now, started_at__isnull=True).exclude(
        status__in=[Status.ARCHIVED, Status.COMPLETED]
    )


def _start_due_campaigns(now: datetime, report: LifecycleReport) -> None:
    for pk in _due_ids(_start_due_filter(now)):
        with transaction.atomic():
            campaign = _claim(_start_due_filter(now).filter(pk=pk))
            if campaign is None:
                continue
            campaign.status = Status.ACTIVE
            campaign.started_at = now
            if campaign.is_recurring:
                # The blueprint's own schedules stay held; the first child runs copies.
                campaign.save(update_fields=["status", "started_at", "updated_at"])
                _create_occurrence_if_due(campaign, now, report)
            else:
                campaign.next_run_at = None
                campaign.save(update_fields=["status", "started_at", "next_run_at", "updated_at"])
                local_start = campaign.scheduled_at.astimezone(ZoneInfo(campaign.timezone))
                signals.campaign_started.send(
                    sender=Campaign,
                    campaign=campaign,
                    note=(
                        f"Campaign '{campaign.name}' started as scheduled "
                        f"({local_start:%Y-%m-%d %H:%M %Z})."
                    ),
                    actor=None,
                )
            report.started += 1


def _occurrence_due_filter(now: datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(
        is_recurring=True,
        status=Status.ACTIVE,
        started_at__isnull=False,
        next_run_at__lte=now,
    )


def _create_due_occurrences(now: datetime, report: LifecycleReport) -> None:
    for pk in _due_ids(_occurrence_due_filter(now)):
        with transaction.atomic():
            parent = _claim(_occurrence_due_filter(now).filter(pk=pk))
            if parent is not None:
                _create_occurrence_if_due(parent, now, report)


def _create_occurrence_if_due(parent: Campaign, now: datetime, report: LifecycleReport) -> None:
    """The child for the latest due occurrence; older missed ones are skipped, not flooded."""
    rec = campaign_recurrence(parent)
    due, following = _due_occurrences(rec, parent.next_run_at, now)
    if due:
        if campaign_create_occurrence(parent=parent, occurrence_at=due[-1], rec=rec, now=now):
            report.occurrences_created += 1
        if len(due) > 1:
            report.occurrences_skipped += len(due) - 1
            logger.warning(
                "campaign %s: %d missed occurrences skipped; created the latest only",
                parent.pk,
                len(due) - 1,
            )
    parent.next_run_at = following
    fields = ["next_run_at", "updated_at"]
    if following is None:
        # The recurrence has run its course (end date or count).
        parent.status = Status.COMPLETED
        fields.append("status")
    parent.save(update_fields=fields)


def campaign_create_occurrence(
    *,
    parent: Campaign,
    occurrence_at: datetime,
    rec: recurrence.Recurrence | None = None,
    now: datetime | None = None,
) -> Campaign | None:
    """The child campaign for one occurrence, or None if it already exists.

    Its dates, templates and schedules are the parent's moved by the period
    (first occurrence -> this one). The unique (parent, occurrence) constraint
    makes a second child impossible even if two runs get here at once.
    """
    now = now or timezone.now()
    rec = rec or campaign_recurrence(parent)
    tz = ZoneInfo(parent.timezone)
    anchor = _first_occurrence(rec) or occurrence_at
    shift = period_shift(anchor, occurrence_at, tz)
    start = shift_wall_clock(parent.start_date, shift, tz) or occurrence_at
    end = shift_wall_clock(parent.end_date, shift, tz)
    child = Campaign(
        workspace_id=parent.workspace_id,
        created_by_id=parent.created_by_id,
        name=occurrence_name(parent, occurrence_at, rec),
        description=parent.description,
        color=parent.color,
        tags=list(parent.tags),
        target_job_count=parent.target_job_count,
        target_budget_usd=parent.target_budget_usd,
        start_date=start,
        end_date=end if end is None or end >= start else None,
        timezone=parent.timezone,
        scheduled_at=occurrence_at,
        started_at=now,
        status=Status.ACTIVE,
        parent_campaign=parent,
        occurrence_at=occurrence_at,
    )
    try:
        with transaction.atomic():
            child.full_clean()
            child.save()
            template_map = _copy_templates(parent, child)
            _copy_schedules(
                parent,
                child,
                shift=lambda value, tz_name: shift_wall_clock(value, shift, ZoneInfo(tz_name)),
                template_map=template_map,
                paused=False,
                note=f"Occurrence {child.name}.",
                actor=None,
                now=now,
            )
    except ValidationError as error:
        if (
            "__all__" in getattr(error, "error_dict", {})
            and Campaign.objects.filter(
                parent_campaign=parent, occurrence_at=occurrence_at
            ).exists()
        ):
            return None
        raise
    except IntegrityError:
        # Another run inserted this occurrence between our check and insert.
        if Campaign.objects.filter(parent_campaign=parent, occurrence_at=occurrence_at).exists():
            return None
        raise
    return child


def _end_due_filter(now: datetime) -> QuerySet[Campaign]:
    # A recurring blueprint's end_date is its first period's; it ends with its recurrence.
    return Campaign.objects.filter(
        status__in=[Status.ACTIVE, Status.PAUSED], end_date__lte=now, is_recurring=False
    )


def _end_due_campaigns(now: datetime, report: LifecycleReport) -> None:
    for pk in _due_ids(_end_due_filter(now)):
        with transaction.atomic():
            campaign = _claim(_end_due_filter(now).filter(pk=pk))
            if campaign is None:
                continue
            campaign.status = Status.COMPLETED
            campaign.next_run_at = None
            campaign.save(update_fields=["status", "next_run_at", "updated_at"])
            local_end = campaign.end_date.astimezone(ZoneInfo(campaign.timezone))
            signals.campaign_ended.send(
                sender=Campaign,
                campaign=campaign,
                note=(
                    f"Expired: campaign '{campaign.name}' ended at its end date "
                    f"{local_end:%Y-%m-%d %H:%M %Z}."
                ),
                actor=None,
            )
            report.ended += 1


def _budget_candidates() -> QuerySet[Campaign]:
    """Running campaigns at or over budget that still have an active schedule (or no stamp)."""
    queryset = (
        Campaign.objects.filter(
            target_budget_usd__isnull=False, status__in=[Status.ACTIVE, Status.PAUSED]
        )
        .annotate(spent=Sum("jobs__cost_usd"))
        .filter(spent__gte=F("target_budget_usd"))
    )
    schedules = Campaign._meta.get_field("scheduled_jobs").related_model
    has_active = Exists(schedules.objects.filter(campaign=OuterRef("pk"), status="active"))
    return queryset.filter(Q(has_active) | Q(budget_reached_at__isnull=True))


def _guard_budgets(now: datetime, report: LifecycleReport) -> None:
    for pk in _due_ids(_budget_candidates()):
        with transaction.atomic():
            campaign = _claim(
                Campaign.objects.filter(pk=pk, status__in=[Status.ACTIVE, Status.PAUSED])
            )
            if campaign is not None and _apply_budget_guard(campaign, now=now):
                report.budget_reached += 1
    # A raised budget (or more room) clears the mark; the user resumes the schedules.
    reached = Campaign.objects.filter(budget_reached_at__isnull=False).annotate(
        spent=Sum("jobs__cost_usd")
    )
    for campaign in reached[:BATCH_SIZE]:
        budget = campaign.target_budget_usd
        if budget is None or (campaign.spent or Decimal("0")) < budget:
            Campaign.objects.filter(pk=campaign.pk).update(budget_reached_at=None)
            report.budget_released += 1


def _waiting_with_active_schedules() -> QuerySet[Campaign]:
    """Campaigns whose schedules must not run yet, but one of them is active.

    A schedule added to a campaign that waits for its scheduled start, or to a
    recurring blueprint, after the campaign was scheduled.
    """
    schedules = Campaign._meta.get_field("scheduled_jobs").related_model
    has_active = Exists(schedules.objects.filter(campaign=OuterRef("pk"), status="active"))
    waiting_for_start = Q(status=Status.PAUSED, started_at__isnull=True, next_run_at__isnull=False)
    blueprint = Q(is_recurring=True, status__in=[Status.ACTIVE, Status.PAUSED])
    return Campaign.objects.filter(waiting_for_start | blueprint).filter(has_active)


def _hold_schedules_added_while_waiting(report: LifecycleReport) -> None:
    for pk in _due_ids(_waiting_with_active_schedules()):
        with transaction.atomic():
            campaign = _claim(_waiting_with_active_schedules().filter(pk=pk))
            if campaign is None:
                continue
            signals.campaign_schedules_held.send(
                sender=Campaign, campaign=campaign, note=_hold_note(campaign), actor=None
            )
            report.held += 1
