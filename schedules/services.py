"""Every write to a schedule goes through here: API, admin, pages and tasks alike.

Time rules that matter to users:
- an edit that changes what or when a schedule runs bumps ``version`` and
  recomputes ``next_run_at`` from now, so a time before the edit never fires
  (a run already dispatched is cancelled by the worker's version re-check);
- pause freezes the schedule (and bumps the version, so a run dispatched a
  moment before the pause is cancelled rather than run);
- resume recomputes from now and records how many runs were skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from jobs import retries
from jobs.models import Job
from jobs.services import enqueue_after_commit, job_create, merge_config, validate_job_config
from schedules import recurrence
from schedules.models import ONE_TICK, ScheduledJob, ScheduleEvent, ScheduleException
from workspaces.models import Workspace

# Fields that change neither what a schedule runs nor when: editing only these
# keeps the version, so renaming a schedule never cancels a run in flight.
COSMETIC_FIELDS = frozenset({"name", "description"})
# Counting skipped runs on resume walks the series; a per-minute cron paused
# for a year stops counting here and reports "at least" this many.
SKIPPED_COUNT_CAP = 100_000
AUTO_ERROR_THRESHOLD = 5
SERIES_TRIGGERS = Job.SERIES_TRIGGERS
# A series run that was dispatched to run and not withdrawn: what max_runs counts.
COUNTED_RUN_STATUSES = (
    Job.Status.PENDING,
    Job.Status.QUEUED,
    Job.Status.RUNNING,
    Job.Status.SUCCEEDED,
    Job.Status.FAILED,
)


def clock_skew_tolerance() -> timedelta:
    return timedelta(seconds=getattr(settings, "SCHEDULE_CLOCK_SKEW_SECONDS", 60))


# --- helpers --------------------------------------------------------------------


def schedule_job_config(schedule: ScheduledJob) -> dict:
    """What a run of this schedule executes: template defaults <- the schedule's job_config."""
    template_config = schedule.template.as_config() if schedule.template_id else {}
    return merge_config(template_config, schedule.job_config or {})


def _check_not_in_past(scheduled_at: datetime | None, now: datetime) -> None:
    if scheduled_at is not None and scheduled_at < now - clock_skew_tolerance():
        raise ValidationError(
            {
                "scheduled_at": (
                    f"scheduled_at {scheduled_at.isoformat()} is in the past; "
                    "choose a time in the future."
                )
            }
        )


def _check_same_workspace(schedule: ScheduledJob) -> None:
    """Services are called by admin and tasks too, not only the scoped API."""
    errors = {}
    if schedule.campaign_id and schedule.campaign.workspace_id != schedule.workspace_id:
        errors["campaign_id"] = "campaign not found"
    if schedule.template_id and schedule.template.workspace_id != schedule.workspace_id:
        errors["template_id"] = "template not found"
    if errors:
        raise ValidationError(errors)


def _check_job_config(schedule: ScheduledJob) -> None:
    """The merged config must be runnable (known executor, a real webhook URL)."""
    try:
        validate_job_config(schedule_job_config(schedule), workspace_id=schedule.workspace_id)
    except ValidationError as error:
        messages = (
            error.messages
            if not hasattr(error, "error_dict")
            else [
                f"{key}: {message}"
                for key, values in error.message_dict.items()
                for message in values
            ]
        )
        raise ValidationError({"job_config": messages}) from None


def _next_run_from(schedule: ScheduledJob, *, after: datetime | None) -> datetime | None:
    """The first nominal run strictly after ``after`` (or the series' first), within max_runs."""
    if schedule.remaining_runs == 0:
        return None
    rec = schedule.recurrence()
    if after is None:
        return recurrence.next_run(rec)
    return recurrence.next_run(rec, after=after)


def _end_status(schedule: ScheduledJob) -> str:
    """Why a series with no next run ended: its run budget, or its end date."""
    if schedule.remaining_runs == 0 or schedule.schedule_type == ScheduledJob.ScheduleType.ONCE:
        return ScheduledJob.Status.COMPLETED
    if schedule.recurrence_end_date is not None:
        return ScheduledJob.Status.EXPIRED
    return ScheduledJob.Status.COMPLETED


