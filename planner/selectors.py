"""The unified calendar: schedule occurrences, job runs, posts and waves in one list.

Read-only, composed from the schedules, jobs and marketing selectors. Every
source is one query whatever the range holds (occurrences are expanded from
the recurrence in Python, not stored), so a month with thousands of events
costs the same handful of queries as an empty one.

A schedule's run times before now are drawn with their fate from the run
ledger (``schedules.selectors.schedules_occurrences``: succeeded, failed,
withdrawn, missed, skipped, moved...); its run times from now on are expanded
from the recurrence. Job runs that are not a ledger's (manual runs, template
uses, runs dispatched a moment ahead) are drawn as runs.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from jobs.models import Job
from marketing.models import Post, Wave
from marketing.selectors import UTCISOText, calendar_posts
from scheduler_site.templatetags.ui import STATUS_ICONS
from schedules import ledger, recurrence
from schedules.models import ScheduledJob, excepted_occurrences
from schedules.selectors import SERIES_TRIGGERS, scheduled_jobs, schedules_occurrences

KINDS = {
    "occurrence": "Scheduled runs",
    "run": "Past runs",
    "post": "Posts",
    "wave": "Waves",
}
PLANNED_COLOR = "#7C3AED"
DEFAULT_COLOR = "#1E88E5"
# Expanding a per-minute cron over a month would be 43,200 chips; the page
# says when it stopped.
MAX_OCCURRENCES = 20_000
MAX_RUNS = 20_000
MAX_POSTS = 20_000

# Status -> glyph, so status never relies on colour alone: the site-wide
# table, except that an active schedule's occurrence reads as "due at" (◷).
ICONS = {**STATUS_ICONS, "active": "◷"}


@dataclass
class Filters:
    workspaces: list
    campaign: uuid.UUID | None = None
    channel: uuid.UUID | None = None
    kind: str = ""
    status: str = ""

    @property
    def workspace_ids(self) -> list:
        return [workspace.pk for workspace in self.workspaces]

    def wants(self, kind: str) -> bool:
        if self.channel is not None and kind not in ("post", "wave"):
            return False  # jobs and schedules are not on a channel
        return not self.kind or self.kind == kind


@dataclass
class CalendarEvent:
    key: str
    kind: str
    obj_id: str
    start: datetime
    title: str
    status: str
    status_label: str
    color: str
    campaign_id: str = ""
    campaign_name: str = ""
    subtitle: str = ""
    movable: bool = False
    recurring: bool = False
    paused: bool = False
    children: list = field(default_factory=list)
    repeat: int = 1  # in a month cell: how many runs of this schedule the chip stands for
    reason: str = ""  # a past run time's: why it did not run, or how it failed
    moved_to: datetime | None = None

    @property
    def icon(self) -> str:
        return ICONS.get(self.status, "•")

    @property
    def css(self) -> str:
        classes = [f"ev-{self.kind}", f"ev-{self.status}"]
        if self.paused:
            classes.append("ev-paused")
        return " ".join(classes)


@dataclass
class CalendarResult:
    events: list[CalendarEvent]
    truncated: bool


def calendar_events(
    *, filters: Filters, start: datetime, end: datetime, now: datetime
) -> CalendarResult:
    events: list[CalendarEvent] = []
    truncated = False
    if filters.wants("occurrence") or filters.wants("run"):
        found, cut = _past_occurrences(filters, start, end, now)
        events += found
        truncated |= cut
    if filters.wants("occurrence"):
        found, cut = _occurrences(filters, start, end, now)
        events += found
        truncated |= cut
    if filters.wants("run"):
        found, cut = _runs(filters, start, end, now)
        events += found
        truncated |= cut
    if filters.wants("post") or filters.wants("wave"):
        found, cut = _posts_and_waves(filters, start, end)
        events += found
        truncated |= cut
    if filters.status:
        events = [event for event in events if event.status == filters.status]
    events.sort(key=lambda event: (event.start, event.title))
    return CalendarResult(events=events, truncated=truncated)


# --- scheduled-job occurrences -----------------------------------------------------


def calendar_schedules(filters: Filters) -> QuerySet[ScheduledJob]:
    rows = scheduled_jobs().filter(
        workspace_id__in=filters.workspace_ids,
        status__in=[
            ScheduledJob.Status.ACTIVE,
            ScheduledJob.Status.PAUSED,
            ScheduledJob.Status.ERROR,
        ],
    )
    if filters.campaign is not None:
        rows = rows.filter(campaign_id=filters.campaign)
    return rows


def _occurrences(filters, start, end, now) -> tuple[list[CalendarEvent], bool]:
    """Run times from now on (before now, the ledger draws them with their fate)."""
    events: list[CalendarEvent] = []
    truncated = False
    schedules = list(calendar_schedules(filters))
    # Skipped and moved runs of every schedule in range, in one query.
    skipped = excepted_occurrences([s.pk for s in schedules], start=start, end=end)
    for schedule in schedules:
        if schedule.status == ScheduledJob.Status.ACTIVE:
            if schedule.next_run_at is None:
                continue
            # Runs before next_run_at have been dispatched: drawn as runs or by the ledger.
            first = max(start, schedule.next_run_at, now)
        else:
            # Frozen: what would run if resumed now, drawn greyed out.
            first = max(start, now)
        if first >= end:
            continue
        budget = MAX_OCCURRENCES - len(events)
        limit = budget + 1
        if schedule.remaining_runs is not None:
            limit = min(limit, schedule.remaining_runs)
        gone = skipped.get(schedule.pk, set())
        try:
            runs = recurrence.runs_between(
                schedule.recurrence(), first, end, limit=limit + len(gone)
            )
        except recurrence.RecurrenceError:
            continue
        runs = [t for t in runs if t not in gone][:limit]
        if len(runs) > budget:
            runs, truncated = runs[:budget], True
        events += [_occurrence_event(schedule, run_at) for run_at in runs]
        if truncated:
            break
    return events, truncated


def _occurrence_event(schedule: ScheduledJob, run_at: datetime) -> CalendarEvent:
    campaign = schedule.campaign
    return CalendarEvent(
        key=f"occ-{schedule.pk}-{int(run_at.timestamp())}",
        kind="occurrence",
        obj_id=str(schedule.pk),
        start=run_at,
        title=schedule.name,
        status=schedule.status,
        status_label=f"Scheduled · {schedule.get_status_display()}",
        color=campaign.color if campaign else DEFAULT_COLOR,
        campaign_id=str(campaign.pk) if campaign else "",
        campaign_name=campaign.name if campaign else "",
        subtitle=schedule.get_schedule_type_display(),
        movable=schedule.status != ScheduledJob.Status.ERROR,
        recurring=schedule.schedule_type != ScheduledJob.ScheduleType.ONCE,
        paused=schedule.status != ScheduledJob.Status.ACTIVE,
    )


# --- past run times, with their fate -------------------------------------------------

LIVE_STATUSES = (ScheduledJob.Status.ACTIVE, ScheduledJob.Status.PAUSED, ScheduledJob.Status.ERROR)


def ledger_schedules(filters: Filters, *, start: datetime) -> QuerySet[ScheduledJob]:
    """The schedules that can have run times from ``start`` on: the live ones, and
    the finished ones last changed since (a series that ended before ``start``
    has nothing after it)."""
    rows = scheduled_jobs().filter(
        Q(status__in=LIVE_STATUSES) | Q(updated_at__gte=start),
        workspace_id__in=filters.workspace_ids,
    )
    if filters.campaign is not None:
        rows = rows.filter(campaign_id=filters.campaign)
    return rows


def _past_occurrences(filters, start, end, now) -> tuple[list[CalendarEvent], bool]:
    """Every run time in [start, now) of the chosen schedules with its fate, by the
    ledger's rules, in a constant number of queries whatever the schedules."""
    stop = min(end, now)
    if start >= stop:
        return [], False
    schedules = list(ledger_schedules(filters, start=start))
    found, truncated = schedules_occurrences(
        schedules, start=start, end=stop, now=now, limit=MAX_OCCURRENCES
    )
    ran_only = filters.kind == "run"  # "Past runs": the run times that have a Job
    events = []
    for schedule in schedules:
        for entry in found.get(schedule.pk, ()):
            if ran_only and entry.run is None:
                continue
            events.append(fate_event(schedule, entry))
    return events, truncated


