from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from scheduler_site.fields import BoundedJSONField
from scheduler_site.lib.validators import DESCRIPTION_MAX_LENGTH, validate_timezone

# The smallest step of a stored datetime: "at or after t" is "after t - ONE_TICK".
ONE_TICK = timedelta(microseconds=1)


WALL_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$")


def validate_wall_time(value: str) -> None:
    """A naive local date and time, 'YYYY-MM-DDTHH:MM:SS' (blank is allowed by the field)."""
    try:
        valid = bool(WALL_TIME_RE.match(value)) and datetime.fromisoformat(value) is not None
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValidationError(
            f"'{value}' is not a local date and time such as '2027-03-14T02:30:00'."
        )


def format_wall_time(value: datetime) -> str:
    """The stored form of a wall time: ISO, no offset, microseconds only when there are some."""
    return value.replace(tzinfo=None).isoformat()


def scheduled_local_for(scheduled_at, timezone_name: str, current: ScheduledJob | None = None):
    """What ``scheduled_local`` becomes when ``scheduled_at`` or ``timezone`` is set.

    A naive ``scheduled_at`` is the wall time as typed (inside a gap too); an
    instant gives its wall time in the zone, except that the instant the
    schedule already has, in the zone it already has, keeps the wall time it
    was typed with (an edit that sends back what it read changes nothing).
    None when there is nothing to work it out from (the other checks say why).
    """
    from schedules import recurrence

    if not isinstance(scheduled_at, datetime) or not timezone_name:
        return None
    try:
        if (
            current is not None
            and current.pk is not None
            and scheduled_at.tzinfo is not None
            and scheduled_at == current.scheduled_at
            and timezone_name == current.timezone
        ):
            return format_wall_time(current.local_start())
        return format_wall_time(recurrence.typed_wall_time(scheduled_at, timezone_name))
    except recurrence.RecurrenceError:
        return None


def runs_from(rec, start: datetime, *, count: int) -> list[datetime]:
    """Up to ``count`` nominal runs at or after ``start``."""
    from schedules import recurrence

    return [t for t in recurrence.next_runs(rec, start - ONE_TICK, count) if t >= start]


# Where a list view's prefetch puts a schedule's exceptions from next_run_at on.
PREFETCHED_EXCEPTIONS = "prefetched_exceptions"


