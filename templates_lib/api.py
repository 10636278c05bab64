from __future__ import annotations

from contextlib import contextmanager

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns.models import Campaign
from scheduler_site.api.fields import JSONField
from scheduler_site.api.lean import LeanListMixin
from scheduler_site.api.scoping import WorkspaceRelatedField, WorkspaceScopedModelViewSet
from scheduler_site.api.serializers import ModelSerializer
from scheduler_site.lib.validators import (
    normalize_country,
    normalize_hostname,
    normalize_language,
    normalize_tags,
)
from templates_lib import services
from templates_lib.models import JobTemplate


class JobTemplateSerializer(ModelSerializer):
    workspace = serializers.UUIDField(
        source="workspace_id",
        required=False,
        help_text="Workspace id (create only); defaults to your personal workspace.",
    )
    campaign_id = WorkspaceRelatedField(
        model=Campaign, name="campaign", source="campaign", required=False, allow_null=True
    )
    tags = serializers.ListField(child=serializers.JSONField(), required=False)
    metadata = JSONField(required=False)
    max_retries = serializers.IntegerField(min_value=0, max_value=10, required=False)
    retry_backoff_seconds = serializers.IntegerField(
        min_value=1, max_value=3600, required=False, allow_null=True
    )
    batch_size = serializers.IntegerField(min_value=1, max_value=100, required=False)

    class Meta:
        model = JobTemplate
        fields = [
            "id",
            "workspace",
            "campaign_id",
            "name",
            "description",
            "publisher_domain",
            "llm_provider",
            "llm_model",
            "writing_strategy",
            "country",
            "language",
            "max_retries",
            "retry_backoff_seconds",
            "batch_size",
            "metadata",
            "use_count",
            "is_favorite",
            "tags",
            "created_at",
            "updated_at",
            "last_used_at",
        ]
        read_only_fields = ["id", "use_count", "created_at", "updated_at", "last_used_at"]
        extra_kwargs = {"country": {"max_length": None}}

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("Name cannot be blank.")
        return value

    def validate_tags(self, value):
        return normalize_tags(value)

    def validate_country(self, value):
        return normalize_country(value) if value else ""

    def validate_language(self, value):
        return normalize_language(value) if value else ""

    def validate_publisher_domain(self, value):
        return normalize_hostname(value) if value else ""

    def validate(self, attrs):
        attrs.pop("workspace_id", None)
        return attrs


@contextmanager
def _api_field_names():
    """Services name the model field (``campaign``); the API calls it ``campaign_id``."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict") or "campaign" not in exc.error_dict:
            raise
        renamed = {
            ("campaign_id" if field == "campaign" else field): errors
            for field, errors in exc.error_dict.items()
        }
        raise DjangoValidationError(renamed) from None


class JobTemplateFilter(django_filters.FilterSet):
    campaign_id = django_filters.UUIDFilter(field_name="campaign_id")
    favorites_only = django_filters.BooleanFilter(method="filter_favorites")
    tag = django_filters.CharFilter(field_name="tags", lookup_expr="has_element")

    class Meta:
        model = JobTemplate
        fields = ["campaign_id", "favorites_only", "tag", "llm_provider", "writing_strategy"]

    def filter_favorites(self, queryset, name, value):
        return queryset.filter(is_favorite=True) if value else queryset


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("workspace", str, description="Narrow to one workspace (id or slug).")
        ]
    )
)
class JobTemplateViewSet(LeanListMixin, WorkspaceScopedModelViewSet):
    """Reusable job configurations, favourites first."""

    queryset = JobTemplate.objects.select_related("workspace", "campaign")
    serializer_class = JobTemplateSerializer
    filterset_class = JobTemplateFilter
    search_fields = ["name", "description", "publisher_domain", "llm_model"]
    ordering_fields = ["name", "created_at", "updated_at", "use_count", "last_used_at"]
    ordering = ["-is_favorite", "name"]

    def perform_create(self, serializer):
        with _api_field_names():
            serializer.instance = services.template_create(
                workspace=self.target_workspace(),
                created_by=self.request.user,
                **serializer.validated_data,
            )

    def perform_update(self, serializer):
        with _api_field_names():
            serializer.instance = services.template_update(
                template=serializer.instance, **serializer.validated_data
            )

    def perform_destroy(self, instance):
        services.template_delete(template=instance)

    @extend_schema(request=None, responses=JobTemplateSerializer)
    @action(detail=True, methods=["post"])
    def favorite(self, request, pk=None):
        """Toggle the star and return the template."""
        template = services.template_toggle_favorite(template=self.get_object())
        return Response(self.get_serializer(template).data)
