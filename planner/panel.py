"""The calendar's side panel: one event's details and the actions on it.

Every action is a call to the owning app's service; this module only finds
the row (inside the user's workspaces), checks the role, and answers with the
refreshed panel, a toast and a "calendar-refresh" event for the page.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from jobs import services as job_services
from jobs.models import Job
from marketing import services as marketing_services
from marketing.models import ContentItem, Post, Wave
from planner.moves import SeriesMoveUnsupported, shifted_pattern
from scheduler_site.lib.moments import in_range, validate_moment
from scheduler_site.pages import can_write, error_text, get_scoped_or_404, require_write
from schedules import services as schedule_services
from schedules.models import ONE_TICK, ScheduledJob
from schedules.selectors import LedgerRow, replacement_runs, schedule_occurrences, schedule_runs

SOURCES = {
    "occurrence": ScheduledJob.objects.select_related("workspace", "campaign", "template"),
    "run": Job.objects.select_related("workspace", "campaign", "scheduled_job"),
    "post": Post.objects.select_related(
        "workspace", "channel_account", "content_item__campaign", "wave"
    ),
    "wave": Wave.objects.select_related("workspace", "content_item__campaign"),
}


def _row(request, kind: str, pk):
    if kind not in SOURCES:
        raise Http404("Unknown event kind")
    return get_scoped_or_404(request, SOURCES[kind], pk)


def _parse_instant(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment if moment.tzinfo is not None and in_range(moment) else None


def render_panel(request, kind: str, pk, *, status: int = 200):
    row = _row(request, kind, pk)
    context = {
        "kind": kind,
        "obj": row,
        "at": _parse_instant(request.GET.get("at") or request.POST.get("at") or ""),
        "can_write": can_write(request, row.workspace_id),
    }
    context.update(_extra(kind, row, at=context["at"]))
    return render(request, "planner/panel.html", context, status=status)


def _extra(kind: str, row, *, at: datetime | None = None) -> dict:
    if kind == "occurrence":
        return {
            "description": row.human_description,
            "next_runs": row.upcoming_runs(count=5),
            "recent_runs": list(schedule_runs(row).select_related(None)[:5]),
            "recurring": row.schedule_type != ScheduledJob.ScheduleType.ONCE,
            "fate": _past_fate(row, at),
        }
    if kind == "run":
        return {"attempts": list(row.attempt_log.order_by("number"))}
    if kind == "post":
        fillable = row.content_item_id is None and row.status in Post.OPEN
        return {
            "fillable": fillable,
            "content_choices": list(
                ContentItem.objects.filter(workspace_id=row.workspace_id)
                .exclude(status=ContentItem.Status.ARCHIVED)
                .order_by("-created_at")[:100]
            )
            if fillable
            else [],
            "movable": row.status
            in (Post.Status.PLANNED, Post.Status.DRAFT, Post.Status.SCHEDULED),
        }
    if kind == "wave":
        return {
            "posts": list(row.posts.select_related("channel_account").order_by("scheduled_for"))
        }
    return {}


def _past_fate(schedule: ScheduledJob, at: datetime | None) -> LedgerRow | None:
    """What became of the run time ``at``, when it has come: the ledger's one entry."""
    now = timezone.now()
    if at is None or at > now:
        return None
    entries, _ = schedule_occurrences(schedule, start=at, end=at + ONE_TICK, now=now)
    if not entries:
        return None
    entry = entries[0]
    replacement = replacement_runs(entries).get(entry.replacement_id)
    return LedgerRow(entry, now, settings.LATE_AFTER_SECONDS, replacement)


# --- actions --------------------------------------------------------------------------


def act(request, kind: str, pk, action: str):
    row = _row(request, kind, pk)
    require_write(request, row.workspace_id)
    handler = ACTIONS.get((kind, action))
    if handler is None:
        raise Http404("Unknown action")
    try:
        message = handler(request, row)
    except ValidationError as error:
        return _answer(request, kind, pk, error_text(error), "error", status=422)
    except marketing_services.ConflictError as error:
        return _answer(request, kind, pk, conflict_text(error), "error", status=422)
    return _answer(request, kind, pk, message, "success")


def conflict_text(error) -> str:
    """The refusal with its reasons (channel, time, the other post), for a toast."""
    reasons = [conflict.message for conflict in error.conflicts[:3]]
    return " ".join([error.summary, *reasons])


def _answer(request, kind, pk, message: str, level: str, *, status: int = 200):
    try:
        response = render_panel(request, kind, pk, status=status)
    except Http404:
        # The action removed the row (e.g. a cancelled wave's posts): close the panel.
        from django.http import HttpResponse

        response = HttpResponse("", status=status)
    response.headers["HX-Trigger"] = json.dumps(
        {"toast": {"message": message, "level": level}, "calendar-refresh": level == "success"}
    )
    return response


def _pause_schedule(request, schedule):
    schedule_services.schedule_pause(schedule=schedule, actor=request.user)
    return f"Paused “{schedule.name}”."


def _resume_schedule(request, schedule):
    schedule = schedule_services.schedule_resume(schedule=schedule, actor=request.user)
    return f"Resumed “{schedule.name}”."


def _run_schedule_now(request, schedule):
    schedule_services.schedule_run_now(schedule=schedule, actor=request.user)
    return f"“{schedule.name}” is running now."


