"""/api/v1/jobs and /api/v1/templates/{id}/use."""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs import retries, selectors, services
from jobs.models import Job, JobAttempt
from scheduler_site.api.filters import UTCIsoDateTimeFilter
from scheduler_site.api.lean import LeanListMixin
from scheduler_site.api.scoping import WorkspaceScopedMixin
from scheduler_site.api.serializers import ModelSerializer, Serializer
from scheduler_site.lib.validators import validate_outbound_url
from templates_lib.api import JobTemplateSerializer
from templates_lib.models import JobTemplate
from workspaces.selectors import membership_for, workspaces_for


class JobAttemptSerializer(ModelSerializer):
    class Meta:
        model = JobAttempt
        fields = [
            "number",
            "outcome",
            "started_at",
            "finished_at",
            "duration_ms",
            "http_status",
            "error",
        ]


class JobSerializer(ModelSerializer):
    workspace = serializers.UUIDField(source="workspace_id", read_only=True)
    campaign_id = serializers.UUIDField(read_only=True)
    template_id = serializers.UUIDField(read_only=True)
    scheduled_job_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "workspace",
            "name",
            "status",
            "trigger",
            "campaign_id",
            "campaign_name",
            "template_id",
            "scheduled_job_id",
            "schedule_version",
            "config",
            "scheduled_for",
            "not_before",
            "attempts",
            "max_retries",
            "last_error",
            "result",
            "cost_usd",
            "created_at",
            "queued_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class RetryWaitSerializer(Serializer):
    attempt = serializers.IntegerField()
    wait_min_seconds = serializers.FloatField()
    wait_max_seconds = serializers.FloatField()


class JobDetailSerializer(JobSerializer):
    attempt_log = JobAttemptSerializer(many=True, read_only=True)
    retry_schedule = serializers.SerializerMethodField(
        help_text="The wait before each retry after a failed attempt (a band: the jitter)."
    )

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "retry_schedule", "attempt_log"]
        read_only_fields = fields

    @extend_schema_field(RetryWaitSerializer(many=True))
    def get_retry_schedule(self, job: Job) -> list[dict]:
        return retries.planned_waits(config=job.config, max_retries=job.max_retries)


class JobFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Job.Status.choices)
    trigger = django_filters.MultipleChoiceFilter(choices=Job.Trigger.choices)
    campaign = django_filters.UUIDFilter(field_name="campaign_id")
    template = django_filters.UUIDFilter(field_name="template_id")
    scheduled_job = django_filters.UUIDFilter(field_name="scheduled_job_id")
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    scheduled_after = UTCIsoDateTimeFilter(field_name="scheduled_for", lookup_expr="gte")
    scheduled_before = UTCIsoDateTimeFilter(field_name="scheduled_for", lookup_expr="lt")

    class Meta:
        model = Job
        fields = ["status", "trigger", "campaign", "template", "scheduled_job"]


class JobViewSet(LeanListMixin, WorkspaceScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Job runs: list, detail with attempts, cancel and retry.

    Status and trigger accept several values (`?status=failed&status=cancelled`).
    """

    queryset = selectors.job_list()
    serializer_class = JobSerializer
    filterset_class = JobFilter
    search_fields = ["name", "campaign_name"]
    ordering_fields = ["created_at", "scheduled_for", "started_at", "finished_at", "status", "name"]
    ordering = ["-created_at"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(*selectors.job_detail()._prefetch_related_lookups)
        return queryset

    def get_serializer_class(self):
        return JobSerializer if self.action == "list" else JobDetailSerializer

    @extend_schema(request=None, responses=JobDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a pending or queued job (anything else is a 400)."""
        job = services.job_cancel(job=self.get_object(), reason="Cancelled by a user.")
        return Response(JobDetailSerializer(job).data)

    @extend_schema(request=None, responses=JobDetailSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Run a failed job again (a new attempt)."""
        job = services.job_retry(job=self.get_object())
        return Response(JobDetailSerializer(job).data)


class TemplateUseSerializer(Serializer):
    """Overrides for one use: any template config field, plus execution keys.

    Template fields are validated by the template serializer's own rules, so
    "use" accepts exactly what editing the template would.
    """

    name = serializers.CharField(max_length=255, required=False)
    executor = serializers.CharField(required=False)
    webhook_url = serializers.URLField(
        max_length=500, required=False, validators=[validate_outbound_url]
    )

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Send a JSON object."]})
        allowed = {*JobTemplate.CONFIG_FIELDS, *self.fields}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise exceptions.ValidationError(
                {
                    key: [f"Unknown field; overridable: {', '.join(sorted(allowed))}."]
                    for key in unknown
                }
            )
        own = super().to_internal_value({key: data[key] for key in self.fields if key in data})
        template_fields = {key: data[key] for key in JobTemplate.CONFIG_FIELDS if key in data}
        checker = JobTemplateSerializer(data=template_fields, partial=True, context=self.context)
        if not checker.is_valid():
            raise exceptions.ValidationError(checker.errors)
        validated = {
            key: value for key, value in checker.validated_data.items() if key in template_fields
        }
        if "executor" in own and own["executor"] not in settings.JOB_EXECUTORS:
            raise exceptions.ValidationError(
                {
                    "executor": [
                        f"'{own['executor']}' is not an executor; choose one of: "
                        f"{', '.join(sorted(settings.JOB_EXECUTORS))}."
                    ]
                }
            )
        return {**validated, **own}


def _check_model_rules(template: JobTemplate, overrides: dict) -> None:
    """Run the template model's validators on the merged values (metadata size...)."""
    merged = services.merge_config(template.as_config(), overrides)
    candidate = JobTemplate(
        **{key: merged.get(key) for key in JobTemplate.CONFIG_FIELDS}, workspace=template.workspace
    )
    exclude = [f.name for f in JobTemplate._meta.fields if f.name not in JobTemplate.CONFIG_FIELDS]
    candidate.clean_fields(exclude=exclude)


class TemplateUseView(APIView):
    """POST /api/v1/templates/{id}/use: create a job from a template, with overrides."""

    @extend_schema(request=TemplateUseSerializer, responses={201: JobDetailSerializer})
    def post(self, request, pk):
        template = get_object_or_404(
            JobTemplate.objects.select_related("workspace", "campaign"),
            pk=pk,
            workspace__in=workspaces_for(request.user),
        )
        membership = membership_for(request.user, template.workspace_id)
        if membership is None or not membership.can_write:
            raise exceptions.PermissionDenied("Your role in this workspace is read-only.")
        serializer = TemplateUseSerializer(data=request.data or {}, context={"request": request})
        serializer.is_valid(raise_exception=True)
        overrides = serializer.validated_data
        _check_model_rules(template, overrides)
        job = services.template_use(template=template, overrides=overrides)
        job = selectors.job_detail().get(pk=job.pk)
        return Response(JobDetailSerializer(job).data, status=status.HTTP_201_CREATED)
