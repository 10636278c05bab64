from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models import F, Q

from scheduler_site.lib.validators import (
    validate_hex_color,
    validate_non_negative,
    validate_tags,
)


def validate_campaign_dates(start_date, end_date) -> None:
    """The one place the date rule lives; serializers and forms call it too."""
    if start_date and end_date and end_date < start_date:
        raise ValidationError({"end_date": "The end date cannot be before the start date."})


class Campaign(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        ARCHIVED = "archived", "Archived"

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
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    color = models.CharField(max_length=7, default="#1E88E5", validators=[validate_hex_color])
    tags = models.JSONField(default=list, blank=True, validators=[validate_tags])
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
        ]
        indexes = [
            # The campaign list: a workspace's campaigns, newest first.
            models.Index(fields=["workspace", "-created_at"], name="campaign_ws_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        validate_campaign_dates(self.start_date, self.end_date)
