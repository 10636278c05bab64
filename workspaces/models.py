from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from scheduler_site.lib.validators import validate_outbound_url, validate_timezone


def generate_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Workspace(models.Model):
    """The tenant: every domain row belongs to exactly one workspace."""

    class Executor(models.TextChoices):
        NOOP = "noop", "No-op (records completion)"
        WEBHOOK = "webhook", "Webhook (signed HTTP POST)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=80, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    default_executor = models.CharField(
        max_length=32, choices=Executor.choices, default=Executor.NOOP
    )
    default_webhook_url = models.URLField(
        max_length=500, blank=True, validators=[validate_outbound_url]
    )
    webhook_secret = models.CharField(max_length=128, default=generate_webhook_secret)
    # Workspace-wide publishing pause (marketing): nothing publishes while set.
    publishing_paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        EDITOR = "editor", "Editor"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "workspace"], name="workspaces_membership_unique_user_workspace"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "editor", "viewer"]),
                name="workspaces_membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.EDITOR)
