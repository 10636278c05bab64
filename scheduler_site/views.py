from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from campaigns.models import Campaign
from templates_lib.models import JobTemplate
from workspaces.selectors import workspaces_for


@login_required
def home(request):
    workspaces = workspaces_for(request.user)
    campaigns = Campaign.objects.filter(workspace__in=workspaces).select_related("workspace")[:50]
    templates = (
        JobTemplate.objects.filter(workspace__in=workspaces)
        .select_related("workspace", "campaign")
        .order_by("-is_favorite", "name")[:50]
    )
    return render(request, "home.html", {"campaigns": campaigns, "templates": templates})


def healthz(request):
    """Liveness for load balancers: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
