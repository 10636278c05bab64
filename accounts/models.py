"""Per-user sign-in state that outlives a single token or session."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuthState(models.Model):
    """``generation`` goes up on "sign out everywhere".

    Every JWT carries the generation it was issued in and every web session
    remembers the one it signed in at; anything older is refused.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="auth_state",
    )
    generation = models.PositiveIntegerField(default=0)
    signed_out_everywhere_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: generation {self.generation}"
