from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns import services
from campaigns.lifecycle_api import LIFECYCLE_FIELDS, CampaignLifecycleMixin
from campaigns.models import Campaign, validate_campaign_dates
from campaigns.selectors import campaign_stats
from scheduler_site.api.lean import LeanListMixin
from scheduler_site.api.scoping import WorkspaceScopedModelViewSet
from scheduler_site.api.serializers import ModelSerializer, Serializer
from scheduler_site.lib.validators import normalize_tags

WORKSPACE_PARAM = OpenApiParameter(
    "workspace", str, description="Narrow to one workspace (id or slug)."
)


class CampaignSerializer(ModelSerializer):
    workspace = serializers.UUIDField(
        source="workspace_id",
        required=False,
        help_text="Workspace id (create only); defaults to your personal workspace.",
    )
    target_budget_usd = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    target_job_count = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.JSONField(), required=False)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "workspace",
            "name",
            "description",
            "status",
            "color",
            "tags",
            "target_job_count",
            "target_budget_usd",
            "start_date",
            "end_date",
            "created_at",
            "updated_at",
            *LIFECYCLE_FIELDS,
        ]
        read_only_fields = ["id", "created_at", "updated_at", *LIFECYCLE_FIELDS]

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("Name cannot be blank.")
        return value

    def validate_tags(self, value):
        return normalize_tags(value)

    def validate_status(self, value: str) -> str:
        if value == Campaign.Status.ARCHIVED:
            raise serializers.ValidationError(
                "Archive a campaign with POST /api/v1/campaigns/{id}/archive."
            )
        return value

    def validate(self, attrs):
        attrs.pop("workspace_id", None)  # chosen by the view, never changed by an edit
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        validate_campaign_dates(start, end)
        return attrs


class CampaignStatsSerializer(Serializer):
    campaign_id = serializers.UUIDField()
    total_jobs = serializers.IntegerField()
    total_scheduled_jobs = serializers.IntegerField()
    total_templates = serializers.IntegerField()
    job_count_progress = serializers.FloatField(allow_null=True)
    days_remaining = serializers.IntegerField(allow_null=True)
    status_distribution = serializers.DictField(child=serializers.IntegerField())
    spent_usd = serializers.DecimalField(max_digits=14, decimal_places=2)
    budget_progress = serializers.FloatField(allow_null=True)


class CampaignFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices)
    tag = django_filters.CharFilter(field_name="tags", lookup_expr="has_element")

    class Meta:
        model = Campaign
        fields = ["status", "tag"]


@extend_schema_view(list=extend_schema(parameters=[WORKSPACE_PARAM]))
class CampaignViewSet(LeanListMixin, CampaignLifecycleMixin, WorkspaceScopedModelViewSet):
    """Campaigns group jobs, templates and schedules."""

    queryset = Campaign.objects.select_related("workspace")
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "updated_at", "start_date", "end_date", "status"]
    ordering = ["-created_at"]

    def perform_create(self, serializer):
        serializer.instance = services.campaign_create(
            workspace=self.target_workspace(),
            created_by=self.request.user,
            **serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = services.campaign_update(
            campaign=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.campaign_delete(campaign=instance)

    @extend_schema(responses=CampaignStatsSerializer)
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        """Progress towards the campaign's targets."""
        return Response(CampaignStatsSerializer(campaign_stats(self.get_object())).data)