def fate_event(schedule: ScheduledJob, entry: ledger.Occurrence) -> CalendarEvent:
    campaign = schedule.campaign
    label = ledger.FATE_LABELS[entry.fate]
    return CalendarEvent(
        key=f"occ-{schedule.pk}-{int(entry.nominal.timestamp())}",
        kind="occurrence",
        obj_id=str(schedule.pk),
        start=entry.nominal,
        title=schedule.name,
        status=entry.fate,
        status_label=label,
        color=campaign.color if campaign else DEFAULT_COLOR,
        campaign_id=str(campaign.pk) if campaign else "",
        campaign_name=campaign.name if campaign else "",
        subtitle=schedule.get_schedule_type_display(),
        recurring=schedule.schedule_type != ScheduledJob.ScheduleType.ONCE,
        reason=_without_label(entry.reason, label),
        moved_to=entry.moved_to,
    )


def _without_label(reason: str, label: str) -> str:
    """The reason without its opening label: next to the label "Withdrawn",
    "Withdrawn: the schedule was paused." would say it twice."""
    head = f"{label}:"
    if reason[: len(head)].lower() == head.lower():
        reason = reason[len(head) :].strip()
        return reason[:1].upper() + reason[1:]
    return reason


# --- past and in-flight job runs -----------------------------------------------------


