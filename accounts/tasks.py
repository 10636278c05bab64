"""Periodic housekeeping for sign-in state."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken


@shared_task(name="accounts.tasks.flush_expired_tokens")
def flush_expired_tokens() -> int:
    """Drop refresh tokens past their expiry (and their blacklist entries):
    an expired token is refused anyway, so the rows only grow the tables."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
