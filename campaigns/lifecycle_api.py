"""API for the campaign lifecycle, mixed into ``CampaignViewSet``.

Routes (under /api/v1/campaigns): POST schedule, GET scheduled, GET archived
(list-level, so they win over /campaigns/{id}), and per campaign POST
duplicate, archive, unarchive and GET children. The rules live in
``campaigns/lifecycle.py``; this module shapes requests and responses.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns import lifecycle, services
from campaigns.models import Campaign
from scheduler_site.api.serializers import Serializer
from scheduler_site.lib.moments import validate_moment
from scheduler_site.lib.validators import validate_timezone
from schedules import recurrence

# Read-only on the campaign serializer: they change through the lifecycle routes.
LIFECYCLE_FIELDS = list(lifecycle.LIFECYCLE_FIELDS)

# Fields of a new campaign that POST /campaigns/schedule accepts alongside the schedule.
NEW_CAMPAIGN_FIELDS = (
    "workspace",
    "name",
    "description",
    "color",
    "tags",
    "target_job_count",
    "target_budget_usd",
    "start_date",
    "end_date",
)


def _parse_instant(value: str, timezone_name: str, field: str):
    """An ISO date-time; without an offset it is wall time in the campaign's zone.
    Its year, as typed and in UTC, is in the product's range (lib/moments.py)."""
    try:
        typed = datetime.fromisoformat(value.strip())
    except ValueError:
        typed = None
    try:
        if typed is not None:
            validate_moment(typed)
        instant = recurrence.parse_local_start(value, timezone_name)
        validate_moment(instant)
    except recurrence.RecurrenceError:
        raise serializers.ValidationError(
            {field: [f"'{value}' is not a date and time such as '2026-12-01T09:00:00'."]}
        ) from None
    except DjangoValidationError as exc:
        raise serializers.ValidationError({field: exc.messages}) from None
    return instant


class RecurrenceInputSerializer(Serializer):
    type = serializers.ChoiceField(choices=Campaign.RecurrenceType.choices)
    pattern = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="As for scheduled jobs: 'weekly:monday', 'monthly:1', a cron line, an RRULE.",
    )
    end_date = serializers.CharField(
        required=False, allow_null=True, help_text="Last possible occurrence (inclusive)."
    )
    count = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=10_000, help_text="Occurrences."
    )

    def validate(self, attrs):
        if not attrs.get("end_date") and not attrs.get("count"):
            raise serializers.ValidationError(
                {"end_date": ["A recurrence needs an end_date or a count."]}
            )
        return attrs


class CampaignScheduleSerializer(Serializer):
    # The new campaign's fields are checked by the campaign serializer.
    also_accepts = tuple(name for name in NEW_CAMPAIGN_FIELDS if name != "name")

    campaign_id = serializers.UUIDField(
        required=False, help_text="The campaign to schedule; omit it and give a name to create one."
    )
    campaign = serializers.UUIDField(
        required=False,
        help_text="The original name of `campaign_id`, still accepted; send one of the two.",
    )
    name = serializers.CharField(
        required=False,
        max_length=255,
        help_text=(
            "Without `campaign_id`: create a campaign with this name (and any of description, "
            "color, tags, target_job_count, target_budget_usd, start_date, end_date, workspace)."
        ),
    )
    scheduled_at = serializers.CharField(
        help_text="When it starts: ISO 8601; without an offset, wall time in `timezone`."
    )
    timezone = serializers.CharField(
        required=False, help_text="IANA zone; defaults to the campaign's (or workspace's)."
    )
    recurrence = RecurrenceInputSerializer(required=False, allow_null=True)

    def validate(self, attrs):
        if "campaign" in attrs:
            if "campaign_id" in attrs:
                raise serializers.ValidationError(
                    {"campaign_id": ["Give campaign_id or campaign (its older name), not both."]}
                )
            attrs["campaign_id"] = attrs.pop("campaign")
        if not attrs.get("campaign_id") and not attrs.get("name"):
            raise serializers.ValidationError(
                {"campaign_id": ["Give the campaign to schedule, or a name to create one."]}
            )
        return attrs

    def validate_timezone(self, value: str) -> str:
        try:
            validate_timezone(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return value


class CampaignDuplicateSerializer(Serializer):
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=255, help_text="Default: '<name> (copy)'."
    )
    include_templates = serializers.BooleanField(default=True)
    include_schedules = serializers.BooleanField(
        default=True, help_text="Schedules are copied paused."
    )
    shift_days = serializers.IntegerField(default=0, min_value=-3650, max_value=3650)