def calendar_runs(
    filters: Filters, start: datetime, end: datetime, now: datetime | None = None
) -> QuerySet[Job]:
    """Job runs in range; with ``now``, not those a ledger draws (a schedule's run
    before now is one of its run times, drawn with its fate)."""
    rows = (
        Job.objects.filter(workspace_id__in=filters.workspace_ids)
        .annotate(at=Coalesce(F("scheduled_for"), F("created_at")))
        .filter(at__gte=start, at__lt=end)
        .select_related("campaign")
        .only(
            "id",
            "name",
            "status",
            "scheduled_for",
            "created_at",
            "campaign_name",
            "campaign__id",
            "campaign__name",
            "campaign__color",
        )
        .order_by("at")
    )
    if filters.campaign is not None:
        rows = rows.filter(campaign_id=filters.campaign)
    if now is not None and start < now:
        rows = rows.exclude(
            trigger__in=SERIES_TRIGGERS,
            scheduled_for__lt=min(end, now),
            scheduled_job__in=ledger_schedules(filters, start=start).values("pk"),
        )
    return rows


def _runs(filters, start, end, now) -> tuple[list[CalendarEvent], bool]:
    rows = list(calendar_runs(filters, start, end, now)[: MAX_RUNS + 1])
    truncated = len(rows) > MAX_RUNS
    events = []
    for job in rows[:MAX_RUNS]:
        campaign = job.campaign
        events.append(
            CalendarEvent(
                key=f"job-{job.pk}",
                kind="run",
                obj_id=str(job.pk),
                start=job.at,
                title=job.name,
                status=job.status,
                status_label=f"Run · {job.get_status_display()}",
                color=campaign.color if campaign else DEFAULT_COLOR,
                campaign_id=str(campaign.pk) if campaign else "",
                campaign_name=campaign.name if campaign else job.campaign_name,
            )
        )
    return events, truncated


# --- posts and waves -------------------------------------------------------------------


def _calendar_post_rows(filters: Filters, start: datetime, end: datetime) -> QuerySet[Post]:
    rows = (
        calendar_posts_for(filters.workspaces, start, end)
        .exclude(status=Post.Status.CANCELLED)
        .select_related("content_item__campaign")
    )
    if filters.campaign is not None:
        rows = rows.filter(content_item__campaign_id=filters.campaign)
    if filters.channel is not None:
        rows = rows.filter(channel_account_id=filters.channel)
    if filters.kind == "wave":
        rows = rows.filter(wave__isnull=False)
    return rows


def calendar_posts_for(workspaces, start: datetime, end: datetime) -> QuerySet[Post]:
    """marketing's calendar query, over each of the chosen workspaces (one query)."""
    parts = [calendar_posts(workspace=workspace, start=start, end=end) for workspace in workspaces]
    if not parts:
        return Post.objects.none()
    if len(parts) == 1:
        return parts[0]
    return (
        Post.objects.filter(
            workspace__in=workspaces, scheduled_for__gte=start, scheduled_for__lt=end
        )
        .select_related("channel_account", "content_item", "wave")
        .order_by("scheduled_for", "channel_account__name")
    )