class ScheduledJob(models.Model):
    class ScheduleType(models.TextChoices):
        ONCE = "once", "Once"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        CRON = "cron", "Cron"
        RRULE = "rrule", "RRULE"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        EXPIRED = "expired", "Expired"
        ERROR = "error", "Error"

    class MisfirePolicy(models.TextChoices):
        SKIP = "skip", "Skip missed runs"
        RUN_ONCE = "run_once", "Run once for all missed runs"
        CATCH_UP = "catch_up", "Catch up missed runs (capped)"

    class OverlapPolicy(models.TextChoices):
        SKIP = "skip", "Skip while the previous run is going"
        ALLOW = "allow", "Allow overlapping runs"
        QUEUE_ONE = "queue_one", "Queue one run behind the current one"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="scheduled_jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Deleting a campaign deletes its schedules (the original API's cascade).
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scheduled_jobs",
    )
    # A template in use by a schedule cannot be deleted on its own (that would
    # silently change what the schedule runs); it goes with its campaign.
    template = models.ForeignKey(
        "templates_lib.JobTemplate",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="scheduled_jobs",
    )
    name = models.CharField(max_length=255)
    description = models.TextField(
        blank=True,
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)],
    )
    schedule_type = models.CharField(max_length=16, choices=ScheduleType.choices)
    scheduled_at = models.DateTimeField(help_text="First run (an instant, stored in UTC).")
    # The first run's wall time as typed, in `timezone` ("02:30" even on the day
    # 02:30 does not exist and scheduled_at is 03:30): the series repeats it.
    # Blank, or one that no longer names scheduled_at, means scheduled_at's own.
    scheduled_local = models.CharField(
        max_length=26,
        blank=True,
        validators=[validate_wall_time],
        help_text="First run's wall time as typed, in the schedule's zone (YYYY-MM-DDTHH:MM:SS).",
    )
    recurrence_pattern = models.CharField(max_length=500, blank=True)
    recurrence_end_date = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    max_runs = models.PositiveIntegerField(null=True, blank=True)
    job_config = BoundedJSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    run_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0, help_text="Consecutive failed runs.")
    version = models.PositiveIntegerField(default=1)
    misfire_policy = models.CharField(
        max_length=16, choices=MisfirePolicy.choices, default=MisfirePolicy.RUN_ONCE
    )
    misfire_grace_seconds = models.PositiveIntegerField(default=300)
    catch_up_max_runs = models.PositiveIntegerField(default=10)
    overlap_policy = models.CharField(
        max_length=16, choices=OverlapPolicy.choices, default=OverlapPolicy.SKIP
    )
    jitter_seconds = models.PositiveIntegerField(default=0)
    pause_note = models.TextField(blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Set when a campaign pause stopped this schedule, so resuming the campaign
    # resumes only those and never one its owner paused on purpose.
    paused_by_campaign = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_run_at", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "paused", "completed", "expired", "error"]),
                name="schedules_scheduledjob_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    schedule_type__in=["once", "daily", "weekly", "monthly", "cron", "rrule"]
                ),
                name="schedules_scheduledjob_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(misfire_policy__in=["skip", "run_once", "catch_up"]),
                name="schedules_scheduledjob_misfire_valid",
            ),
            models.CheckConstraint(
                condition=Q(overlap_policy__in=["skip", "allow", "queue_one"]),
                name="schedules_scheduledjob_overlap_valid",
            ),
        ]
        indexes = [
            # The dispatcher: active schedules whose next run is due.
            models.Index(
                fields=["next_run_at"],
                condition=Q(status="active"),
                name="schedule_dispatch_due_idx",
            ),
            # Schedule lists and /upcoming: a workspace's schedules by next run.
            models.Index(fields=["workspace", "next_run_at"], name="schedule_ws_next_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The rules that span fields; API, admin and services all reach them here."""
        from schedules import recurrence

        super().clean()
        if self.timezone and self.scheduled_at and self.schedule_type:
            try:
                # A wall time typed for another start or zone is stale: the start's own.
                local_start = self.local_start()
                self.scheduled_local = format_wall_time(local_start)
                recurrence.build(
                    self.schedule_type,
                    self.scheduled_at,
                    self.timezone,
                    pattern=self.recurrence_pattern or "",
                    end=self.recurrence_end_date,
                    local_start=local_start,
                )
            except recurrence.RecurrenceError as error:
                raise ValidationError(
                    {error.field or "recurrence_pattern": error.message}
                ) from None
        if (
            self.recurrence_end_date
            and self.scheduled_at
            and self.recurrence_end_date < self.scheduled_at
        ):
            raise ValidationError(
                {"recurrence_end_date": "The end date cannot be before scheduled_at."}
            )

    def recurrence(self):
        """The series of nominal run times.

        ``max_runs`` is applied by the dispatcher against ``run_count`` (runs
        that actually happened), not by the series, so it is left out here.
        """
        from schedules import recurrence

        # Built once per instance while the fields it comes from stay as they are
        # (a list row asks for it for its description and for its next runs).
        # The Recurrence is frozen, so sharing it is safe.
        key = (
            self.schedule_type,
            self.scheduled_at,
            self.timezone,
            self.recurrence_pattern,
            self.recurrence_end_date,
            self.scheduled_local,
        )
        cached = self.__dict__.get("_recurrence_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        # The constructor checks shapes; build() would also search for a first
        # run, which the dispatcher's hot path does not need (clean() does it).
        built = recurrence.Recurrence(
            schedule_type=self.schedule_type,
            start=self.scheduled_at,
            timezone=self.timezone,
            pattern=self.recurrence_pattern or "",
            end=self.recurrence_end_date,
            local_start=self.local_start(),
        )
        self._recurrence_cache = (key, built)
        return built

    def local_start(self) -> datetime:
        """The first run's wall time (naive, in ``timezone``): as typed, if it still
        names ``scheduled_at``; otherwise ``scheduled_at``'s own wall time."""
        from schedules import recurrence

        typed = recurrence.typed_local_start(self.scheduled_local, self.scheduled_at, self.timezone)
        return typed or recurrence.typed_wall_time(self.scheduled_at, self.timezone)

    @property
    def remaining_runs(self) -> int | None:
        if self.max_runs is None:
            return None
        return max(0, self.max_runs - self.run_count)

    @property
    def human_description(self) -> str:
        from schedules import recurrence

        try:
            return recurrence.describe(self.recurrence())
        except recurrence.RecurrenceError:
            return ""

    def upcoming_runs(self, *, count: int) -> list:
        """The next ``count`` nominal run times from ``next_run_at`` (empty unless active)."""
        if self.status != self.Status.ACTIVE or self.next_run_at is None:
            return []
        remaining = self.remaining_runs
        count = count if remaining is None else min(count, remaining)
        if count <= 0:
            return []
        skipped = self.skipped_occurrences()
        runs = runs_from(self.recurrence(), self.next_run_at, count=count + len(skipped))
        return [t for t in runs if t not in skipped][:count]

    def skipped_occurrences(self) -> set:
        """Excepted runs from ``next_run_at`` on (a list view prefetches ``exceptions``,
        as a list under ``PREFETCHED_EXCEPTIONS`` or as the related manager's cache)."""
        if self.next_run_at is None:
            return set()
        cached = getattr(self, PREFETCHED_EXCEPTIONS, None)
        if cached is None:
            cached = getattr(self, "_prefetched_objects_cache", {}).get("exceptions")
        if cached is not None:
            return {e.occurrence_at for e in cached if e.occurrence_at >= self.next_run_at}
        return set(
            self.exceptions.filter(occurrence_at__gte=self.next_run_at).values_list(
                "occurrence_at", flat=True
            )
        )


class ScheduleEvent(models.Model):
    """The audit trail of a schedule: who did what, when, and why."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        PAUSED = "paused", "Paused"
        RESUMED = "resumed", "Resumed"
        AUTO_ERROR = "auto_error", "Stopped after repeated failures"
        COMPLETED = "completed", "Completed"
        EXPIRED = "expired", "Expired"
        MANUAL_RUN = "manual_run", "Run now"
        MISSED = "missed", "Missed run"
        RUN_SKIPPED = "run_skipped", "One run skipped"
        RUN_MOVED = "run_moved", "One run moved"

    scheduled_job = models.ForeignKey(ScheduledJob, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # None means the system did it (dispatcher, lifecycle, budget guard).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changes = models.JSONField(default=dict, blank=True)
    skipped_runs = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # A schedule's audit trail, newest first.
            models.Index(fields=["scheduled_job", "-created_at"], name="schedevent_sched_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.scheduled_job_id}"

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor_id else "system"


class ScheduleException(models.Model):
    """One run of a series that will not happen at its nominal time.

    ``occurrence_at`` is the nominal UTC instant the recurrence engine yields;
    the dispatcher, previews and the calendar leave that instant out. A moved
    run also has ``moved_to`` and the one-off schedule that runs it instead.
    """

    scheduled_job = models.ForeignKey(
        ScheduledJob, on_delete=models.CASCADE, related_name="exceptions"
    )
    occurrence_at = models.DateTimeField()
    moved_to = models.DateTimeField(null=True, blank=True)
    # The one-off that runs the moved occurrence; deleting it does not bring
    # the series' run back (that would surprise whoever deleted it).
    replacement = models.ForeignKey(
        ScheduledJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurrence_at"]
        constraints = [
            # Its index also serves every lookup: the dispatcher's "exceptions of the
            # claimed batch from their next run on", and the previews' and calendar's
            # "exceptions of these schedules in [start, end)".
            models.UniqueConstraint(
                fields=["scheduled_job", "occurrence_at"],
                name="schedules_scheduleexception_unique_occurrence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheduled_job_id} skips {self.occurrence_at:%Y-%m-%d %H:%M}"


def excepted_occurrences(schedule_ids, *, start: datetime, end: datetime | None = None) -> dict:
    """{schedule id: {nominal instants}} of the exceptions in [start, end): one query."""
    rows = ScheduleException.objects.filter(
        scheduled_job_id__in=schedule_ids, occurrence_at__gte=start
    )
    if end is not None:
        rows = rows.filter(occurrence_at__lt=end)
    found: dict = {}
    for schedule_id, at in rows.values_list("scheduled_job_id", "occurrence_at"):
        found.setdefault(schedule_id, set()).add(at)
    return found


class DispatcherHeartbeat(models.Model):
    """One row per dispatcher run: the health endpoint and the benchmark read these."""

    ran_at = models.DateTimeField(db_index=False)
    duration_ms = models.PositiveIntegerField()
    claimed = models.PositiveIntegerField(help_text="Schedules claimed in this run.")
    jobs_created = models.PositiveIntegerField()
    # Age of the oldest run still due when the dispatcher finished: a growing
    # value means the dispatchers cannot keep up.
    oldest_due_age_seconds = models.FloatField(null=True, blank=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-ran_at", "-pk"]
        indexes = [
            # /schedule/status: the latest heartbeat; pruning: rows older than the retention.
            models.Index(fields=["-ran_at"], name="heartbeat_ran_at_idx"),
        ]

    def __str__(self) -> str:
        return f"dispatcher run at {self.ran_at:%Y-%m-%d %H:%M:%S} ({self.claimed} claimed)"