def _cancel_job(request, job):
    job_services.job_cancel(job=job, reason=f"Cancelled by {request.user.get_username()}.")
    return "Run cancelled."


def _retry_job(request, job):
    job_services.job_retry(job=job)
    return "Run queued again."


def _fill_post(request, post):
    content = ContentItem.objects.filter(
        workspace_id=post.workspace_id, pk=_uuid(request.POST.get("content_item"))
    ).first()
    if content is None:
        raise ValidationError({"content_item": "Choose content for this slot."})
    marketing_services.post_fill(post=post, content_item=content)
    return f"Slot filled with “{content.title}”."


def _clear_post(request, post):
    marketing_services.post_clear(post=post)
    return "Content removed; the slot is empty again."


def _pause_post(request, post):
    marketing_services.post_pause(post=post)
    return "Post paused."


def _resume_post(request, post):
    result = marketing_services.post_resume(post=post)
    return "Post resumed." + (" It was marked missed: its time passed." if result.missed else "")


def _cancel_post(request, post):
    marketing_services.post_cancel(post=post)
    return "Post cancelled."


def _pause_wave(request, wave):
    marketing_services.wave_pause(wave=wave)
    return f"Wave {wave.wave_id} paused."


def _resume_wave(request, wave):
    result = marketing_services.wave_resume(wave=wave)
    return f"Wave {wave.wave_id} resumed." + (
        f" {result.missed} post(s) marked missed." if result.missed else ""
    )


def _cancel_wave(request, wave):
    count = marketing_services.wave_cancel(wave=wave)
    return f"Wave {wave.wave_id} cancelled ({count} post(s))."


def _move_from_panel(request, row):
    from scheduler_site.pages import zone_or_default

    zone = zone_or_default(request.POST.get("tz") or request.display_tz)
    try:
        naive = datetime.fromisoformat(request.POST.get("to", ""))
    except ValueError:
        raise ValidationError({"to": "Enter a date and time."}) from None
    kind = "occurrence" if isinstance(row, ScheduledJob) else "post"
    return move_event(
        request,
        kind=kind,
        pk=row.pk,
        occurrence=request.POST.get("at", ""),
        to=naive.replace(tzinfo=zone) if naive.tzinfo is None else naive,
        scope=request.POST.get("scope", "series"),
    )


ACTIONS = {
    ("occurrence", "pause"): _pause_schedule,
    ("occurrence", "resume"): _resume_schedule,
    ("occurrence", "run-now"): _run_schedule_now,
    ("occurrence", "move"): _move_from_panel,
    ("run", "cancel"): _cancel_job,
    ("run", "retry"): _retry_job,
    ("post", "fill"): _fill_post,
    ("post", "clear"): _clear_post,
    ("post", "pause"): _pause_post,
    ("post", "resume"): _resume_post,
    ("post", "cancel"): _cancel_post,
    ("post", "move"): _move_from_panel,
    ("wave", "pause"): _pause_wave,
    ("wave", "resume"): _resume_wave,
    ("wave", "cancel"): _cancel_wave,
}


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- moving ----------------------------------------------------------------------------


def move_event(request, *, kind: str, pk, occurrence: str, to: datetime, scope: str) -> str:
    """Reschedule a post or a schedule (one-off, or a recurring series) to ``to``."""
    try:
        validate_moment(to)
    except ValidationError as error:
        raise ValidationError({"to": error.messages}) from None
    if kind == "post":
        post = _row(request, "post", pk)
        require_write(request, post.workspace_id)
        try:
            marketing_services.post_reschedule(post=post, scheduled_for=to)
        except marketing_services.ConflictError as error:
            raise ValidationError(conflict_text(error)) from None
        return f"Moved to {_label(to)}."
    if kind != "occurrence":
        raise ValidationError("Only scheduled runs and posts can be moved.")
    schedule = _row(request, "occurrence", pk)
    require_write(request, schedule.workspace_id)
    if schedule.schedule_type == ScheduledJob.ScheduleType.ONCE:
        schedule_services.schedule_update(schedule=schedule, actor=request.user, scheduled_at=to)
        return f"“{schedule.name}” moved to {_label(to)}."
    original = _parse_instant(occurrence)
    if original is None:
        raise ValidationError("The original time of the moved run is missing.")
    if scope == "occurrence":
        schedule_services.schedule_occurrence_move(
            scheduled_job=schedule, occurrence_at=original, new_time=to, actor=request.user
        )
        return f"Moved this run to {_label(to)}."
    try:
        pattern = shifted_pattern(
            schedule.schedule_type,
            schedule.recurrence_pattern,
            original.astimezone(_schedule_zone(schedule)),
            to.astimezone(_schedule_zone(schedule)),
        )
    except SeriesMoveUnsupported as error:
        raise ValidationError(str(error)) from None
    schedule_services.schedule_update(
        schedule=schedule,
        actor=request.user,
        scheduled_at=to,
        recurrence_pattern=pattern,
    )
    return f"Series “{schedule.name}” now runs from {_label(to)}."


def _schedule_zone(schedule):
    from scheduler_site.pages import zone_or_default

    return zone_or_default(schedule.timezone)


def _label(moment: datetime) -> str:
    local = moment.astimezone(timezone.get_current_timezone())
    return local.strftime("%a %b %-d, %H:%M")