def _record(
    schedule: ScheduledJob,
    kind: str,
    *,
    actor=None,
    note: str = "",
    changes: dict | None = None,
    skipped_runs: int | None = None,
) -> ScheduleEvent:
    return ScheduleEvent.objects.create(
        scheduled_job=schedule,
        kind=kind,
        actor=actor,
        note=note,
        changes=changes or {},
        skipped_runs=skipped_runs,
    )


def _held_from(schedule: ScheduledJob) -> dict:
    """What a pause or stop freezes: the first run not dispatched yet. The run
    ledger counts every run from there on as held back, even one whose time
    came before the pause while the dispatcher was behind or down."""
    frozen = schedule.next_run_at
    return {"held_from": frozen.isoformat()} if frozen is not None else {}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, (dict, list, str, int, float, bool)) or value is None:
        return value
    return str(value)


def withdraw_dispatched_runs(schedule: ScheduledJob, *, now: datetime, reason: str) -> int:
    """A person or the system withdrew the series' runs that have not started.

    The one way a dispatched run is withdrawn (pause, edit, auto-stop, delete,
    campaign pause or archive, budget guard), always under the schedule's row
    lock. Runs dispatched early for a time still ahead are deleted, so the new
    version can dispatch that nominal time again; runs already due are
    cancelled with the reason. The caller bumps ``version``, so a worker that
    claimed one a moment earlier cancels it too (``jobs.services.withdrawal_reason``).
    The series ending because its last run was dispatched is not a withdrawal
    and never comes here. Returns how many due runs were cancelled.
    """
    waiting = Job.objects.filter(
        scheduled_job=schedule,
        status__in=[Job.Status.PENDING, Job.Status.QUEUED],
        trigger__in=SERIES_TRIGGERS,
    )
    waiting.filter(scheduled_for__gt=now).delete()
    cancelled = waiting.update(
        status=Job.Status.CANCELLED, finished_at=now, last_error=f"Withdrawn: {reason}"
    )
    sync_run_count(schedule)
    return cancelled


def sync_run_count(schedule: ScheduledJob) -> None:
    """``run_count`` and ``last_run_at`` from the Jobs: the series' runs that were
    dispatched to run and not withdrawn (withdrawn, missed and skipped runs do
    not count toward ``max_runs``). Sets the instance; the caller saves it."""
    counted = Job.objects.filter(
        scheduled_job=schedule, trigger__in=SERIES_TRIGGERS, status__in=COUNTED_RUN_STATUSES
    ).aggregate(count=Count("pk"), last=Max("scheduled_for"))
    schedule.run_count = counted["count"]
    schedule.last_run_at = counted["last"]


def _locked(schedule: ScheduledJob) -> ScheduledJob:
    """The row, locked for this transaction, so an edit never races the dispatcher."""
    return (
        ScheduledJob.objects.select_for_update(of=("self",))
        .select_related("template", "campaign")
        .get(pk=schedule.pk)
    )


def schedule_check_rules(*, schedule: ScheduledJob, now: datetime, check_start: bool) -> None:
    """The service-level rules (forms call it too, so the admin shows them inline)."""
    _check_same_workspace(schedule)
    if check_start:
        _check_not_in_past(schedule.scheduled_at, now)
    _check_job_config(schedule)


# --- create, edit, delete ----------------------------------------------------------


@transaction.atomic
def schedule_create(
    *,
    workspace: Workspace,
    created_by=None,
    now: datetime | None = None,
    **fields: Any,
) -> ScheduledJob:
    now = now or timezone.now()
    schedule = ScheduledJob(workspace=workspace, created_by=created_by, **fields)
    _check_same_workspace(schedule)
    _check_not_in_past(schedule.scheduled_at, now)
    schedule.full_clean()
    _check_job_config(schedule)
    schedule.next_run_at = _next_run_from(schedule, after=None)
    if schedule.next_run_at is None:
        raise ValidationError(
            {"recurrence_end_date": "The schedule ends before its first run; nothing would run."}
        )
    schedule.save()
    _record(schedule, ScheduleEvent.Kind.CREATED, actor=created_by)
    return schedule