class CampaignLifecycleMixin:
    """Lifecycle actions and rules for the campaign viewset."""

    def get_queryset(self):
        queryset = super().get_queryset()
        # Archived campaigns leave the default list; ?status=archived still finds them.
        if self.action == "list" and self.request.query_params.get("status") != "archived":
            queryset = queryset.exclude(status=Campaign.Status.ARCHIVED)
        return queryset

    def update(self, request, *args, **kwargs):
        lifecycle.refuse_if_archived(self.get_object())
        return super().update(request, *args, **kwargs)

    def _respond(self, campaign: Campaign, code=status.HTTP_200_OK) -> Response:
        self._target_workspace = campaign.workspace
        return Response(self.get_serializer(campaign).data, status=code)

    def _paginated(self, queryset) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    # --- list-level routes ---------------------------------------------------------

    @extend_schema(request=CampaignScheduleSerializer)
    @action(detail=False, methods=["post"], url_path="schedule")
    def schedule(self, request):
        """Schedule a campaign to start later (paused until then), optionally recurring."""
        payload = CampaignScheduleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if data.get("campaign_id"):
            campaign = get_object_or_404(self.get_queryset(), pk=data["campaign_id"])
            self.check_object_permissions(request, campaign)
            with transaction.atomic():
                campaign = self._schedule(campaign, data)
            return self._respond(campaign)
        workspace = self.workspace_for_create()
        self._target_workspace = workspace
        fields = {key: request.data[key] for key in NEW_CAMPAIGN_FIELDS if key in request.data}
        new = self.get_serializer(data=fields)
        new.is_valid(raise_exception=True)
        with transaction.atomic():
            campaign = services.campaign_create(
                workspace=workspace,
                created_by=request.user,
                timezone=data.get("timezone") or workspace.timezone,
                **new.validated_data,
            )
            campaign = self._schedule(campaign, data)
        return self._respond(campaign, status.HTTP_201_CREATED)

    def _schedule(self, campaign: Campaign, data: dict) -> Campaign:
        timezone_name = data.get("timezone") or campaign.timezone
        scheduled_at = _parse_instant(data["scheduled_at"], timezone_name, "scheduled_at")
        rule = data.get("recurrence") or {}
        end_date = None
        if rule.get("end_date"):
            end_date = _parse_instant(rule["end_date"], timezone_name, "recurrence_end_date")
        return lifecycle.campaign_schedule(
            campaign=campaign,
            scheduled_at=scheduled_at,
            timezone_name=timezone_name,
            recurrence_type=rule.get("type", ""),
            recurrence_pattern=rule.get("pattern", ""),
            recurrence_end_date=end_date,
            recurrence_count=rule.get("count"),
            actor=self.request.user,
        )

    @action(detail=False, methods=["get"], url_path="scheduled")
    def scheduled(self, request):
        """Campaigns waiting for their start or their next occurrence, soonest first."""
        queryset = (
            self.get_queryset()
            .filter(next_run_at__isnull=False)
            .exclude(status__in=[Campaign.Status.ARCHIVED, Campaign.Status.COMPLETED])
            .order_by("next_run_at", "pk")
        )
        return self._paginated(queryset)

    @action(detail=False, methods=["get"], url_path="archived")
    def archived(self, request):
        """Archived campaigns, most recently archived first."""
        queryset = (
            self.get_queryset()
            .filter(status=Campaign.Status.ARCHIVED)
            .order_by("-archived_at", "pk")
        )
        return self._paginated(queryset)

    # --- per-campaign routes --------------------------------------------------------

    @extend_schema(request=CampaignDuplicateSerializer)
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        """Copy the campaign (templates, schedules paused), dates moved by shift_days."""
        source = self.get_object()
        payload = CampaignDuplicateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        copy = lifecycle.campaign_duplicate(
            campaign=source, actor=request.user, **payload.validated_data
        )
        return self._respond(copy, status.HTTP_201_CREATED)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        """Archive: hidden from default lists, schedules paused, read-only."""
        campaign = lifecycle.campaign_archive(campaign=self.get_object(), actor=request.user)
        return self._respond(campaign)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def unarchive(self, request, pk=None):
        """Restore the status it had before archiving (schedules stay paused)."""
        campaign = lifecycle.campaign_unarchive(campaign=self.get_object(), actor=request.user)
        return self._respond(campaign)

    @action(detail=True, methods=["get"])
    def children(self, request, pk=None):
        """Duplicates and recurring occurrences made from this campaign."""
        parent = self.get_object()
        queryset = (
            Campaign.objects.filter(parent_campaign=parent)
            .select_related("workspace")
            .order_by("occurrence_at", "created_at", "pk")
        )
        return self._paginated(queryset)
