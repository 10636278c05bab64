from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tasks import flush_expired_tokens


@pytest.mark.django_db
def test_expired_refresh_tokens_are_pruned_and_live_ones_kept(user):
    live = RefreshToken.for_user(user)
    expired = RefreshToken.for_user(user)
    OutstandingToken.objects.filter(jti=expired["jti"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert flush_expired_tokens() == 1

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live["jti"]]
