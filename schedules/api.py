"""/api/v1/schedule: the seed's Scheduling endpoints, plus pause notes, run-now,
run history, the audit trail, the dispatcher health check, and campaign
pause/resume (which acts on the campaign's schedules)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import Campaign
from jobs.models import Job
from scheduler_site.api import database_outage
from scheduler_site.api.fields import DateTimeField, bounded
from scheduler_site.api.scoping import WorkspaceRelatedField, WorkspaceScopedModelViewSet
from scheduler_site.api.serializers import ModelSerializer, Serializer
from scheduler_site.lib.validators import validate_metadata, validate_timezone
from schedules import health, ledger, recurrence, selectors, services
from schedules.models import (
    PREFETCHED_EXCEPTIONS,
    ScheduledJob,
    ScheduleEvent,
    ScheduleException,
    format_wall_time,
    scheduled_local_for,
)
from schedules.occurrence_api import (
    OCCURRENCE_PARAMS,
    OccurrenceListSerializer,
    occurrence_data,
    occurrence_window,
)
from templates_lib.models import JobTemplate
from workspaces.selectors import membership_for, workspaces_for

PREVIEW_RUNS = 5


class ScheduleInstantField(DateTimeField):
    """An ISO 8601 instant. With an offset or ``Z`` it is taken as given;
    without one it is wall-clock time in the schedule's ``timezone`` (resolved
    in ``validate``, once the timezone is known). Its year, in UTC or as wall
    time, is bounded like every date (``scheduler_site.lib.moments``)."""

    def to_internal_value(self, value):
        if isinstance(value, datetime):
            return bounded(value)
        try:
            parsed = parse_datetime(str(value).strip()) if value not in (None, "") else None
        except ValueError:
            # Well formed but out of range: minute 99.
            parsed = None
        if parsed is None:
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+HH:MM|Z]")
        if not timezone.is_naive(parsed):
            try:
                # PostgreSQL stores offsets only up to 15:59; the instant is what counts.
                parsed = parsed.astimezone(UTC)
            except OverflowError:  # past year 9999 once in UTC
                self.fail("overflow")
        return bounded(parsed)


class ScheduledJobSerializer(ModelSerializer):
    workspace = serializers.UUIDField(
        source="workspace_id",
        required=False,
        help_text="Workspace id (create only); defaults to your personal workspace.",
    )
    campaign_id = WorkspaceRelatedField(
        model=Campaign, name="campaign", source="campaign", required=False, allow_null=True
    )
    template_id = WorkspaceRelatedField(
        model=JobTemplate, name="template", source="template", required=False, allow_null=True
    )
    scheduled_at = ScheduleInstantField()
    recurrence_end_date = ScheduleInstantField(required=False, allow_null=True)
    recurrence_pattern = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=500
    )
    timezone = serializers.CharField(required=False, max_length=64)
    max_runs = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    job_config = serializers.JSONField(required=False)
    misfire_grace_seconds = serializers.IntegerField(
        required=False, min_value=0, max_value=7 * 86400
    )
    catch_up_max_runs = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    jitter_seconds = serializers.IntegerField(required=False, min_value=0, max_value=3600)
    schedule_description = serializers.SerializerMethodField(
        help_text="The schedule in words, e.g. 'Every Monday at 09:00 (America/New_York)'."
    )
    next_runs = serializers.SerializerMethodField(
        help_text=f"The next {PREVIEW_RUNS} run times (UTC), empty unless active."
    )
    scheduled_local = serializers.SerializerMethodField(
        help_text=(
            "The first run's wall time as typed, in timezone (YYYY-MM-DDThh:mm:ss): the "
            "time of day the series repeats, even when scheduled_at was shifted by a DST gap."
        )
    )

    class Meta:
        model = ScheduledJob
        fields = [
            "id",
            "workspace",
            "name",
            "description",
            "campaign_id",
            "template_id",
            "schedule_type",
            "scheduled_at",
            "scheduled_local",
            "recurrence_pattern",
            "recurrence_end_date",
            "timezone",
            "max_runs",
            "job_config",
            "status",
            "next_run_at",
            "last_run_at",
            "run_count",
            "error_count",
            "version",
            "misfire_policy",
            "misfire_grace_seconds",
            "catch_up_max_runs",
            "overlap_policy",
            "jitter_seconds",
            "pause_note",
            "paused_at",
            "schedule_description",
            "next_runs",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "next_run_at",
            "last_run_at",
            "run_count",
            "error_count",
            "version",
            "pause_note",
            "paused_at",
            "created_at",
            "updated_at",
        ]

    def get_schedule_description(self, obj: ScheduledJob) -> str:
        return obj.human_description

    def get_next_runs(self, obj: ScheduledJob) -> list[datetime]:
        return obj.upcoming_runs(count=PREVIEW_RUNS)

    def get_scheduled_local(self, obj: ScheduledJob) -> str:
        try:
            return format_wall_time(obj.local_start())
        except recurrence.RecurrenceError:
            return obj.scheduled_local

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("Name cannot be blank.")
        return value

    def validate_timezone(self, value: str) -> str:
        try:
            validate_timezone(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return value

    def validate_job_config(self, value):
        try:
            validate_metadata(value)
        except DjangoValidationError:
            raise serializers.ValidationError(
                "job_config must be a JSON object of at most 16 KB."
            ) from None
        return value

    def validate_recurrence_pattern(self, value):
        return (value or "").strip()

    def validate(self, attrs):
        attrs.pop("workspace_id", None)  # chosen by the view, never changed by an edit
        zone = attrs.get("timezone", getattr(self.instance, "timezone", None) or "UTC")
        if "scheduled_at" in attrs or "timezone" in attrs:
            # The wall time as typed, before a DST gap shifts the instant.
            start = attrs.get("scheduled_at", getattr(self.instance, "scheduled_at", None))
            typed = scheduled_local_for(start, zone, current=self.instance)
            if typed is not None:
                attrs["scheduled_local"] = typed
        return _resolve_instants(attrs, zone, ("scheduled_at", "recurrence_end_date"))


class RunSerializer(ModelSerializer):
    """One run of a schedule: a Job."""

    class Meta:
        model = Job
        fields = [
            "id",
            "name",
            "trigger",
            "status",
            "scheduled_for",
            "not_before",
            "schedule_version",
            "attempts",
            "last_error",
            "created_at",
            "queued_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ScheduleEventSerializer(ModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = ScheduleEvent
        fields = ["id", "kind", "actor", "note", "changes", "skipped_runs", "created_at"]
        read_only_fields = fields


class PauseSerializer(Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class OccurrenceSkipSerializer(Serializer):
    occurrence_at = ScheduleInstantField(
        help_text=(
            "The run to skip: one of the schedule's next run times (an instant; "
            "without an offset, wall-clock time in the schedule's timezone)."
        )
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class OccurrenceMoveSerializer(OccurrenceSkipSerializer):
    new_time = ScheduleInstantField(
        help_text="When that run happens instead (same rules as occurrence_at)."
    )


class ScheduleExceptionSerializer(ModelSerializer):
    scheduled_job_id = serializers.UUIDField(read_only=True)
    replacement_id = serializers.UUIDField(
        read_only=True,
        allow_null=True,
        help_text="The one-off schedule that runs a moved run (null for a skip).",
    )
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ScheduleException
        fields = [
            "id",
            "scheduled_job_id",
            "occurrence_at",
            "moved_to",
            "replacement_id",
            "actor",
            "note",
            "created_at",
        ]
        read_only_fields = fields

    def get_actor(self, obj: ScheduleException) -> str:
        return obj.actor.get_username() if obj.actor_id else "system"


def _resolve_instants(
    body: dict, zone: str, names: tuple[str, ...] = ("occurrence_at", "new_time")
) -> dict:
    """Naive instants are wall-clock time in the schedule's zone, as on create."""
    resolved = dict(body)
    for name in names:
        value = resolved.get(name)
        if isinstance(value, datetime) and timezone.is_naive(value):
            try:
                resolved[name] = recurrence.parse_local_start(value, zone)
            except recurrence.RecurrenceError as error:
                raise serializers.ValidationError({name: error.message}) from None
    return resolved


