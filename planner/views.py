"""The calendar page: month / week / day / agenda, the event panel, drag to move."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from marketing.models import ChannelAccount
from planner import panel as event_panel
from planner import ranges
from planner.selectors import KINDS, Filters, by_local_day, calendar_events, collapse_repeats
from scheduler_site.pages import (
    display_timezone_name,
    page,
    zone_or_default,
)
from workspaces.selectors import default_workspace_for, workspaces_for

MONTH_CELL_LIMIT = 4
TIMEGRID_LIMIT = {"week": 40, "day": 150}
AGENDA_LIMIT = 500
HOUR_PX = 48
STATUS_CHOICES = [
    ("planned", "Planned slot (empty)"),
    ("scheduled", "Scheduled post"),
    ("draft", "Draft"),
    ("published", "Published"),
    ("active", "Active schedule"),
    ("paused", "Paused"),
    ("pending", "Pending run"),
    ("queued", "Queued run"),
    ("running", "Running"),
    ("succeeded", "Succeeded"),
    ("failed", "Failed"),
    ("missed", "Missed"),
    ("skipped", "Skipped"),
    ("cancelled", "Cancelled"),
    # A past run time's fate (schedules.ledger) beyond a Job's status.
    ("withdrawn", "Withdrawn"),
    ("moved", "Moved"),
    ("waiting", "Waiting to start"),
]
COMMON_ZONES = [
    "UTC",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
]


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@dataclass
class CalendarState:
    """Everything the URL says: view, date, zone, filters (so any state is a link)."""

    view: str
    anchor: date
    zone_name: str
    workspaces: list
    workspace_param: str
    campaign: uuid.UUID | None
    channel: uuid.UUID | None
    kind: str
    status: str

    def query(self, **changes) -> str:
        values = {
            "view": self.view,
            "date": self.anchor.isoformat(),
            "tz": self.zone_name,
            "workspace": self.workspace_param,
            "campaign": str(self.campaign or ""),
            "channel": str(self.channel or ""),
            "kind": self.kind,
            "status": self.status,
        }
        values.update({key: str(value) for key, value in changes.items()})
        from urllib.parse import urlencode

        return "?" + urlencode({key: value for key, value in values.items() if value})


def _state(request) -> CalendarState:
    member = list(workspaces_for(request.user))
    wanted = request.GET.get("workspace", "")
    if wanted == "all":
        chosen = member
    else:
        wanted_id = _uuid_or_none(wanted)
        chosen = [w for w in member if w.pk == wanted_id or w.slug == wanted][:1]
        if not chosen:
            default = default_workspace_for(request.user)
            chosen = [default] if default is not None else []
            wanted = ""
    zone_name = display_timezone_name(request, chosen[0] if chosen else None)
    today = timezone.now().astimezone(zone_or_default(zone_name)).date()
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    return CalendarState(
        view=ranges.parse_view(request.GET.get("view")),
        anchor=ranges.parse_anchor(request.GET.get("date"), today),
        zone_name=zone_name,
        workspaces=chosen,
        workspace_param=wanted,
        campaign=_uuid_or_none(request.GET.get("campaign")),
        channel=_uuid_or_none(request.GET.get("channel")),
        kind=kind if kind in KINDS else "",
        status=status if status in dict(STATUS_CHOICES) else "",
    )


@page
def calendar(request):
    state = _state(request)
    zone = zone_or_default(state.zone_name)
    with timezone.override(zone):
        context = _calendar_context(request, state, zone)
        if request.htmx and not request.htmx.history_restore_request:
            return render(request, "planner/calendar.html#calendar", context)
        return render(request, "planner/calendar.html", context)


def _calendar_context(request, state: CalendarState, zone) -> dict:
    vr = ranges.view_range(state.view, state.anchor)
    start, end = vr.bounds(zone)
    now = timezone.now()
    result = calendar_events(
        filters=Filters(
            workspaces=state.workspaces,
            campaign=state.campaign,
            channel=state.channel,
            kind=state.kind,
            status=state.status,
        ),
        start=start,
        end=end,
        now=now,
    )
    buckets = by_local_day(result.events, zone)
    today = now.astimezone(zone).date()
    context = {
        "state": state,
        "vr": vr,
        "title": ranges.title_for(vr),
        "today": today,
        "zone_name": state.zone_name,
        "zone_abbr": now.astimezone(zone).strftime("%Z"),
        "zones": _zone_choices(state.zone_name, state.workspaces),
        "member_workspaces": list(workspaces_for(request.user)),
        "campaigns": list(
            Campaign.objects.filter(workspace__in=state.workspaces)
            .exclude(status=Campaign.Status.ARCHIVED)
            .order_by("name")
            .only("id", "name", "color")
        ),
        "channels": list(
            ChannelAccount.objects.filter(workspace__in=state.workspaces)
            .order_by("name")
            .only("id", "name", "platform")
        ),
        "kinds": KINDS.items(),
        "statuses": STATUS_CHOICES,
        "dow": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "truncated": result.truncated,
        "event_count": len(result.events),
        "links": {
            "today": state.query(date=today.isoformat()),
            "prev": state.query(date=vr.prev_anchor.isoformat()),
            "next": state.query(date=vr.next_anchor.isoformat()),
            "month": state.query(view="month"),
            "week": state.query(view="week"),
            "day": state.query(view="day"),
            "agenda": state.query(view="agenda"),
        },
        "topoff_workspace": state.workspaces[0] if len(state.workspaces) == 1 else None,
    }
    if state.view == "month":
        context["weeks"] = _month_weeks(vr, buckets, today, state)
    elif state.view in ("week", "day"):
        context.update(_timegrid(vr, buckets, today, zone, state))
    else:
        context["agenda"] = _agenda(vr, buckets, today)
    return context


def _zone_choices(current: str, workspaces) -> list[str]:
    zones = list(COMMON_ZONES)
    for name in [current, *[w.timezone for w in workspaces]]:
        if name and name not in zones:
            zones.insert(0, name)
    return zones


def _month_weeks(vr, buckets, today, state) -> list[list[dict]]:
    cells = []
    for day in vr.days:
        events = collapse_repeats(buckets.get(day, []))
        cells.append(
            {
                "date": day,
                "in_month": day.month == vr.anchor.month,
                "is_today": day == today,
                "events": events[:MONTH_CELL_LIMIT],
                "more": max(0, len(events) - MONTH_CELL_LIMIT),
                "day_link": state.query(view="day", date=day.isoformat()),
            }
        )
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def _timegrid(vr, buckets, today, zone, state) -> dict:
    limit = TIMEGRID_LIMIT[vr.view]
    columns = []
    for day in vr.days:
        events = buckets.get(day, [])
        placed = _place(events[:limit], zone)
        columns.append(
            {
                "date": day,
                "is_today": day == today,
                "events": placed,
                "more": max(0, len(events) - limit),
                "day_link": state.query(view="day", date=day.isoformat()),
                "agenda_link": state.query(view="agenda", date=day.isoformat()),
            }
        )
    now_local = timezone.now().astimezone(zone)
    return {
        "columns": columns,
        "hours": [f"{h:02d}:00" for h in range(24)],
        "slots": [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)],
        "now_top": round((now_local.hour * 60 + now_local.minute) * HOUR_PX / 60),
    }


def _place(events, zone) -> list[dict]:
    """Top offset and side-by-side lanes for events that overlap (30 minutes tall)."""
    placed = []
    lane_ends: list[int] = []
    cluster: list[dict] = []
    cluster_end = -1
    for event in events:
        local = event.start.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if minute >= cluster_end:
            _close_cluster(cluster, len(lane_ends))
            cluster, lane_ends, cluster_end = [], [], -1
        lane = next((i for i, end in enumerate(lane_ends) if end <= minute), None)
        if lane is None:
            lane = len(lane_ends)
            lane_ends.append(minute + 30)
        else:
            lane_ends[lane] = minute + 30
        item = {"event": event, "top": round(minute * HOUR_PX / 60), "lane": lane}
        cluster.append(item)
        placed.append(item)
        cluster_end = max(cluster_end, minute + 30)
    _close_cluster(cluster, len(lane_ends))
    return placed


def _close_cluster(cluster: list[dict], lanes: int) -> None:
    for item in cluster:
        item["lanes"] = max(1, lanes)
        item["left"] = round(item["lane"] * 100 / max(1, lanes), 3)
        item["width"] = round(100 / max(1, lanes), 3)


def _agenda(vr, buckets, today) -> list[dict]:
    days, shown = [], 0
    for day in vr.days:
        events = buckets.get(day, [])
        if not events:
            continue
        room = AGENDA_LIMIT - shown
        days.append(
            {
                "date": day,
                "is_today": day == today,
                "events": events[:room],
                "more": max(0, len(events) - room),
            }
        )
        shown += min(room, len(events))
        if shown >= AGENDA_LIMIT:
            break
    return days


# --- the side panel and its actions -------------------------------------------------------


@page
def event_detail(request, kind, pk):
    return event_panel.render_panel(request, kind, pk)


@require_POST
@page
def event_action(request, kind, pk, action):
    return event_panel.act(request, kind, pk, action)


# --- drag to move ------------------------------------------------------------------------


@require_POST
@page
def move(request):
    """Reschedule a dropped event; JSON so the page can snap the chip back on refusal."""
    zone = zone_or_default(request.POST.get("tz") or request.display_tz)
    try:
        target = _parse_local(request.POST.get("to", ""), zone)
        message = event_panel.move_event(
            request,
            kind=request.POST.get("kind", ""),
            pk=request.POST.get("id", ""),
            occurrence=request.POST.get("at", ""),
            to=target,
            scope=request.POST.get("scope", "series"),
        )
    except ValidationError as error:
        from scheduler_site.pages import error_text

        return JsonResponse({"ok": False, "message": error_text(error)}, status=422)
    return JsonResponse({"ok": True, "message": message})


def _parse_local(value: str, zone) -> datetime:
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError({"to": "Drop the event on a day or a time slot."}) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zone)
