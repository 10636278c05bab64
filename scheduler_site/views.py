from __future__ import annotations

import sys

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from scheduler_site.lib import components


def home(request):
    """The calendar is the home page once signed in; everyone else signs in first."""
    if request.user.is_authenticated:
        return redirect("planner:calendar")
    return redirect_to_login(reverse("planner:calendar"))


def healthz(request):
    """For load balancers and monitors: this process answers, and so do the
    database, the broker and the cache. 503 names the ones that are down and
    since when (as this process saw it); error texts, which can name hosts,
    are only logged. Each check is bounded (scheduler_site/lib/components.py)."""
    checked = {
        "database": components.check_database(),
        "broker": components.check_broker(),
        "cache": components.check_cache(),
    }
    healthy = all(component.ok for component in checked.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "healthy": healthy,
        "components": {name: component.state(detail=False) for name, component in checked.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)


def server_error(request):
    """Django's 500 handler, with one exception: a request that failed because
    the database is unreachable (the session or the user could not be read)
    is a 503 with Retry-After, since it will work again once the database is
    back. Called while the exception is being handled, so it can be seen here."""
    from django.db import InterfaceError, OperationalError
    from django.views.defaults import server_error as django_server_error

    error = sys.exc_info()[1]
    if not isinstance(error, (OperationalError, InterfaceError)):
        return django_server_error(request)
    detail = "The database is unavailable; try again in a few seconds."
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": detail}, status=503)
    else:
        response = HttpResponse(
            f"<!doctype html><title>Unavailable</title><h1>Unavailable</h1><p>{detail}</p>",
            status=503,
        )
    response["Retry-After"] = "5"
    return response
