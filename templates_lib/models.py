from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from scheduler_site.fields import BoundedJSONField
from scheduler_site.lib.validators import (
    DESCRIPTION_MAX_LENGTH,
    validate_country,
    validate_hostname,
    validate_language,
    validate_metadata,
    validate_tags,
)


class JobTemplate(models.Model):
    """A reusable job configuration; "use" turns it into a Job."""

    class LLMProvider(models.TextChoices):
        ANTHROPIC = "anthropic", "Anthropic"
        OPENAI = "openai", "OpenAI"
        GOOGLE = "google", "Google"

    class WritingStrategy(models.TextChoices):
        STANDARD = "standard", "Standard"
        EXPERT = "expert", "Expert"
        COMPREHENSIVE = "comprehensive", "Comprehensive"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="job_templates"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Deleting a campaign deletes its templates (the original API's cascade).
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="templates",
    )
    name = models.CharField(max_length=255)
    description = models.TextField(
        blank=True,
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)],
    )
    publisher_domain = models.CharField(max_length=253, blank=True, validators=[validate_hostname])
    llm_provider = models.CharField(
        max_length=16, choices=LLMProvider.choices, default=LLMProvider.ANTHROPIC
    )
    llm_model = models.CharField(max_length=128, blank=True)
    writing_strategy = models.CharField(
        max_length=16, choices=WritingStrategy.choices, default=WritingStrategy.STANDARD
    )
    country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    language = models.CharField(max_length=35, blank=True, validators=[validate_language])
    max_retries = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    # The first wait before a retry (jobs/retries.py); empty: the installation's default.
    retry_backoff_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text="Seconds before the first retry (each later one waits longer). "
        "Empty: the default of about a minute.",
    )
    batch_size = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    metadata = BoundedJSONField(default=dict, blank=True, validators=[validate_metadata])
    use_count = models.PositiveIntegerField(default=0)
    is_favorite = models.BooleanField(default=False)
    tags = BoundedJSONField(default=list, blank=True, validators=[validate_tags])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_favorite", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(llm_provider__in=["anthropic", "openai", "google"]),
                name="templates_lib_jobtemplate_provider_valid",
            ),
            models.CheckConstraint(
                condition=Q(writing_strategy__in=["standard", "expert", "comprehensive"]),
                name="templates_lib_jobtemplate_strategy_valid",
            ),
            models.CheckConstraint(
                condition=Q(max_retries__lte=10), name="templates_lib_jobtemplate_retries_range"
            ),
            models.CheckConstraint(
                condition=Q(batch_size__gte=1, batch_size__lte=100),
                name="templates_lib_jobtemplate_batch_range",
            ),
        ]
        indexes = [
            # The template library: a workspace's templates, favourites first.
            models.Index(
                fields=["workspace", "-is_favorite", "name"], name="template_ws_fav_name_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # The fields a Job's config takes from its template (and "use" may override).
    CONFIG_FIELDS = (
        "publisher_domain",
        "llm_provider",
        "llm_model",
        "writing_strategy",
        "country",
        "language",
        "max_retries",
        "retry_backoff_seconds",
        "batch_size",
        "metadata",
    )

    def as_config(self) -> dict:
        config = {field: getattr(self, field) for field in self.CONFIG_FIELDS}
        if config["retry_backoff_seconds"] is None:
            del config["retry_backoff_seconds"]  # unset: the job's own or the default
        return config
