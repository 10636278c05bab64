"""Channel pages (cadence, top-off, pause/resume), content, and new post / wave forms."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from marketing import services
from marketing.forms import (
    CadenceForm,
    ChannelForm,
    ContentForm,
    PostForm,
    WaveForm,
    conflict_errors,
)
from marketing.models import ChannelAccount, ContentItem, Post
from marketing.selectors import channel_list as channel_rows
from marketing.selectors import content_list as content_rows
from scheduler_site.pages import (
    add_toast,
    add_workspace_choice,
    apply_validation_error,
    can_write,
    current_workspace,
    error_text,
    feedback,
    get_scoped_or_404,
    page,
    redirect_with_feedback,
    render_form,
    require_write,
    scoped,
    writable_workspaces,
)

ZONES = [
    "UTC",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Asia/Tokyo",
    "Australia/Sydney",
]
PLATFORMS = [value for value, _ in ChannelAccount.Platform.choices]


@page
def channel_list(request):
    now = timezone.now()
    channels = (
        scoped(request, channel_rows())
        .annotate(
            planned_ahead=Count(
                "posts", filter=Q(posts__status="planned", posts__scheduled_for__gte=now)
            ),
            scheduled_ahead=Count(
                "posts", filter=Q(posts__status="scheduled", posts__scheduled_for__gte=now)
            ),
        )
        .order_by("name")
    )
    context = {
        "channels": channels,
        "writable": writable_workspaces(request),
        "topoff_workspace": current_workspace(request),
    }
    return render(request, "marketing/channel_list.html", context)


def _channel_context(request, channel, cadence_form=None) -> dict:
    now = timezone.now()
    upcoming = (
        channel.posts.filter(scheduled_for__gte=now)
        .exclude(status=Post.Status.CANCELLED)
        .select_related("content_item", "wave")
        .order_by("scheduled_for")[:30]
    )
    recent = (
        channel.posts.filter(scheduled_for__lt=now)
        .select_related("content_item")
        .order_by("-scheduled_for")[:15]
    )
    return {
        "channel": channel,
        "upcoming": upcoming,
        "recent": recent,
        "cadence_form": cadence_form or CadenceForm(instance=channel),
        "can_write": can_write(request, channel.workspace_id),
        "zones": ZONES,
    }


@page
def channel_detail(request, pk):
    channel = get_scoped_or_404(request, channel_rows(), pk)
    if request.method == "POST":
        return _save_cadence(request, channel)
    return render(request, "marketing/channel_detail.html", _channel_context(request, channel))


def _save_cadence(request, channel):
    require_write(request, channel.workspace_id)
    form = CadenceForm(request.POST, instance=channel)
    if form.is_valid():
        try:
            services.channel_update(channel=channel, **form.service_fields())
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            message = "Cadence saved. Top off to create the new slots."
            if request.htmx:
                context = _channel_context(request, channel)
                response = render(request, "marketing/channel_detail.html#cadence", context)
                return feedback(request, response, message)
            return redirect_with_feedback(
                request, reverse("marketing:channel_detail", args=[channel.pk]), message
            )
    channel.refresh_from_db()
    context = _channel_context(request, channel, cadence_form=form)
    template = (
        "marketing/channel_detail.html#cadence" if request.htmx else "marketing/channel_detail.html"
    )
    return render(request, template, context, status=422)


@page
def channel_create(request):
    form = ChannelForm(
        request.POST or None,
        initial={
            "schedule_timezone": getattr(current_workspace(request), "timezone", "UTC"),
            "posts_per_week": 7,
            "schedule_times": ["10:00"],
        },
    )
    add_workspace_choice(form, request, current_workspace(request))
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["workspace"]
        require_write(request, target.pk)
        try:
            channel = services.channel_create(workspace=target, **form.service_fields())
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect_with_feedback(
                request, reverse("marketing:channel_detail", args=[channel.pk]), "Channel added."
            )
    return _form_page(request, form, channel=None)


@page
def channel_edit(request, pk):
    channel = get_scoped_or_404(request, channel_rows(), pk)
    if request.method == "POST":
        require_write(request, channel.workspace_id)
    form = ChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_update(channel=channel, **form.service_fields())
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect_with_feedback(
                request, reverse("marketing:channel_detail", args=[channel.pk]), "Channel saved."
            )
    return _form_page(request, form, channel=channel)


def _form_page(request, form, *, channel):
    context = {"form": form, "channel": channel, "zones": ZONES, "platforms": PLATFORMS}
    return render_form(request, "marketing/channel_form.html", context)


@require_POST
@page
def channel_pause(request, pk):
    channel = get_scoped_or_404(request, channel_rows(), pk)
    require_write(request, channel.workspace_id)
    services.channel_pause(channel=channel)
    return _channel_answer(
        request, channel, "Channel paused: nothing publishes and top-off skips it."
    )


@require_POST
@page
def channel_resume(request, pk):
    channel = get_scoped_or_404(request, channel_rows(), pk)
    require_write(request, channel.workspace_id)
    try:
        result = services.channel_resume(channel=channel)
    except ValidationError as error:
        return _channel_answer(request, channel, error_text(error), "error")
    note = (
        f" {result.missed} post(s) whose time passed were marked missed." if result.missed else ""
    )
    return _channel_answer(request, channel, "Channel resumed." + note)


def _channel_answer(request, channel, message, level="success"):
    to = reverse("marketing:channel_detail", args=[channel.pk])
    if request.htmx:
        channel.refresh_from_db()
        response = render(
            request, "marketing/channel_detail.html#header", _channel_context(request, channel)
        )
        return feedback(request, response, message, level)
    return redirect_with_feedback(request, to, message, level)


@require_POST
@page
def topoff(request):
    """The seed's "Top off 28 days" button: create missing planned slots, report created/skipped."""
    workspace = current_workspace(request)
    back = _safe_next(request) or reverse("marketing:channel_list")
    if workspace is None:
        return redirect_with_feedback(request, back, "You have no workspace.", "error")
    require_write(request, workspace.pk)
    try:
        result = services.topoff_slots(workspace=workspace, days=request.POST.get("days", 28))
    except ValidationError as error:
        message, level = error_text(error), "error"
    else:
        message = (
            f"{result.message} across {result.accounts_processed} "
            f"channel{'s' if result.accounts_processed != 1 else ''}."
        )
        level = "success"
    if request.htmx:
        from django.http import HttpResponse

        response = add_toast(HttpResponse(status=200), message, level)
        if level == "success":
            import json

            triggers = json.loads(response.headers["HX-Trigger"])
            triggers["calendar-refresh"] = True
            response.headers["HX-Trigger"] = json.dumps(triggers)
        return response
    return redirect_with_feedback(request, back, message, level)