@transaction.atomic
def schedule_update(
    *,
    schedule: ScheduledJob,
    actor=None,
    now: datetime | None = None,
    **fields: Any,
) -> ScheduledJob:
    now = now or timezone.now()
    schedule = _locked(schedule)
    changes = {}
    for name, value in fields.items():
        old = getattr(schedule, name)
        if old != value:
            changes[name] = {"from": _jsonable(old), "to": _jsonable(value)}
            setattr(schedule, name, value)
    if not changes:
        return schedule
    _check_same_workspace(schedule)
    if "scheduled_at" in changes:
        _check_not_in_past(schedule.scheduled_at, now)
    schedule.full_clean()
    _check_job_config(schedule)
    if set(changes) - COSMETIC_FIELDS:
        schedule.version += 1
        who = f" by {actor.get_username()}" if actor is not None else ""
        withdraw_dispatched_runs(schedule, now=now, reason=f"the schedule was edited{who}.")
        _recompute_after_edit(schedule, now=now, start_moved="scheduled_at" in changes)
    schedule.save()
    _record(schedule, ScheduleEvent.Kind.EDITED, actor=actor, changes=changes)
    return schedule


def _recompute_after_edit(schedule: ScheduledJob, *, now: datetime, start_moved: bool) -> None:
    """From now on: a run time before the edit never fires.

    The one exception is the start the edit itself sets: like a new schedule's,
    it may lie up to the clock-skew tolerance in the past and still runs
    (a one-off moved to "now" runs now instead of completing unrun). A paused
    schedule keeps its pause (resume recomputes again); a finished one whose
    edit gives it more runs (a later end date, a higher max_runs, a new start)
    becomes active again.
    """
    if schedule.status in (ScheduledJob.Status.PAUSED, ScheduledJob.Status.ERROR):
        schedule.next_run_at = _next_run_from(schedule, after=now)
        return
    after = now - clock_skew_tolerance() if start_moved else now
    if start_moved:
        # Never a time that already has its run: a start set to the minute that
        # just ran must not run it again.
        dispatched = Job.objects.filter(
            scheduled_job=schedule, trigger__in=SERIES_TRIGGERS
        ).aggregate(last=Max("scheduled_for"))["last"]
        if dispatched is not None:
            after = max(after, dispatched)
    # The first run may still be ahead (scheduled_at in the future, or just typed).
    first = _next_run_from(schedule, after=None) if schedule.run_count == 0 else None
    if start_moved and first is None:
        first = _next_run_from(schedule, after=after)
    candidate = (
        first if first is not None and first > after else _next_run_from(schedule, after=now)
    )
    schedule.next_run_at = candidate
    if candidate is None:
        schedule.status = _end_status(schedule)
    else:
        schedule.status = ScheduledJob.Status.ACTIVE


@transaction.atomic
def schedule_delete(*, schedule: ScheduledJob, actor=None) -> None:
    """Delete a schedule; its run history stays, and runs not yet started are cancelled."""
    now = timezone.now()
    Job.objects.filter(
        scheduled_job=schedule, status__in=[Job.Status.PENDING, Job.Status.QUEUED]
    ).update(
        status=Job.Status.CANCELLED,
        last_error="Withdrawn: the schedule was deleted before this run started.",
        finished_at=now,
    )
    schedule.delete()


def schedule_expire(*, schedule: ScheduledJob, note: str, actor=None, now: datetime) -> None:
    """End a live series early (its campaign ended): nothing after ``now`` runs.

    Ending is not a withdrawal: a run already due still runs (no version bump);
    runs dispatched early for a time after the end are not runs of the series
    any more and are deleted. The caller holds the row lock.
    """
    Job.objects.filter(
        scheduled_job=schedule,
        status__in=[Job.Status.PENDING, Job.Status.QUEUED],
        trigger__in=SERIES_TRIGGERS,
        scheduled_for__gt=now,
    ).delete()
    sync_run_count(schedule)
    schedule.status = ScheduledJob.Status.EXPIRED
    schedule.next_run_at = None
    schedule.paused_by_campaign = False
    schedule.save(
        update_fields=[
            "status",
            "next_run_at",
            "paused_by_campaign",
            "run_count",
            "last_run_at",
            "updated_at",
        ]
    )
    _record(schedule, ScheduleEvent.Kind.EXPIRED, actor=actor, note=note)


# --- pause, resume, run now -------------------------------------------------------


