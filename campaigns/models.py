from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import models
from django.db.models import F, Q

from scheduler_site.fields import BoundedJSONField
from scheduler_site.lib.validators import (
    DESCRIPTION_MAX_LENGTH,
    validate_hex_color,
    validate_non_negative,
    validate_tags,
    validate_timezone,
)


def validate_campaign_dates(start_date, end_date) -> None:
    """The one place the date rule lives; serializers and forms call it too."""
    if start_date and end_date and end_date < start_date:
        raise ValidationError({"end_date": "The end date cannot be before the start date."})


def validate_campaign_recurrence(campaign) -> None:
    """A recurring campaign needs a type and an end (a date or a count)."""
    if not campaign.is_recurring:
        return
    errors = {}
    if not campaign.recurrence_type:
        errors["recurrence_type"] = "A recurring campaign needs a recurrence type."
    if campaign.recurrence_end_date is None and not campaign.recurrence_count:
        errors["recurrence_end_date"] = "A recurrence needs an end date or a count."
    if errors:
        raise ValidationError(errors)


class Campaign(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        ARCHIVED = "archived", "Archived"

    class RecurrenceType(models.TextChoices):
        # The recurrence types of scheduled jobs, computed by schedules/recurrence.py.
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        CRON = "cron", "Cron"
        RRULE = "rrule", "RRULE"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="campaigns"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(max_length=255, validators=[MinLengthValidator(1)])
    description = models.TextField(
        blank=True,
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)],
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    color = models.CharField(max_length=7, default="#1E88E5", validators=[validate_hex_color])
    tags = BoundedJSONField(default=list, blank=True, validators=[validate_tags])
    target_job_count = models.PositiveIntegerField(null=True, blank=True)
    target_budget_usd = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[validate_non_negative],
    )
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # --- Lifecycle (campaigns/lifecycle.py) ---------------------------------
    scheduled_at = models.DateTimeField(
        null=True, blank=True, help_text="When the campaign starts (an instant, stored in UTC)."
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    is_recurring = models.BooleanField(default=False)
    recurrence_type = models.CharField(max_length=16, choices=RecurrenceType.choices, blank=True)
    recurrence_pattern = models.CharField(max_length=500, blank=True)
    recurrence_end_date = models.DateTimeField(null=True, blank=True)
    recurrence_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many occurrences in all (the first included)."
    )
    # The next lifecycle event: the scheduled start, then each occurrence of a
    # recurring campaign. None when nothing is pending.
    next_run_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Duplicates and recurring occurrences record where they came from; they
    # outlive their parent.
    parent_campaign = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # The nominal time of the occurrence a recurring child was made for.
    occurrence_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    previous_status = models.CharField(
        max_length=16, choices=Status.choices, blank=True, help_text="Restored by unarchive."
    )
    budget_reached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "paused", "completed", "archived"]),
                name="campaigns_campaign_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="campaigns_campaign_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(target_budget_usd__isnull=True) | Q(target_budget_usd__gte=0),
                name="campaigns_campaign_budget_non_negative",
            ),
            # One child per occurrence of a recurring campaign, whoever runs the lifecycle.
            models.UniqueConstraint(
                fields=["parent_campaign", "occurrence_at"],
                condition=Q(occurrence_at__isnull=False),
                name="campaigns_campaign_unique_occurrence",
            ),
            models.CheckConstraint(
                condition=Q(
                    recurrence_type__in=["", "daily", "weekly", "monthly", "cron", "rrule"]
                ),
                name="campaigns_campaign_recurrence_type_valid",
            ),
            # A recurrence has a type and ends (an end date or a count).
            models.CheckConstraint(
                condition=Q(is_recurring=False)
                | (
                    ~Q(recurrence_type="")
                    & (Q(recurrence_end_date__isnull=False) | Q(recurrence_count__isnull=False))
                ),
                name="campaigns_campaign_recurrence_bounded",
            ),
            models.CheckConstraint(
                condition=Q(status="archived", archived_at__isnull=False)
                | (~Q(status="archived") & Q(archived_at__isnull=True)),
                name="campaigns_campaign_archived_at_set",
            ),
            models.CheckConstraint(
                condition=Q(previous_status__in=["", "active", "paused", "completed"]),
                name="campaigns_campaign_previous_status_valid",
            ),
        ]
        indexes = [
            # The campaign list: a workspace's campaigns, newest first.
            models.Index(fields=["workspace", "-created_at"], name="campaign_ws_created_idx"),
            # The lifecycle task and /campaigns/scheduled: pending starts and occurrences.
            models.Index(
                fields=["next_run_at"],
                condition=Q(next_run_at__isnull=False),
                name="campaign_lifecycle_due_idx",
            ),
            # The lifecycle task's automatic end: running campaigns by end date.
            models.Index(
                fields=["end_date"],
                condition=Q(status__in=["active", "paused"], end_date__isnull=False),
                name="campaign_end_due_idx",
            ),
            # /campaigns/archived: a workspace's archived campaigns, latest first.
            models.Index(
                fields=["workspace", "-archived_at"],
                condition=Q(status="archived"),
                name="campaign_ws_archived_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        validate_campaign_dates(self.start_date, self.end_date)
        validate_campaign_recurrence(self)

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED
