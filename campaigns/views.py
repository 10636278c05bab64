"""Campaign pages: list with progress, dashboard, create/edit/duplicate/archive."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaigns import services
from campaigns.forms import CampaignForm
from campaigns.models import Campaign
from campaigns.selectors import campaign_progress, campaign_stats, campaigns_with_totals
from scheduler_site.pages import (
    add_workspace_choice,
    apply_validation_error,
    can_write,
    current_workspace,
    error_text,
    get_scoped_or_404,
    page,
    redirect_with_feedback,
    render_form,
    require_write,
    scoped,
)

LIST_FILTERS = ("status", "tag", "q")


def _campaign_rows(request):
    """The list, with each campaign's totals from one query whatever its length."""
    rows = scoped(request, campaigns_with_totals())
    status = request.GET.get("status", "")
    if status in Campaign.Status.values:
        rows = rows.filter(status=status)
    elif not status:
        rows = rows.exclude(status=Campaign.Status.ARCHIVED)
    if tag := request.GET.get("tag", "").strip():
        rows = rows.filter(tags__has_element=tag)
    if query := request.GET.get("q", "").strip():
        rows = rows.filter(Q(name__icontains=query) | Q(description__icontains=query))
    return rows.order_by("-created_at")


def _with_progress(campaign: Campaign, now) -> Campaign:
    """The card's bars, from the annotated row (the ratios the stats endpoint gives)."""
    campaign.progress = campaign_progress(
        campaign, total_jobs=campaign.job_total, spent_usd=campaign.spent_usd, now=now
    )
    return campaign


@page
def campaign_list(request):
    now = timezone.now()
    context = {
        "campaigns": [_with_progress(row, now) for row in _campaign_rows(request)[:200]],
        "statuses": Campaign.Status.choices,
        "filters": {name: request.GET.get(name, "") for name in LIST_FILTERS},
    }
    if request.htmx and request.htmx.target == "campaign-rows":
        return render(request, "campaigns/campaign_list.html#rows", context)
    return render(request, "campaigns/campaign_list.html", context)


@page
def campaign_detail(request, pk):
    campaign = get_scoped_or_404(request, Campaign.objects.select_related("workspace"), pk)
    context = {
        "campaign": campaign,
        "stats": campaign_stats(campaign),
        "schedules": campaign.scheduled_jobs.order_by("next_run_at", "name")[:20],
        "templates": campaign.templates.order_by("-is_favorite", "name")[:20],
        "recent_runs": campaign.jobs.order_by("-created_at")[:15],
        "can_write": can_write(request, campaign.workspace_id),
    }
    return render(request, "campaigns/campaign_detail.html", context)


@page
def campaign_create(request):
    workspace = current_workspace(request)
    form = CampaignForm(request.POST or None)
    add_workspace_choice(form, request, workspace)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["workspace"]
        require_write(request, target.pk)
        try:
            campaign = services.campaign_create(
                workspace=target, created_by=request.user, **form.service_fields()
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect_with_feedback(
                request, reverse("campaigns:detail", args=[campaign.pk]), "Campaign created."
            )
    return _form_page(request, form, campaign=None)


@page
def campaign_edit(request, pk):
    campaign = get_scoped_or_404(request, Campaign.objects.select_related("workspace"), pk)
    if request.method == "POST":
        require_write(request, campaign.workspace_id)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_update(campaign=campaign, **form.service_fields())
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect_with_feedback(
                request, reverse("campaigns:detail", args=[campaign.pk]), "Campaign saved."
            )
    return _form_page(request, form, campaign=campaign)


def _form_page(request, form, *, campaign):
    return render_form(
        request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign}
    )


@require_POST
@page
def campaign_duplicate(request, pk):
    campaign = get_scoped_or_404(request, Campaign.objects.select_related("workspace"), pk)
    require_write(request, campaign.workspace_id)
    from campaigns import lifecycle  # written alongside (issue 6); imported late on purpose

    try:
        copy = lifecycle.campaign_duplicate(campaign=campaign, actor=request.user)
    except ValidationError as error:
        return _action_failed(request, campaign, error)
    return redirect_with_feedback(
        request, reverse("campaigns:detail", args=[copy.pk]), f"Duplicated as “{copy.name}”."
    )


@require_POST
@page
def campaign_archive(request, pk):
    campaign = get_scoped_or_404(request, Campaign.objects.select_related("workspace"), pk)
    require_write(request, campaign.workspace_id)
    from campaigns import lifecycle

    try:
        lifecycle.campaign_archive(campaign=campaign, actor=request.user)
    except ValidationError as error:
        return _action_failed(request, campaign, error)
    return redirect_with_feedback(
        request, reverse("campaigns:detail", args=[campaign.pk]), "Campaign archived."
    )


def _action_failed(request, campaign, error):
    return redirect_with_feedback(
        request, reverse("campaigns:detail", args=[campaign.pk]), error_text(error), "error"
    )