@transaction.atomic
def schedule_pause(
    *,
    schedule: ScheduledJob,
    actor=None,
    note: str = "",
    by_campaign: bool = False,
    now: datetime | None = None,
) -> ScheduledJob:
    schedule = _locked(schedule)
    if schedule.status == ScheduledJob.Status.PAUSED:
        return schedule
    if schedule.status != ScheduledJob.Status.ACTIVE:
        raise ValidationError(
            {"status": f"Only an active schedule can be paused; this one is {schedule.status}."}
        )
    now = now or timezone.now()
    schedule.status = ScheduledJob.Status.PAUSED
    schedule.paused_at = now
    who = f" by {actor.get_username()}" if actor is not None else ""
    withdraw_dispatched_runs(
        schedule, now=now, reason=f"the schedule was paused{who}." + (f" {note}" if note else "")
    )
    schedule.pause_note = note
    schedule.paused_by_campaign = by_campaign
    # A run dispatched just before the pause must not run: the worker sees a new version.
    schedule.version += 1
    schedule.full_clean()
    schedule.save(
        update_fields=[
            "status",
            "paused_at",
            "pause_note",
            "paused_by_campaign",
            "version",
            "run_count",
            "last_run_at",
            "updated_at",
        ]
    )
    _record(
        schedule,
        ScheduleEvent.Kind.PAUSED,
        actor=actor,
        note=note,
        changes=_held_from(schedule),
    )
    return schedule


def count_skipped_runs(schedule: ScheduledJob, *, until: datetime) -> int:
    """Runs that would have happened from the frozen next_run_at up to ``until``."""
    if schedule.next_run_at is None or schedule.next_run_at > until:
        return 0
    cap = SKIPPED_COUNT_CAP
    if schedule.remaining_runs is not None:
        cap = min(cap, schedule.remaining_runs)
    return recurrence.count_runs_between(
        schedule.recurrence(), schedule.next_run_at - ONE_TICK, until, cap
    )


@transaction.atomic
def schedule_resume(
    *,
    schedule: ScheduledJob,
    actor=None,
    note: str = "",
    now: datetime | None = None,
) -> ScheduledJob:
    now = now or timezone.now()
    schedule = _locked(schedule)
    if schedule.status == ScheduledJob.Status.ACTIVE:
        return schedule
    if schedule.status not in (ScheduledJob.Status.PAUSED, ScheduledJob.Status.ERROR):
        raise ValidationError(
            {
                "status": (
                    f"A {schedule.status} schedule cannot be resumed; edit its end date "
                    "or max_runs to give it more runs."
                )
            }
        )
    skipped = count_skipped_runs(schedule, until=now)
    schedule.next_run_at = _next_run_from(schedule, after=now)
    schedule.status = ScheduledJob.Status.ACTIVE if schedule.next_run_at else _end_status(schedule)
    schedule.paused_at = None
    schedule.pause_note = ""
    schedule.paused_by_campaign = False
    schedule.error_count = 0
    schedule.version += 1
    schedule.full_clean()
    schedule.save()
    _record(schedule, ScheduleEvent.Kind.RESUMED, actor=actor, note=note, skipped_runs=skipped)
    if schedule.status != ScheduledJob.Status.ACTIVE:
        _record(schedule, schedule.status, note="No runs left after resuming.")
    return schedule


@transaction.atomic
def schedule_run_now(*, schedule: ScheduledJob, actor=None, now: datetime | None = None) -> Job:
    """A manual run outside the series: it does not count toward max_runs."""
    now = now or timezone.now()
    schedule = _locked(schedule)
    job = job_create(
        workspace=schedule.workspace,
        name=schedule.name,
        config=schedule_job_config(schedule),
        trigger=Job.Trigger.MANUAL,
        campaign=schedule.campaign,
        template=schedule.template,
        scheduled_job=schedule,
        schedule_version=schedule.version,
        scheduled_for=now,
    )
    _record(schedule, ScheduleEvent.Kind.MANUAL_RUN, actor=actor)
    return job


