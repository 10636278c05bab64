"""Schedule pages: list, detail (next runs, history, audit), forms with a live preview."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from scheduler_site.lib.moments import YEAR_RANGE_MESSAGE, in_range
from scheduler_site.pages import (
    add_workspace_choice,
    apply_validation_error,
    can_write,
    current_workspace,
    error_text,
    feedback,
    get_scoped_or_404,
    page,
    redirect_with_feedback,
    require_write,
    scoped,
    zone_or_default,
)
from schedules import recurrence, services
from schedules.forms import ScheduleForm
from schedules.models import ScheduledJob
from schedules.selectors import schedule_events, schedule_ledger, schedule_runs, scheduled_jobs
from templates_lib.models import JobTemplate

PREVIEW_COUNT = 5
COMMON_ZONES = [
    "UTC",
    "America/Los_Angeles",
    "America/Chicago",
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
]


def _filtered(request):
    rows = scoped(request, scheduled_jobs())
    if (status := request.GET.get("status", "")) in ScheduledJob.Status.values:
        rows = rows.filter(status=status)
    if campaign := request.GET.get("campaign", ""):
        rows = rows.filter(
            campaign__in=scoped(request, Campaign.objects.all()).filter(pk__in=_uuids([campaign]))
        )
    if query := request.GET.get("q", "").strip():
        rows = rows.filter(Q(name__icontains=query) | Q(description__icontains=query))
    return rows.order_by("status", "next_run_at", "name")


def _uuids(values):
    import uuid

    out = []
    for value in values:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue
    return out


@page
def schedule_list(request):
    context = {
        "schedules": _filtered(request)[:300],
        "statuses": ScheduledJob.Status.choices,
        "campaigns": scoped(request, Campaign.objects.all()).order_by("name"),
        "filters": {k: request.GET.get(k, "") for k in ("status", "campaign", "q")},
    }
    if request.htmx and request.htmx.target == "schedule-rows":
        return render(request, "schedules/schedule_list.html#rows", context)
    return render(request, "schedules/schedule_list.html", context)


def _detail_context(request, schedule) -> dict:
    return {
        "schedule": schedule,
        "next_runs": schedule.upcoming_runs(count=PREVIEW_COUNT),
        "runs": schedule_runs(schedule).select_related(None)[:25],
        "events": schedule_events(schedule)[:30],
        "can_write": can_write(request, schedule.workspace_id),
        "zone": zone_or_default(schedule.timezone),
        "ledger": schedule_ledger(schedule, now=timezone.now()),
    }


@page
def schedule_detail(request, pk):
    schedule = get_scoped_or_404(request, scheduled_jobs(), pk)
    context = _detail_context(request, schedule)
    if request.htmx and request.htmx.target == f"scheduledjob-{schedule.pk}":
        return render(request, "schedules/schedule_detail.html#summary", context)
    return render(request, "schedules/schedule_detail.html", context)


def _form(request, *, instance=None, workspace_id=None):
    campaigns = scoped(request, Campaign.objects.all())
    templates = scoped(request, JobTemplate.objects.all())
    if workspace_id is not None:
        campaigns = campaigns.filter(workspace_id=workspace_id)
        templates = templates.filter(workspace_id=workspace_id)
    initial = {}
    if instance is None:
        initial = _initial_for_create(request, templates)
    return ScheduleForm(
        request.POST or None,
        instance=instance,
        campaigns=campaigns.order_by("name"),
        templates=templates.order_by("-is_favorite", "name"),
        initial=initial,
    )


def _initial_for_create(request, templates) -> dict:
    """From "Schedule" on a template card or "New" on the calendar: prefill what we know."""
    workspace = current_workspace(request)
    initial = {
        "timezone": workspace.timezone if workspace else "UTC",
        "schedule_type": ScheduledJob.ScheduleType.DAILY,
    }
    template = templates.filter(pk__in=_uuids([request.GET.get("template", "")])).first()
    if template is not None:
        initial.update(template=template, name=template.name, campaign=template.campaign)
    if campaign := request.GET.get("campaign"):
        initial["campaign"] = next(iter(_uuids([campaign])), None)
    today = timezone.localdate()
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = today
    if day <= today or not in_range(day):
        day = today + timedelta(days=1)
    initial["scheduled_at"] = datetime.combine(day, time(9, 0))
    return initial


@page
def schedule_create(request):
    form = _form(request)
    add_workspace_choice(form, request, current_workspace(request))
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["workspace"]
        require_write(request, target.pk)
        try:
            schedule = services.schedule_create(
                workspace=target, created_by=request.user, **form.service_fields()
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect_with_feedback(
                request,
                reverse("schedules:detail", args=[schedule.pk]),
                f"Schedule created. First run {schedule.next_run_at:%Y-%m-%d %H:%M} UTC.",
            )
    return _form_page(request, form, schedule=None)


@page
def schedule_edit(request, pk):
    schedule = get_scoped_or_404(request, scheduled_jobs(), pk)
    if request.method == "POST":
        require_write(request, schedule.workspace_id)
    form = _form(request, instance=schedule, workspace_id=schedule.workspace_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_update(schedule=schedule, actor=request.user, **form.service_fields())
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect_with_feedback(
                request, reverse("schedules:detail", args=[schedule.pk]), "Schedule saved."
            )
    return _form_page(request, form, schedule=schedule)


def _form_page(request, form, *, schedule):
    context = {"form": form, "schedule": schedule, "zones": COMMON_ZONES}
    context.update(_preview_context(form.data if form.is_bound else None, form))
    status = 422 if form.is_bound and form.errors else 200
    if request.htmx and request.htmx.target == "schedule-form":
        return render(request, "schedules/schedule_form.html#form", context, status=status)
    return render(request, "schedules/schedule_form.html", context, status=status)


@page
def schedule_preview(request):
    """The next runs for what is typed so far (htmx, as the user types)."""
    return render(
        request, "schedules/schedule_form.html#preview", _preview_context(request.GET, None)
    )


def _preview_context(data, form) -> dict:
    if data is None and form is not None:
        initial = {**form.initial}
        data = {
            "schedule_type": initial.get("schedule_type")
            or getattr(form.instance, "schedule_type", ""),
            "timezone": initial.get("timezone") or getattr(form.instance, "timezone", ""),
            "recurrence_pattern": getattr(form.instance, "recurrence_pattern", ""),
            "scheduled_at": initial.get("scheduled_at"),
        }
        if isinstance(data["scheduled_at"], datetime):
            data["scheduled_at"] = data["scheduled_at"].strftime("%Y-%m-%dT%H:%M")
    return {"preview": preview_runs(data)}


def preview_runs(data) -> dict:
    """Description and next runs, or the reason there are none; never an exception."""
    kind = (data.get("schedule_type") or "").strip()
    zone = (data.get("timezone") or "").strip()
    start = (
        (data.get("scheduled_at") or "").strip()
        if isinstance(data.get("scheduled_at"), str)
        else ""
    )
    if not (kind and zone and start):
        return {"error": "Choose how it repeats, a first run and a time zone to see the next runs."}
    end = (data.get("recurrence_end_date") or "").strip() or None
    try:
        start_at = recurrence.parse_local_start(start, zone)
        end_at = recurrence.parse_local_start(end, zone) if end else None
        if not all(in_range(moment) for moment in (start_at, end_at) if moment is not None):
            return {"error": YEAR_RANGE_MESSAGE}
        rec = recurrence.build(
            kind,
            start_at,
            zone,
            pattern=(data.get("recurrence_pattern") or "").strip(),
            end=end_at,
            local_start=recurrence.typed_wall_time(start, zone),
        )
        after = max(rec.start, timezone.now()) if kind != "once" else None
        runs = recurrence.next_runs(
            rec, after - recurrence_tick() if after else None, PREVIEW_COUNT
        )
        description = recurrence.describe(rec)
    except (recurrence.RecurrenceError, ValueError) as error:
        return {"error": getattr(error, "message", str(error))}
    local_zone = zone_or_default(zone)
    return {
        "description": description,
        "zone": zone,
        "runs": [run.astimezone(local_zone) for run in runs],
    }


def recurrence_tick():
    from schedules.models import ONE_TICK

    return ONE_TICK


@require_POST
@page
def schedule_pause(request, pk):
    return _act(
        request,
        pk,
        lambda s: services.schedule_pause(schedule=s, actor=request.user),
        "Schedule paused. Nothing runs until you resume it.",
    )


@require_POST
@page
def schedule_resume(request, pk):
    def resume(schedule):
        schedule = services.schedule_resume(schedule=schedule, actor=request.user)
        return schedule

    return _act(request, pk, resume, "Schedule resumed from now.")


@require_POST
@page
def schedule_run_now(request, pk):
    return _act(
        request,
        pk,
        lambda s: services.schedule_run_now(schedule=s, actor=request.user),
        "A run was started now.",
    )


def _act(request, pk, action, success: str):
    schedule = get_scoped_or_404(request, scheduled_jobs(), pk)
    require_write(request, schedule.workspace_id)
    try:
        action(schedule)
    except ValidationError as error:
        message, level = error_text(error), "error"
    else:
        message, level = success, "success"
    if request.htmx:
        schedule = get_scoped_or_404(request, scheduled_jobs(), pk)
        # The ledger changes too (a pause withdraws the runs ahead): swapped out of band.
        context = {**_detail_context(request, schedule), "ledger_oob": True}
        response = render(request, "schedules/schedule_detail.html#summary", context)
        return feedback(request, response, message, level)
    return redirect_with_feedback(
        request, reverse("schedules:detail", args=[schedule.pk]), message, level
    )


@require_POST
@page
def schedule_delete(request, pk):
    schedule = get_scoped_or_404(request, scheduled_jobs(), pk)
    require_write(request, schedule.workspace_id)
    services.schedule_delete(schedule=schedule, actor=request.user)
    return redirect_with_feedback(request, reverse("schedules:list"), "Schedule deleted.")
