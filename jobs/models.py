from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from scheduler_site.fields import BoundedJSONField


class Job(models.Model):
    """One execution of a piece of work. Job rows are also the outbox.

    A row is written before anything reaches the broker; the send happens on
    commit, and the sweeper re-sends rows that never got picked up.
    """

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Manual"
        TEMPLATE_USE = "template_use", "Template use"
        SCHEDULED = "scheduled", "Scheduled"
        CATCH_UP = "catch_up", "Catch-up"
        BACKFILL = "backfill", "Backfill"
        # A marketing post's publication: not tied to a ScheduledJob, and
        # vetoed at run time when its post was paused or cancelled meanwhile.
        PUBLICATION = "publication", "Publication"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # recorded, not yet handed to the broker
        QUEUED = "queued", "Queued"  # handed to the broker
        RUNNING = "running", "Running"  # claimed by a worker
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"  # the scheduler decided not to run it
        MISSED = "missed", "Missed"  # seen too late to run

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.SKIPPED, Status.MISSED)
    # The triggers of a series' own runs: one per occurrence (a run-now is extra).
    SERIES_TRIGGERS = (Trigger.SCHEDULED, Trigger.CATCH_UP, Trigger.BACKFILL)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="jobs"
    )
    # History outlives the campaign, template and schedule: the references are
    # cleared, the campaign's name is kept.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    campaign_name = models.CharField(max_length=255, blank=True)
    template = models.ForeignKey(
        "templates_lib.JobTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    scheduled_job = models.ForeignKey(
        "schedules.ScheduledJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    # The schedule's version when this run was dispatched: a worker that finds
    # a different version (the schedule was edited) cancels instead of running.
    schedule_version = models.PositiveIntegerField(null=True, blank=True)
    name = models.CharField(max_length=255)
    config = BoundedJSONField(default=dict, blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_retries = models.PositiveSmallIntegerField(default=3)
    last_error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    # Earliest time a worker may run it (retry backoff, or an ETA for a run
    # dispatched slightly ahead of its nominal time).
    not_before = models.DateTimeField(null=True, blank=True)
    # Who runs it now: "<celery node>:<worker pid>:<process pid>". Lets a
    # restarted worker, or a redelivery on the same machine, tell a job whose
    # process died from one that is still running.
    claimed_by = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending",
                        "queued",
                        "running",
                        "succeeded",
                        "failed",
                        "cancelled",
                        "skipped",
                        "missed",
                    ]
                ),
                name="jobs_job_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    trigger__in=[
                        "manual",
                        "template_use",
                        "scheduled",
                        "catch_up",
                        "backfill",
                        "publication",
                    ]
                ),
                name="jobs_job_trigger_valid",
            ),
            # One occurrence of a series has one Job, whoever dispatches it and
            # however (on time or as a catch-up). Its index also serves the run
            # ledger's "the schedule's runs in [from, to)".
            models.UniqueConstraint(
                fields=["scheduled_job", "scheduled_for"],
                condition=Q(
                    scheduled_job__isnull=False,
                    scheduled_for__isnull=False,
                    trigger__in=["scheduled", "catch_up", "backfill"],
                ),
                name="jobs_job_unique_occurrence",
            ),
        ]
        indexes = [
            # Job lists: a workspace's jobs, newest first.
            models.Index(fields=["workspace", "-created_at"], name="job_ws_created_idx"),
            # The sweeper: unfinished jobs by status and age.
            models.Index(
                fields=["status", "queued_at"],
                condition=Q(status__in=["pending", "queued", "running"]),
                name="job_sweeper_idx",
            ),
            # Campaign stats and dashboards.
            models.Index(fields=["campaign", "status"], name="job_campaign_status_idx"),
            # A schedule's run history, newest first.
            models.Index(fields=["scheduled_job", "-scheduled_for"], name="job_schedule_runs_idx"),
            # The sweeper's timeout scan: running jobs by start time.
            models.Index(
                fields=["started_at"],
                condition=Q(status="running"),
                name="job_running_started_idx",
            ),
            # The status endpoint: has any run started in the last few seconds?
            models.Index(fields=["started_at"], name="job_started_idx"),
            # Job list filtered by template ("runs of this template").
            models.Index(fields=["template", "-created_at"], name="job_template_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class JobAttempt(models.Model):
    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="jobs_jobattempt_unique_number"),
            models.CheckConstraint(
                condition=Q(outcome__in=["succeeded", "retrying", "failed"]),
                name="jobs_jobattempt_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.job_id}: {self.outcome}"


class WorkerHeartbeat(models.Model):
    """A live Celery worker (main process), beating every few seconds.

    A run whose worker has stopped beating is no longer "going": the sweeper
    takes it back within seconds instead of waiting for the broker's
    visibility timeout or the job timeout (``jobs.liveness``).
    """

    node = models.CharField(max_length=255)
    worker_pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["node", "worker_pid"], name="worker_heartbeat_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.node}:{self.worker_pid}"