def build_run_job(
    schedule: ScheduledJob,
    *,
    scheduled_for: datetime,
    trigger: str,
    not_before: datetime | None = None,
    config: dict | None = None,
) -> Job:
    """An unsaved Job for one run of ``schedule`` (the dispatcher bulk-inserts these)."""
    config = schedule_job_config(schedule) if config is None else config
    job = Job(
        workspace_id=schedule.workspace_id,
        campaign_id=schedule.campaign_id,
        campaign_name=schedule.campaign.name if schedule.campaign_id else "",
        template_id=schedule.template_id,
        scheduled_job_id=schedule.pk,
        schedule_version=schedule.version,
        name=schedule.name,
        config=config,
        trigger=trigger,
        scheduled_for=scheduled_for,
        not_before=not_before or scheduled_for,
        max_retries=retries.max_retries_from(config),
    )
    return job


# --- campaigns --------------------------------------------------------------------


@transaction.atomic
def campaign_pause(*, campaign, actor=None, note: str = "") -> tuple:
    """Pause a campaign and every active schedule in it. Returns (campaign, schedules paused)."""
    from campaigns.lifecycle import refuse_if_archived
    from campaigns.services import campaign_update

    refuse_if_archived(campaign)
    if campaign.status == campaign.Status.ACTIVE:
        campaign = campaign_update(campaign=campaign, status=campaign.Status.PAUSED)
    note = note or f"Campaign '{campaign.name}' paused."
    active = ScheduledJob.objects.filter(campaign=campaign, status=ScheduledJob.Status.ACTIVE)
    count = 0
    for schedule in active:
        schedule_pause(schedule=schedule, actor=actor, note=note, by_campaign=True)
        count += 1
    return campaign, count


@transaction.atomic
def campaign_resume(*, campaign, actor=None) -> tuple:
    """Resume a paused campaign and the schedules its pause stopped (not ones paused
    on their own). Returns (campaign, schedules resumed)."""
    from campaigns.lifecycle import refuse_if_archived
    from campaigns.services import campaign_update

    # An archived campaign's schedules stay paused until it is unarchived.
    refuse_if_archived(campaign)
    if campaign.status == campaign.Status.PAUSED:
        campaign = campaign_update(campaign=campaign, status=campaign.Status.ACTIVE)
    paused = ScheduledJob.objects.filter(
        campaign=campaign, status=ScheduledJob.Status.PAUSED, paused_by_campaign=True
    )
    count = 0
    for schedule in paused:
        schedule_resume(schedule=schedule, actor=actor, note=f"Campaign '{campaign.name}' resumed.")
        count += 1
    return campaign, count


# --- failures ---------------------------------------------------------------------


def schedule_record_success(*, schedule_id) -> None:
    """A run succeeded: the consecutive-failure count starts again. One
    conditional UPDATE (no lock, no write at all while the count is already 0),
    so the worker records a success in the transaction of its outcome."""
    ScheduledJob.objects.filter(pk=schedule_id, error_count__gt=0).update(
        error_count=0, updated_at=timezone.now()
    )


@transaction.atomic
def schedule_record_failure(*, schedule_id, error: str = "") -> None:
    """Count consecutive failed runs; the fifth in a row stops the schedule with a note."""
    schedule = (
        ScheduledJob.objects.select_for_update(of=("self",))
        .select_related("template", "campaign")
        .filter(pk=schedule_id)
        .first()
    )
    if schedule is None:
        return
    schedule.error_count += 1
    fields = ["error_count", "updated_at"]
    stop = (
        schedule.error_count >= AUTO_ERROR_THRESHOLD
        and schedule.status == ScheduledJob.Status.ACTIVE
    )
    if stop:
        schedule.status = ScheduledJob.Status.ERROR
        schedule.version += 1
        withdraw_dispatched_runs(
            schedule,
            now=timezone.now(),
            reason=f"the schedule stopped after {schedule.error_count} consecutive failed runs.",
        )
        fields += ["status", "version", "run_count", "last_run_at"]
    schedule.save(update_fields=fields)
    if stop:
        detail = f" Last error: {error[:500]}" if error else ""
        _record(
            schedule,
            ScheduleEvent.Kind.AUTO_ERROR,
            changes=_held_from(schedule),
            note=(
                f"Stopped after {schedule.error_count} consecutive failed runs.{detail} "
                "Fix the cause, then resume the schedule."
            ),
        )


