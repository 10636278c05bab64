"""Letting a health endpoint answer while the database is down.

Checking credentials reads the user from the database, so with the database
down every authenticated request would be a 500 before the view runs. The
status endpoint must say "503, the database is down" instead. Its
authenticators are wrapped so that a database error while checking
credentials leaves the request anonymous and marked ``database_down``, and its
permission lets such a request through to the view, which then answers the
components alone: nothing about any tenant, no error text.

A request with no credentials at all is still a 401: reaching the database is
what tells an outage apart from a caller who is not signed in.
"""

from __future__ import annotations

from django.db import Error as DatabaseError
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings

from scheduler_site.lib.components import DATABASE

DATABASE_DOWN_ATTR = "database_down"
# The security schemes of the default authentication classes, as the schema names them.
SCHEMA_AUTH = [{"jwtAuth": []}, {"cookieAuth": []}]


class OutageTolerantAuthentication(BaseAuthentication):
    wrapped: type[BaseAuthentication]

    def __init__(self):
        self.inner = self.wrapped()

    def authenticate(self, request):
        try:
            return self.inner.authenticate(request)
        except DatabaseError as exc:
            DATABASE.failed(exc)
            setattr(request, DATABASE_DOWN_ATTR, True)
            return None

    def authenticate_header(self, request):
        return self.inner.authenticate_header(request)


def outage_tolerant_authentication() -> list[type[BaseAuthentication]]:
    """The default authentication classes, each wrapped as above.

    drf-spectacular cannot document these (it names a security scheme after
    the authenticator's class): give the view ``extend_schema(auth=SCHEMA_AUTH)``."""
    return [
        type(f"OutageTolerant{cls.__name__}", (OutageTolerantAuthentication,), {"wrapped": cls})
        for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES
    ]


def database_is_down(request) -> bool:
    return bool(getattr(request, DATABASE_DOWN_ATTR, False))


class IsAuthenticatedOrDatabaseDown(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) or database_is_down(request)