def _safe_next(request) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


# --- content, posts, waves ---------------------------------------------------------------


@page
def content_list(request):
    items = scoped(request, content_rows()).order_by("-created_at")[:300]
    return render(request, "marketing/content_list.html", {"items": items})


@page
def content_create(request):
    form = ContentForm(request.POST or None, campaigns=scoped(request, Campaign.objects.all()))
    add_workspace_choice(form, request, current_workspace(request))
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["workspace"]
        require_write(request, target.pk)
        fields = form.service_fields()
        if fields["campaign"] is not None and fields["campaign"].workspace_id != target.pk:
            form.add_error("campaign", "Choose a campaign of the same workspace.")
        else:
            try:
                services.content_create(workspace=target, **fields)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return redirect_with_feedback(
                    request, reverse("marketing:content_list"), "Content added."
                )
    return _simple_form(request, form, "New content", "Add content")


def _simple_form(request, form, title: str, submit: str, *, intro: str = ""):
    context = {"form": form, "title": title, "submit": submit, "intro": intro}
    return render_form(request, "marketing/simple_form.html", context)


def _workspace_choices(request):
    workspace = current_workspace(request)
    channels = scoped(request, ChannelAccount.objects.all()).filter(
        workspace=workspace, is_active=True
    )
    content = (
        scoped(request, ContentItem.objects.all())
        .filter(workspace=workspace)
        .exclude(status=ContentItem.Status.ARCHIVED)
    )
    return workspace, channels.order_by("name"), content.order_by("-created_at")


@page
def post_create(request):
    workspace, channels, content = _workspace_choices(request)
    form = PostForm(request.POST or None, channels=channels, content=content)
    if request.method == "POST" and form.is_valid():
        require_write(request, workspace.pk)
        try:
            services.post_create(
                workspace=workspace,
                channel_id=form.cleaned_data["channel"].pk,
                scheduled_for=form.cleaned_data["scheduled_for"],
                content_item=form.cleaned_data["content_item"],
            )
        except services.ConflictError as error:
            conflict_errors(form, error)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect_with_feedback(
                request, _calendar_on(form.cleaned_data["scheduled_for"]), "Post scheduled."
            )
    return _simple_form(
        request,
        form,
        "New post",
        "Schedule post",
        intro="Times are in your display time zone: " + request.display_tz,
    )


@page
def wave_create(request):
    workspace, channels, content = _workspace_choices(request)
    form = WaveForm(request.POST or None, channels=channels, content=content)
    if request.method == "POST" and form.is_valid():
        require_write(request, workspace.pk)
        data = form.cleaned_data
        try:
            services.wave_create(
                workspace=workspace,
                content_item_id=data["content_item"].pk,
                type=data["type"],
                channel_ids=[channel.pk for channel in data["channels"]],
                start_at=data["start_at"],
                delay_seconds=data["delay_seconds"] or 0,
                created_by=request.user,
            )
        except services.ConflictError as error:
            conflict_errors(form, error)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect_with_feedback(
                request, _calendar_on(data["start_at"] or timezone.now()), "Wave scheduled."
            )
    return _simple_form(
        request,
        form,
        "New wave",
        "Schedule wave",
        intro="One piece of content across several channels.",
    )


def _calendar_on(moment) -> str:
    day = timezone.localtime(moment).date().isoformat()
    return f"{reverse('planner:calendar')}?view=week&date={day}"
