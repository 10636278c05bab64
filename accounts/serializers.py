"""Token serializers: sign-in limits, sign-out generations, refresh rotation."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import signin
from accounts.authentication import GENERATION_CLAIM, check_generation
from accounts.services import current_generation
from scheduler_site.api.serializers import Serializer, StrictFieldsMixin


class TokenObtainPairSerializer(StrictFieldsMixin, jwt_serializers.TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token[GENERATION_CLAIM] = current_generation(user.pk)
        return token

    def validate(self, attrs):
        request = self.context.get("request")
        try:
            data = super().validate(attrs)
        except exceptions.AuthenticationFailed:
            wait = getattr(request, signin.THROTTLED_ATTR, None)
            if wait:
                raise exceptions.Throttled(
                    wait=wait, detail=str(_("Too many sign-in attempts."))
                ) from None
            raise
        signin.record_success(attrs[self.username_field])
        return data


class TokenRefreshSerializer(StrictFieldsMixin, jwt_serializers.TokenRefreshSerializer):
    """Refuses refresh tokens of deleted users, from before a password change
    or a sign-out everywhere; one refresh token is exchanged at most once."""

    def validate(self, attrs):
        refresh = RefreshToken(attrs["refresh"])
        user_id = refresh.get(api_settings.USER_ID_CLAIM)
        user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user is None:
            raise exceptions.AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_REVOKE_TOKEN and refresh.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise exceptions.AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        check_generation(refresh, user)
        with transaction.atomic():
            # Two requests racing with the same token: the second waits here and
            # then finds it blacklisted.
            list(
                OutstandingToken.objects.select_for_update().filter(
                    jti=refresh[api_settings.JTI_CLAIM]
                )
            )
            return super().validate(attrs)


class LogoutSerializer(Serializer):
    refresh = serializers.CharField(help_text="The refresh token to end.")

    def validate_refresh(self, value):
        try:
            # Signature and expiry, but not the blacklist: signing out twice is fine.
            untyped = UntypedToken(value)
        except TokenError:
            raise serializers.ValidationError(_("Not a valid, unexpired refresh token.")) from None
        if untyped.get(api_settings.TOKEN_TYPE_CLAIM) != RefreshToken.token_type:
            raise serializers.ValidationError(_("Not a valid, unexpired refresh token."))
        request = self.context["request"]
        owner = untyped.get(api_settings.USER_ID_CLAIM)
        if request.user.is_authenticated and str(owner) != str(request.user.pk):
            raise serializers.ValidationError(_("This refresh token belongs to another user."))
        return RefreshToken(value, verify=False)

    def save(self):
        self.validated_data["refresh"].blacklist()
