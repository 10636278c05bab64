from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse


def home(request):
    """The calendar is the home page once signed in; everyone else signs in first."""
    if request.user.is_authenticated:
        return redirect("planner:calendar")
    return redirect_to_login(reverse("planner:calendar"))


def healthz(request):
    """Liveness for load balancers: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