@transaction.atomic
def schedule_recount_runs(*, schedule_id) -> None:
    """A run was withdrawn outside this module (the worker's re-check, a user
    cancelling the Job): bring ``run_count`` and ``last_run_at`` back in line."""
    schedule = ScheduledJob.objects.select_for_update(of=("self",)).filter(pk=schedule_id).first()
    if schedule is None:
        return
    sync_run_count(schedule)
    schedule.save(update_fields=["run_count", "last_run_at", "updated_at"])


# --- overlap: queue_one --------------------------------------------------------------


def held_run_not_before(nominal: datetime) -> datetime:
    """When a run held behind a running one may go anyway (the sweeper's fallback).

    By then the run ahead has finished or been failed by the sweeper's timeout.
    """
    return nominal + timedelta(seconds=settings.JOB_TIMEOUT_SECONDS)


@transaction.atomic
def schedule_release_held_run(*, schedule_id) -> Job | None:
    """A run of a queue_one schedule finished: send the run waiting behind it now."""
    held = (
        Job.objects.select_for_update(skip_locked=True)
        .filter(
            scheduled_job_id=schedule_id,
            status=Job.Status.PENDING,
            queued_at__isnull=True,
            trigger__in=[Job.Trigger.SCHEDULED, Job.Trigger.CATCH_UP],
        )
        .order_by("scheduled_for")
        .first()
    )
    if held is None:
        return None
    held.not_before = max(held.scheduled_for, timezone.now())
    held.save(update_fields=["not_before"])
    enqueue_after_commit([held])
    return held


# --- one run of a series: skip or move ------------------------------------------------
#
# A skipped or moved run is a ScheduleException on the series (its nominal
# instant); the dispatcher leaves that instant out and records nothing for it:
# the exception and the audit event are the record, and max_runs counts only
# runs that happen. A moved run is a new one-off schedule at the new time.

# Looking for the next run that is not skipped: a bound, in case every one is.
MAX_EXCEPTED_IN_A_ROW = 10_000


def _check_occurrence(schedule: ScheduledJob, occurrence_at: datetime, *, now: datetime) -> None:
    """``occurrence_at`` is a nominal run of the series still ahead, not already moved."""
    if schedule.schedule_type == ScheduledJob.ScheduleType.ONCE:
        raise ValidationError(
            {"occurrence_at": "A one-off schedule has a single run: move or pause the schedule."}
        )
    if schedule.status not in (
        ScheduledJob.Status.ACTIVE,
        ScheduledJob.Status.PAUSED,
        ScheduledJob.Status.ERROR,
    ):
        raise ValidationError(
            {"occurrence_at": f"This schedule is {schedule.status}: it has no runs ahead."}
        )
    if occurrence_at <= now:
        raise ValidationError(
            {
                "occurrence_at": (
                    f"{occurrence_at.isoformat()} is in the past; only a run ahead can change."
                )
            }
        )
    # Under the row lock: a run before next_run_at has already been dispatched
    # (the dispatcher claims a little ahead), so it can no longer be withdrawn.
    if (
        schedule.status == ScheduledJob.Status.ACTIVE
        and schedule.next_run_at is not None
        and occurrence_at < schedule.next_run_at
    ):
        raise ValidationError(
            {"occurrence_at": "This run has already been dispatched; it can no longer change."}
        )
    if recurrence.next_run(schedule.recurrence(), after=occurrence_at - ONE_TICK) != occurrence_at:
        raise ValidationError(
            {
                "occurrence_at": (
                    f"{occurrence_at.isoformat()} is not a run of this schedule; "
                    "use one of its next run times."
                )
            }
        )
    if schedule.exceptions.filter(occurrence_at=occurrence_at).exists():
        raise ValidationError({"occurrence_at": "This run was already skipped or moved."})


def _next_run_past_exceptions(schedule: ScheduledJob, *, after: datetime) -> datetime | None:
    skipped = schedule.skipped_occurrences()
    rec = schedule.recurrence()
    for scanned, nominal in enumerate(recurrence.iter_runs(rec, after=after)):
        if nominal not in skipped or scanned >= MAX_EXCEPTED_IN_A_ROW:
            return nominal
    return None


