"""POST /api/v1/auth/logout/ and /api/v1/auth/logout-all/."""

from __future__ import annotations

from django.contrib.auth import logout
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import LogoutSerializer


class LogoutView(APIView):
    """End one refresh token (this client's sign-in). Works without an access token."""

    permission_classes = [permissions.AllowAny]
    serializer_class = LogoutSerializer

    @extend_schema(
        request=LogoutSerializer, responses={204: OpenApiResponse(description="Signed out.")}
    )
    def post(self, request):
        serializer = LogoutSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Sign out everywhere: every refresh token, access token and web session of
    the user stops working, this one included."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Signed out everywhere.")},
    )
    def post(self, request):
        services.sign_out_everywhere(request.user)
        if request.user.is_authenticated and hasattr(request._request, "session"):
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
