"""Writes for sign-out and token revocation."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import AuthState
from accounts.selectors import refresh_credential_state


def current_generation(user_id) -> int:
    generation = (
        AuthState.objects.filter(user_id=user_id).values_list("generation", flat=True).first()
    )
    return generation or 0


def revoke_refresh_tokens(user) -> int:
    """Blacklist every unexpired refresh token issued to ``user``; returns how many."""
    outstanding = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    rows = [BlacklistedToken(token=token) for token in outstanding]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def sign_out_everywhere(user) -> int:
    """End every session and token of ``user``: refresh tokens are blacklisted,
    and access tokens and web sessions from before now stop working."""
    AuthState.objects.get_or_create(user=user)
    AuthState.objects.filter(user=user).update(
        generation=F("generation") + 1, signed_out_everywhere_at=timezone.now()
    )
    refresh_credential_state(user.pk)
    return revoke_refresh_tokens(user)
