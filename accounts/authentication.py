"""JWT authentication that also refuses tokens from before "sign out everywhere".

simplejwt already refuses inactive users (CHECK_USER_IS_ACTIVE) and tokens
issued before a password change (CHECK_REVOKE_TOKEN).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from accounts.services import current_generation

GENERATION_CLAIM = "sgen"


def check_generation(token, user) -> None:
    if token.get(GENERATION_CLAIM, 0) != current_generation(user.pk):
        raise AuthenticationFailed(
            _("This token was signed out everywhere; sign in again."), code="signed_out"
        )


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        check_generation(validated_token, user)
        return user
