"""drf-spectacular: document this app's simplejwt subclasses like simplejwt's own."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import (
    SimpleJWTScheme,
    TokenObtainPairSerializerExtension,
    TokenRefreshSerializerExtension,
)


class JWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.JWTAuthentication"


class TokenObtainPairExtension(TokenObtainPairSerializerExtension):
    target_class = "accounts.serializers.TokenObtainPairSerializer"


class TokenRefreshExtension(TokenRefreshSerializerExtension):
    target_class = "accounts.serializers.TokenRefreshSerializer"