class ScheduledJobFilter(django_filters.FilterSet):
    campaign_id = django_filters.UUIDFilter(field_name="campaign_id")
    template_id = django_filters.UUIDFilter(field_name="template_id")
    status_filter = django_filters.ChoiceFilter(
        field_name="status", choices=ScheduledJob.Status.choices
    )
    status = django_filters.ChoiceFilter(choices=ScheduledJob.Status.choices)
    schedule_type = django_filters.ChoiceFilter(choices=ScheduledJob.ScheduleType.choices)
    upcoming_only = django_filters.BooleanFilter(method="filter_upcoming")

    class Meta:
        model = ScheduledJob
        fields = ["campaign_id", "template_id", "status_filter", "status", "schedule_type"]

    def filter_upcoming(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status=ScheduledJob.Status.ACTIVE, next_run_at__isnull=False)


HOURS_PARAM = OpenApiParameter("hours", int, description="Window in hours, 1-720 (default 24).")


class ScheduledJobViewSet(WorkspaceScopedModelViewSet):
    """Scheduled jobs: one-time and recurring runs of a job configuration."""

    queryset = selectors.scheduled_jobs()
    serializer_class = ScheduledJobSerializer
    filterset_class = ScheduledJobFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "next_run_at", "created_at", "updated_at", "run_count", "status"]
    ordering = [
        "next_run_at",
        "name",
    ]

    def get_queryset(self):
        # next_runs leaves out skipped and moved runs: one query for the whole page.
        ahead = ScheduleException.objects.filter(occurrence_at__gte=F("scheduled_job__next_run_at"))
        if self.action != "list":
            return super().get_queryset().prefetch_related(Prefetch("exceptions", queryset=ahead))
        # A page only reads: its rows get the exceptions as a plain list (Django
        # builds no related manager per row then), and show their related
        # objects' ids only, so the joins go too.
        prefetch = Prefetch("exceptions", queryset=ahead, to_attr=PREFETCHED_EXCEPTIONS)
        return super().get_queryset().select_related(None).prefetch_related(prefetch)

    def perform_create(self, serializer):
        serializer.instance = services.schedule_create(
            workspace=self.target_workspace(),
            created_by=self.request.user,
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = services.schedule_update(
            schedule=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.schedule_delete(schedule=instance, actor=self.request.user)

    @extend_schema(request=PauseSerializer, responses=ScheduledJobSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Pause: no runs until resumed. An optional ``note`` says why."""
        schedule = self.get_object()  # 404 / 403 before anything is said about the body
        body = PauseSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        schedule = services.schedule_pause(
            schedule=schedule, actor=request.user, note=body.validated_data["note"]
        )
        return Response(self.get_serializer(schedule).data)

    @extend_schema(request=None, responses=ScheduledJobSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Resume from now: runs missed while paused are skipped and counted in the audit."""
        schedule = services.schedule_resume(schedule=self.get_object(), actor=request.user)
        return Response(self.get_serializer(schedule).data)

    @extend_schema(request=None, responses={201: RunSerializer})
    @action(detail=True, methods=["post"], url_path="run-now")
    def run_now(self, request, pk=None):
        """Run once now, outside the series (does not count toward max_runs)."""
        job = services.schedule_run_now(schedule=self.get_object(), actor=request.user)
        return Response(RunSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OccurrenceSkipSerializer, responses={201: ScheduleExceptionSerializer})
    @action(detail=True, methods=["post"], url_path="occurrences/skip")
    def skip_occurrence(self, request, pk=None):
        """Skip one run of a recurring schedule; the runs before and after it stay."""
        schedule = self.get_object()
        body = OccurrenceSkipSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        data = _resolve_instants(body.validated_data, schedule.timezone)
        exception = services.schedule_occurrence_skip(
            scheduled_job=schedule,
            occurrence_at=data["occurrence_at"],
            actor=request.user,
            note=data["note"],
        )
        return Response(ScheduleExceptionSerializer(exception).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OccurrenceMoveSerializer, responses={201: ScheduleExceptionSerializer})
    @action(detail=True, methods=["post"], url_path="occurrences/move")
    def move_occurrence(self, request, pk=None):
        """Move one run of a recurring schedule to ``new_time``: the series skips it and
        a one-off schedule (``replacement_id``) runs it at the new time."""
        schedule = self.get_object()
        body = OccurrenceMoveSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        data = _resolve_instants(body.validated_data, schedule.timezone)
        exception = services.schedule_occurrence_move(
            scheduled_job=schedule,
            occurrence_at=data["occurrence_at"],
            new_time=data["new_time"],
            actor=request.user,
            note=data["note"],
        )
        return Response(ScheduleExceptionSerializer(exception).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=OCCURRENCE_PARAMS, responses=OccurrenceListSerializer)
    @action(detail=True, methods=["get"], url_path="occurrences")
    def occurrences(self, request, pk=None):
        """Every occurrence in ``from``..``to`` (past and future) with its fate: the run
        ledger. Each says what became of its nominal time: succeeded, failed,
        running, waiting, upcoming, skipped, moved, missed or withdrawn (with why)."""
        schedule = self.get_object()
        now = timezone.now()
        window = occurrence_window(request.query_params, schedule.timezone, now=now)
        entries, truncated = selectors.schedule_occurrences(
            schedule, start=window.start, end=window.end, now=now
        )
        replacements = selectors.replacement_runs(entries)
        summary = ledger.summarize(entries, late_after_seconds=settings.LATE_AFTER_SECONDS)
        if window.fates:
            entries = [entry for entry in entries if entry.fate in window.fates]
        zone = zoneinfo.ZoneInfo(schedule.timezone)
        return Response(
            {
                "schedule_id": schedule.pk,
                "timezone": schedule.timezone,
                "status": schedule.status,
                "from": window.start,
                "to": window.end,
                "checked_at": now,
                "count": len(entries),
                "truncated": truncated,
                "summary": summary,
                "occurrences": [
                    occurrence_data(entry, zone, replacements.get(entry.replacement_id))
                    for entry in entries
                ],
            }
        )

    @extend_schema(responses=RunSerializer(many=True))
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        """The schedule's runs (its jobs), newest nominal time first."""
        runs = selectors.schedule_runs(self.get_object())
        page = self.paginate_queryset(runs)
        return self.get_paginated_response(RunSerializer(page, many=True).data)

    @extend_schema(responses=ScheduleEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """The audit trail: who created, edited, paused, resumed; what the system did."""
        events = selectors.schedule_events(self.get_object())
        page = self.paginate_queryset(events)
        return self.get_paginated_response(ScheduleEventSerializer(page, many=True).data)

    @extend_schema(parameters=[HOURS_PARAM])
    @action(detail=False, methods=["get"])
    def upcoming(self, request):
        """Every run in the next ``hours``: a recurring schedule appears once per occurrence."""
        hours = _hours_param(request.query_params.get("hours", "24"))
        now = timezone.now()
        cutoff = now + timedelta(hours=hours)
        schedules = self.filter_queryset(self.get_queryset())
        occurrences, truncated = selectors.upcoming_occurrences(schedules, now=now, until=cutoff)
        return Response(
            {
                "time_window_hours": hours,
                "cutoff_time": cutoff,
                "upcoming_count": len(occurrences),
                "truncated": truncated,
                "jobs": [_occurrence_data(schedule, run_at) for schedule, run_at in occurrences],
            }
        )

    @extend_schema(responses={200: dict, 503: dict}, auth=database_outage.SCHEMA_AUTH)
    @action(
        detail=False,
        methods=["get"],
        url_path="status",
        # With the database down credentials cannot be checked: answer 503 with
        # the components (and nothing of any tenant) rather than a 500.
        authentication_classes=database_outage.outage_tolerant_authentication(),
        permission_classes=[database_outage.IsAuthenticatedOrDatabaseDown],
    )
    def dispatcher_status(self, request):
        """Dispatcher health and the last 24 hours of occurrences in your workspaces.

        200 when healthy; 503 when no dispatcher has run for three beat intervals,
        a run is due past its grace window and nothing has picked it up (a dead
        man's switch for monitoring), or a component (database, broker, cache,
        workers, dispatcher) is down: ``components`` says which and since when.
        Figures are counted over your workspaces; staff see the installation's
        (global counts, dispatcher host and pid, workers, error texts)."""
        if database_outage.database_is_down(request):
            report = health.outage_report()
        else:
            scope = None if request.user.is_staff else workspaces_for(request.user)
            report = health.status_report(workspaces=scope)
        code = status.HTTP_200_OK if report["healthy"] else status.HTTP_503_SERVICE_UNAVAILABLE
        return Response(report, status=code)


def _hours_param(raw: str) -> int:
    try:
        hours = int(raw)
    except (TypeError, ValueError):
        hours = 0
    if not 1 <= hours <= 720:
        raise serializers.ValidationError({"hours": "hours must be a whole number from 1 to 720."})
    return hours


def _occurrence_data(schedule: ScheduledJob, run_at: datetime) -> dict:
    return {
        "scheduled_job_id": schedule.pk,
        "name": schedule.name,
        "run_at": run_at,
        "local_run_at": run_at.astimezone(zoneinfo.ZoneInfo(schedule.timezone)).isoformat(),
        "timezone": schedule.timezone,
        "schedule_type": schedule.schedule_type,
        "schedule_description": schedule.human_description,
        "campaign_id": schedule.campaign_id,
        "campaign_name": schedule.campaign.name if schedule.campaign_id else None,
        "campaign_color": schedule.campaign.color if schedule.campaign_id else None,
        "template_id": schedule.template_id,
    }


# --- campaigns/<id>/pause and /resume -------------------------------------------------


class _CampaignScheduleAction(APIView):
    """Campaign pause/resume live here because they act on the campaign's schedules."""

    permission_classes = [permissions.IsAuthenticated]

    def campaign(self, request, pk) -> Campaign:
        campaign = get_object_or_404(
            Campaign.objects.filter(workspace__in=workspaces_for(request.user)), pk=pk
        )
        membership = membership_for(request.user, campaign.workspace_id)
        if membership is None or not membership.can_write:
            raise PermissionDenied("Your role in this workspace is read-only.")
        return campaign

    @staticmethod
    def answer(campaign: Campaign, count: int, key: str) -> Response:
        return Response(
            {
                "campaign_id": campaign.pk,
                "status": campaign.status,
                key: count,
                "active_schedules": campaign.scheduled_jobs.filter(
                    status=ScheduledJob.Status.ACTIVE
                ).count(),
                "paused_schedules": campaign.scheduled_jobs.filter(
                    status=ScheduledJob.Status.PAUSED
                ).count(),
            }
        )


class CampaignPauseView(_CampaignScheduleAction):
    @extend_schema(request=PauseSerializer, responses=dict, operation_id="campaigns_pause")
    def post(self, request, pk):
        """Pause a campaign and every active schedule in it."""
        campaign = self.campaign(request, pk)
        body = PauseSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        campaign, count = services.campaign_pause(
            campaign=campaign, actor=request.user, note=body.validated_data["note"]
        )
        return self.answer(campaign, count, "schedules_paused")


class CampaignResumeView(_CampaignScheduleAction):
    @extend_schema(request=None, responses=dict, operation_id="campaigns_resume")
    def post(self, request, pk):
        """Resume a campaign and the schedules its pause stopped."""
        campaign, count = services.campaign_resume(
            campaign=self.campaign(request, pk), actor=request.user
        )
        return self.answer(campaign, count, "schedules_resumed")
