from __future__ import annotations

import secrets
import uuid

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from marketing.topoff import DAYS_PER_WEEK, MAX_POSTS_PER_WEEK, parse_schedule_times
from scheduler_site.fields import BoundedJSONField
from scheduler_site.lib.validators import (
    CONTENT_BODY_MAX_LENGTH,
    validate_github_repository,
    validate_metadata,
    validate_outbound_url,
    validate_timezone,
)

SECRET_SETTING_WORDS = ("token", "secret", "password")


def validate_schedule_times(value) -> None:
    try:
        parse_schedule_times(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def validate_channel_settings(value) -> None:
    validate_metadata(value)
    repository = value.get("repository")
    if repository is not None:
        try:
            validate_github_repository(repository)
        except ValidationError as exc:
            raise ValidationError(f"settings.repository: {exc.messages[0]}") from None


def generate_wave_id() -> str:
    return f"wave-{secrets.token_hex(4)}"


class ChannelAccount(models.Model):
    """A place posts go (an X account, a YouTube channel...) with its cadence."""

    class Platform(models.TextChoices):
        # Suggestions only: any platform name is accepted.
        X = "x", "X (Twitter)"
        LINKEDIN = "linkedin", "LinkedIn"
        INSTAGRAM = "instagram", "Instagram"
        FACEBOOK = "facebook", "Facebook"
        YOUTUBE = "youtube", "YouTube"
        TIKTOK = "tiktok", "TikTok"
        BLOG = "blog", "Blog"
        NEWSLETTER = "newsletter", "Newsletter"

    class Executor(models.TextChoices):
        NOOP = "noop", "No-op (records completion)"
        WEBHOOK = "webhook", "Webhook (signed HTTP POST)"
        GITHUB_DISPATCH = "github_dispatch", "GitHub repository_dispatch"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="channel_accounts"
    )
    platform = models.CharField(max_length=50)
    name = models.CharField(max_length=255)
    handle = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    is_paused = models.BooleanField(default=False)
    posts_per_week = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_POSTS_PER_WEEK)]
    )
    schedule_timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone]
    )
    schedule_times = BoundedJSONField(
        default=list, blank=True, validators=[validate_schedule_times]
    )
    # The seed's one-minute overlap window: two posts closer than this conflict.
    min_gap_minutes = models.PositiveIntegerField(
        default=1, validators=[MaxValueValidator(7 * 24 * 60)]
    )
    executor = models.CharField(max_length=32, choices=Executor.choices, default=Executor.NOOP)
    target_url = models.URLField(max_length=500, blank=True, validators=[validate_outbound_url])
    # Executor settings: github_dispatch reads repository, event_type and
    # github_token here. Secrets are never shown by the API or written to logs.
    settings = BoundedJSONField(default=dict, blank=True, validators=[validate_channel_settings])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(posts_per_week__lte=MAX_POSTS_PER_WEEK),
                name="marketing_channelaccount_posts_per_week_range",
            ),
            models.CheckConstraint(
                condition=Q(executor__in=["noop", "webhook", "github_dispatch"]),
                name="marketing_channelaccount_executor_valid",
            ),
        ]
        indexes = [
            # Top-off: a workspace's active, unpaused channels.
            models.Index(
                fields=["workspace"],
                condition=Q(is_active=True, is_paused=False),
                name="channel_topoff_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.platform})"

    def clean(self):
        errors: dict[str, str] = {}
        try:
            self.schedule_times = parse_schedule_times(self.schedule_times or [])
        except ValueError as exc:
            errors["schedule_times"] = str(exc)
        else:
            capacity = DAYS_PER_WEEK * len(self.schedule_times)
            if self.posts_per_week and self.posts_per_week > capacity:
                errors["posts_per_week"] = (
                    f"{self.posts_per_week} posts a week need at least "
                    f"{-(-self.posts_per_week // DAYS_PER_WEEK)} schedule_times "
                    f"(each time gives at most 7 posts a week); there are "
                    f"{len(self.schedule_times)}."
                )
        if self.executor == self.Executor.WEBHOOK and not self.target_url:
            errors["target_url"] = "A webhook channel needs a target_url."
        if self.executor == self.Executor.GITHUB_DISPATCH:
            settings = self.settings or {}
            if not settings.get("repository"):
                errors["settings"] = (
                    'A github_dispatch channel needs settings.repository ("owner/repo").'
                )
            elif not settings.get("github_token"):
                errors["settings"] = "A github_dispatch channel needs settings.github_token."
        if errors:
            raise ValidationError(errors)

    @property
    def public_settings(self) -> dict:
        """The settings with every secret masked (for the API, admin and logs)."""
        return {
            key: (
                "********" if any(word in key.lower() for word in SECRET_SETTING_WORDS) else value
            )
            for key, value in (self.settings or {}).items()
        }


class ContentItem(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        READY = "ready", "Ready"
        ARCHIVED = "archived", "Archived"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="content_items"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="content_items",
    )
    title = models.CharField(max_length=255)
    body = models.TextField(
        blank=True,
        max_length=CONTENT_BODY_MAX_LENGTH,
        validators=[MaxLengthValidator(CONTENT_BODY_MAX_LENGTH)],
    )
    media_url = models.URLField(max_length=1000, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "ready", "archived"]),
                name="marketing_contentitem_status_valid",
            ),
        ]
        indexes = [
            # The content list: a workspace's items, newest first.
            models.Index(fields=["workspace", "-created_at"], name="content_ws_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.campaign_id and self.campaign.workspace_id != self.workspace_id:
            raise ValidationError({"campaign": "campaign not found"})


class Wave(models.Model):
    """One content item published across several channels in a coordinated way."""

    class Type(models.TextChoices):
        SIMULTANEOUS = "simultaneous", "Simultaneous (one instant)"
        STAGGERED = "staggered", "Staggered (fixed delay between channels)"
        INDEPENDENT = "independent", "Independent (each channel's next free slot)"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="waves"
    )
    wave_id = models.CharField(max_length=64, default=generate_wave_id)
    # CASCADE so deleting a workspace works; content_delete refuses content in use.
    content_item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="waves")
    type = models.CharField(max_length=16, choices=Type.choices)
    start_at = models.DateTimeField(null=True, blank=True)
    delay_seconds = models.PositiveIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(30 * 24 * 3600)]
    )
    # Channel ids in the order given; staggered posts follow it.
    channel_order = BoundedJSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    metadata = BoundedJSONField(default=dict, blank=True, validators=[validate_metadata])
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "wave_id"], name="marketing_wave_unique_wave_id"
            ),
            models.CheckConstraint(
                condition=Q(type__in=["simultaneous", "staggered", "independent"]),
                name="marketing_wave_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "paused", "completed", "cancelled"]),
                name="marketing_wave_status_valid",
            ),
        ]
        indexes = [
            # The wave list: a workspace's waves, newest first.
            models.Index(fields=["workspace", "-created_at"], name="wave_ws_created_idx"),
        ]

    def __str__(self) -> str:
        return self.wave_id


