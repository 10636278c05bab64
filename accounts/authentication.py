"""JWT authentication that reads no user row, and still honours every revocation.

simplejwt's own class loads the user on every request to check the active
flag (CHECK_USER_IS_ACTIVE) and the password-derived claim (CHECK_REVOKE_TOKEN);
this one checks those and the "sign out everywhere" generation against the
user's cached ``CredentialState`` (``accounts/selectors.py``, replaced on every
change), with simplejwt's messages and codes. The user it returns has only its
id and active flag loaded: views need no more than the id, and any other field
is read from the database the first time something asks for it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.selectors import CredentialState, credential_state
from accounts.services import current_generation

GENERATION_CLAIM = "sgen"


def check_generation(token, user) -> None:
    _check_generation(token, current_generation(user.pk))


def _check_generation(token, generation: int) -> None:
    if token.get(GENERATION_CLAIM, 0) != generation:
        raise AuthenticationFailed(
            _("This token was signed out everywhere; sign in again."), code="signed_out"
        )


def check_credentials(token, state: CredentialState | None) -> None:
    """simplejwt's checks, in its order, plus the sign-out generation."""
    if state is None:
        raise AuthenticationFailed(_("User not found"), code="user_not_found")
    if api_settings.CHECK_USER_IS_ACTIVE and not state.is_active:
        raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
    if (
        api_settings.CHECK_REVOKE_TOKEN
        and token.get(api_settings.REVOKE_TOKEN_CLAIM) != state.revoke_claim
    ):
        raise AuthenticationFailed(
            _("The user's password has been changed."), code="password_changed"
        )
    _check_generation(token, state.generation)


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user_model = get_user_model()
        try:
            pk = user_model._meta.pk.to_python(user_id)
        except ValidationError:  # a claim that is no id at all names no user
            raise AuthenticationFailed(_("User not found"), code="user_not_found") from None
        check_credentials(validated_token, credential_state(pk))
        # As loaded from the database with every other field deferred.
        return user_model.from_db(
            DEFAULT_DB_ALIAS, [user_model._meta.pk.attname, "is_active"], [pk, True]
        )