# Only the columns a chip shows: building 5,000 model instances (plus their
# channel, content, campaign and wave) costs several times the query itself.
POST_COLUMNS = (
    "id",
    "status",
    "is_paused",
    "wave_id",
    "wave__wave_id",
    "wave__type",
    "wave__status",
    "channel_account__name",
    "content_item__title",
    "content_item__campaign_id",
    "content_item__campaign__name",
    "content_item__campaign__color",
)
POST_STATUS_LABELS = dict(Post.Status.choices)
WAVE_TYPE_LABELS = dict(Wave.Type.choices)
MOVABLE_POST_STATUSES = {Post.Status.PLANNED, Post.Status.DRAFT, Post.Status.SCHEDULED}


def _posts_and_waves(filters, start, end) -> tuple[list[CalendarEvent], bool]:
    # scheduled_for comes as text parsed in C: Django's timestamptz loader on
    # psycopg is pure Python and was the month page's largest single cost.
    rows = list(
        _calendar_post_rows(filters, start, end).values(
            *POST_COLUMNS, scheduled_for_text=UTCISOText(F("scheduled_for"))
        )[: MAX_POSTS + 1]
    )
    for row in rows:
        row["scheduled_for"] = datetime.fromisoformat(row.pop("scheduled_for_text"))
    truncated = len(rows) > MAX_POSTS
    events: list[CalendarEvent] = []
    waves: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows[:MAX_POSTS]:
        if row["wave_id"] is not None:
            waves[(row["wave_id"], row["scheduled_for"].date())].append(row)
        elif filters.wants("post"):
            events.append(post_event(row))
    if filters.wants("wave"):
        events += [_wave_event(group) for group in waves.values()]
    return events, truncated


def post_event(row: dict) -> CalendarEvent:
    status = row["status"]
    planned = status == Post.Status.PLANNED
    title = row["content_item__title"]
    campaign_id = row["content_item__campaign_id"]
    return CalendarEvent(
        key=f"post-{row['id']}",
        kind="post",
        obj_id=str(row["id"]),
        start=row["scheduled_for"],
        title="Empty" if planned else (title or "(no content)"),
        status=status,
        status_label=POST_STATUS_LABELS.get(status, status),
        color=PLANNED_COLOR if planned else (row["content_item__campaign__color"] or DEFAULT_COLOR),
        campaign_id=str(campaign_id) if campaign_id else "",
        campaign_name=row["content_item__campaign__name"] or "",
        subtitle=row["channel_account__name"],
        movable=status in MOVABLE_POST_STATUSES,
        paused=row["is_paused"],
    )


def _wave_event(rows: list[dict]) -> CalendarEvent:
    first = rows[0]
    statuses = {row["status"] for row in rows}
    status = next(iter(statuses)) if len(statuses) == 1 else "scheduled"
    if "failed" in statuses:
        status = "failed"
    campaign_id = first["content_item__campaign_id"]
    return CalendarEvent(
        key=f"wave-{first['wave_id']}-{first['scheduled_for'].date().isoformat()}",
        kind="wave",
        obj_id=str(first["wave_id"]),
        start=first["scheduled_for"],
        title=first["content_item__title"] or first["wave__wave_id"],
        status=status,
        status_label=f"Wave · {WAVE_TYPE_LABELS.get(first['wave__type'], '')}",
        color=first["content_item__campaign__color"] or DEFAULT_COLOR,
        campaign_id=str(campaign_id) if campaign_id else "",
        campaign_name=first["content_item__campaign__name"] or "",
        subtitle=f"{first['wave__wave_id']} · {len(rows)} channel{'s' if len(rows) != 1 else ''}",
        paused=first["wave__status"] == "paused",
        children=[post_event(row) for row in rows],
    )


# --- bucketing for the views --------------------------------------------------------------


def collapse_repeats(events: list[CalendarEvent]) -> list[CalendarEvent]:
    """One chip per schedule per day (per fate, for the past: a failed run among
    ninety-five that succeeded keeps its own chip): a 15-minute cron must not
    fill the cell by itself."""
    chips: list[CalendarEvent] = []
    first_of: dict[tuple[str, str], CalendarEvent] = {}
    for event in events:
        if event.kind != "occurrence":
            chips.append(event)
            continue
        first = first_of.get((event.obj_id, event.status))
        if first is None:
            first = first_of[(event.obj_id, event.status)] = replace(event)
            chips.append(first)
        else:
            first.repeat += 1
    return chips


def by_local_day(events: list[CalendarEvent], zone: ZoneInfo) -> dict[date, list[CalendarEvent]]:
    days: dict[date, list[CalendarEvent]] = defaultdict(list)
    for event in events:
        days[event.start.astimezone(zone).date()].append(event)
    return days