class Post(models.Model):
    """A slot on a channel at an instant; with content it gets published.

    No content and status planned = a planned slot made by top-off.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned (empty slot)"
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHING = "publishing", "Publishing"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        MISSED = "missed", "Missed"

    FINAL = (Status.PUBLISHED, Status.FAILED, Status.CANCELLED, Status.MISSED)
    # Top-off and slot clearing may only ever touch these.
    OPEN = (Status.PLANNED, Status.DRAFT)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="posts"
    )
    channel_account = models.ForeignKey(
        ChannelAccount, on_delete=models.CASCADE, related_name="posts"
    )
    content_item = models.ForeignKey(
        ContentItem, null=True, blank=True, on_delete=models.CASCADE, related_name="posts"
    )
    wave = models.ForeignKey(
        Wave, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    is_paused = models.BooleanField(default=False)
    # The publication run; its attempts are the execution log.
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    executed_at = models.DateTimeField(null=True, blank=True)
    execution_result = models.JSONField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_for"]
        constraints = [
            # Top-off's idempotency: one post per channel and instant.
            models.UniqueConstraint(
                fields=["workspace", "channel_account", "scheduled_for"],
                name="marketing_post_unique_channel_time",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "planned",
                        "draft",
                        "scheduled",
                        "publishing",
                        "published",
                        "failed",
                        "cancelled",
                        "missed",
                    ]
                ),
                name="marketing_post_status_valid",
            ),
            # A planned slot is empty; anything on its way out carries content.
            models.CheckConstraint(
                condition=~Q(status="planned", content_item__isnull=False)
                & ~Q(
                    status__in=["scheduled", "publishing", "published", "failed"],
                    content_item__isnull=True,
                ),
                name="marketing_post_content_matches_status",
            ),
        ]
        indexes = [
            # The calendar: a workspace's posts in a date range, by time.
            models.Index(fields=["workspace", "scheduled_for"], name="post_calendar_idx"),
            # The publisher: scheduled posts (and empty planned slots) due by now.
            models.Index(
                fields=["scheduled_for"],
                condition=Q(status__in=["planned", "scheduled"]),
                name="post_due_idx",
            ),
            # Duplicate-content checks: a content item's posts on a channel.
            models.Index(
                fields=["content_item", "channel_account"], name="post_content_channel_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_account_id} at {self.scheduled_for:%Y-%m-%d %H:%M} ({self.status})"