def _step_past(schedule: ScheduledJob, occurrence_at: datetime) -> None:
    """The run that was next is gone: next_run_at moves to the first run left."""
    if schedule.status != ScheduledJob.Status.ACTIVE or schedule.next_run_at != occurrence_at:
        return
    schedule.next_run_at = _next_run_past_exceptions(schedule, after=occurrence_at)
    fields = ["next_run_at", "updated_at"]
    if schedule.next_run_at is None:
        schedule.status = _end_status(schedule)
        fields.append("status")
    schedule.save(update_fields=fields)
    if schedule.next_run_at is None:
        _record(schedule, schedule.status, note="No runs left after the last one was skipped.")


def _local_label(moment: datetime, zone_name: str) -> str:
    return moment.astimezone(ZoneInfo(zone_name)).strftime("%Y-%m-%d %H:%M %Z")


@transaction.atomic
def schedule_occurrence_skip(
    *,
    scheduled_job: ScheduledJob,
    occurrence_at: datetime,
    actor=None,
    note: str = "",
    now: datetime | None = None,
) -> ScheduleException:
    """Skip one run of a series; the runs before and after it are untouched."""
    now = now or timezone.now()
    schedule = _locked(scheduled_job)
    _check_occurrence(schedule, occurrence_at, now=now)
    exception = ScheduleException(
        scheduled_job=schedule, occurrence_at=occurrence_at, actor=actor, note=note
    )
    exception.full_clean(validate_constraints=False)
    exception.save()
    _step_past(schedule, occurrence_at)
    label = _local_label(occurrence_at, schedule.timezone)
    _record(
        schedule,
        ScheduleEvent.Kind.RUN_SKIPPED,
        actor=actor,
        note=f"Run of {label} skipped." + (f" {note}" if note else ""),
        changes={"occurrence_at": occurrence_at.isoformat()},
    )
    return exception


@transaction.atomic
def schedule_occurrence_move(
    *,
    scheduled_job: ScheduledJob,
    occurrence_at: datetime,
    new_time: datetime,
    actor=None,
    note: str = "",
    now: datetime | None = None,
) -> ScheduleException:
    """Move one run of a series to ``new_time``: the series skips it and a one-off
    schedule (same job, campaign, template, zone and policies) runs it instead."""
    now = now or timezone.now()
    schedule = _locked(scheduled_job)
    if new_time <= now:
        raise ValidationError(
            {"new_time": f"{new_time.isoformat()} is in the past; choose a time in the future."}
        )
    _check_occurrence(schedule, occurrence_at, now=now)
    replacement = schedule_create(
        workspace=schedule.workspace,
        created_by=actor,
        now=now,
        **_one_off_fields(schedule, occurrence_at=occurrence_at, new_time=new_time),
    )
    exception = ScheduleException(
        scheduled_job=schedule,
        occurrence_at=occurrence_at,
        moved_to=new_time,
        replacement=replacement,
        actor=actor,
        note=note,
    )
    exception.full_clean(validate_constraints=False)
    exception.save()
    _step_past(schedule, occurrence_at)
    _record(
        schedule,
        ScheduleEvent.Kind.RUN_MOVED,
        actor=actor,
        note=(
            f"Run of {_local_label(occurrence_at, schedule.timezone)} moved to "
            f"{_local_label(new_time, schedule.timezone)}." + (f" {note}" if note else "")
        ),
        changes={
            "occurrence_at": occurrence_at.isoformat(),
            "moved_to": new_time.isoformat(),
            "replacement_id": str(replacement.pk),
        },
    )
    return exception


def _one_off_fields(schedule: ScheduledJob, *, occurrence_at: datetime, new_time: datetime) -> dict:
    local_day = occurrence_at.astimezone(ZoneInfo(schedule.timezone)).date().isoformat()
    suffix = f" (moved from {local_day})"
    max_name = ScheduledJob._meta.get_field("name").max_length - len(suffix)
    return {
        "name": schedule.name[:max_name] + suffix,
        "description": schedule.description,
        "campaign": schedule.campaign,
        "template": schedule.template,
        "job_config": dict(schedule.job_config or {}),
        "timezone": schedule.timezone,
        "schedule_type": ScheduledJob.ScheduleType.ONCE,
        "scheduled_at": new_time,
        "misfire_policy": schedule.misfire_policy,
        "misfire_grace_seconds": schedule.misfire_grace_seconds,
        "catch_up_max_runs": schedule.catch_up_max_runs,
        "overlap_policy": schedule.overlap_policy,
        "jitter_seconds": schedule.jitter_seconds,
    }
