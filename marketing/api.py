"""Marketing API: channels, content, posts, waves, top-off, calendar, publishing pause.

Thin: serializers check shape, services decide. A refused change answers 400
with ``{"detail": ..., "conflicts": [{code, message, channel_id, channel_name,
scheduled_for, other_post_id}, ...]}``. ``tenant_id`` (the seed's name) and
``workspace`` both accept a workspace id or slug.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import Campaign
from marketing import selectors, services
from marketing.conflicts import Placement, iso
from marketing.models import ChannelAccount, ContentItem, Post, Wave
from marketing.topoff import parse_schedule_times
from scheduler_site.api.fields import DateTimeField
from scheduler_site.api.scoping import (
    WorkspaceRelatedField,
    WorkspaceScopedMixin,
    resolve_member_workspace,
)
from scheduler_site.api.serializers import ModelSerializer, Serializer
from scheduler_site.lib.moments import parse_moment
from scheduler_site.lib.validators import validate_timezone
from workspaces.selectors import membership_for

TENANT_PARAM = OpenApiParameter(
    "tenant_id", str, description="Workspace id or slug (also accepted as `workspace`)."
)
MASK = "********"


# --- Workspace from the query string --------------------------------------------------


def tenant_workspace(request, *, write: bool = False, required: bool = True):
    """The workspace named by ?tenant_id= (or ?workspace=): 400 if absent, 404 if not yours."""
    value = request.query_params.get("tenant_id") or request.query_params.get("workspace")
    if not value:
        if not required:
            return None
        raise exceptions.ValidationError(
            {"tenant_id": ["tenant_id is required (workspace id or slug)."]}
        )
    workspace = resolve_member_workspace(request.user, value)
    if workspace is None:
        raise Http404("workspace not found")
    if write and not membership_for(request.user, workspace.pk).can_write:
        raise exceptions.PermissionDenied("Your role in this workspace is read-only.")
    return workspace


def refused(exc: services.ConflictError) -> Response:
    return Response(exc.as_dict(), status=400)


MISSED_POLICY_MESSAGE = f"missed_policy must be one of: {', '.join(services.MissedPolicy.CHOICES)}."


class ResumeSerializer(Serializer):
    missed_policy = serializers.ChoiceField(
        choices=services.MissedPolicy.CHOICES,
        required=False,
        error_messages={"invalid_choice": MISSED_POLICY_MESSAGE},
        help_text="What happens to posts whose time passed while paused (default miss). "
        "Also accepted as ?missed_policy=.",
    )


def missed_policy_from(request) -> str:
    body = ResumeSerializer(data=request.data if request.data else {})
    body.is_valid(raise_exception=True)
    value = body.validated_data.get("missed_policy")
    value = value or request.query_params.get("missed_policy") or services.MissedPolicy.MISS
    if value not in services.MissedPolicy.CHOICES:
        raise exceptions.ValidationError({"missed_policy": [MISSED_POLICY_MESSAGE]})
    return value


class TenantScopedMixin(WorkspaceScopedMixin):
    """WorkspaceScopedMixin that also reads the seed's ``tenant_id``."""

    def get_queryset(self):
        queryset = super().get_queryset()
        tenant = self.request.query_params.get("tenant_id")
        if tenant:
            workspace = resolve_member_workspace(self.request.user, tenant)
            queryset = queryset.filter(workspace=workspace) if workspace else queryset.none()
        return queryset

    def workspace_for_create(self):
        if self.request.query_params.get("tenant_id"):
            return tenant_workspace(self.request, write=True)
        return super().workspace_for_create()


# --- Serializers ----------------------------------------------------------------------


class ChannelSummarySerializer(Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    platform = serializers.CharField()


class ChannelAccountSerializer(ModelSerializer):
    workspace = serializers.UUIDField(source="workspace_id", read_only=True)
    posts_per_week = serializers.IntegerField(min_value=0, max_value=168, required=False)
    min_gap_minutes = serializers.IntegerField(min_value=0, max_value=7 * 24 * 60, required=False)
    schedule_times = serializers.ListField(child=serializers.JSONField(), required=False)
    settings = serializers.JSONField(
        required=False,
        help_text="Executor settings; github_dispatch uses repository, event_type, github_token. "
        "Secrets are shown masked; send the mask back to keep a secret unchanged.",
    )

    class Meta:
        model = ChannelAccount
        fields = [
            "id",
            "workspace",
            "platform",
            "name",
            "handle",
            "is_active",
            "is_paused",
            "posts_per_week",
            "schedule_timezone",
            "schedule_times",
            "min_gap_minutes",
            "executor",
            "target_url",
            "settings",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "is_paused", "created_at", "updated_at"]

    def validate_schedule_times(self, value):
        try:
            return parse_schedule_times(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_schedule_timezone(self, value):
        try:
            validate_timezone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value

    def validate_settings(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("settings must be a JSON object.")
        previous = (self.instance.settings if self.instance else None) or {}
        return {key: previous.get(key, "") if item == MASK else item for key, item in value.items()}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["settings"] = instance.public_settings
        return data


class ContentItemSerializer(ModelSerializer):
    workspace = serializers.UUIDField(source="workspace_id", read_only=True)
    campaign = WorkspaceRelatedField(
        model=Campaign, name="campaign", required=False, allow_null=True
    )

    class Meta:
        model = ContentItem
        fields = [
            "id",
            "workspace",
            "campaign",
            "title",
            "body",
            "media_url",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_title(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Title cannot be blank.")
        return value.strip()


class AttemptSerializer(Serializer):
    number = serializers.IntegerField()
    outcome = serializers.CharField()
    started_at = DateTimeField()
    finished_at = DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    http_status = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()


class PostSerializer(ModelSerializer):
    """A post with its channel, content, wave and execution log."""

    workspace = serializers.UUIDField(source="workspace_id", read_only=True)
    channel = serializers.SerializerMethodField()
    content = serializers.SerializerMethodField()
    wave = serializers.SerializerMethodField()
    job_id = serializers.UUIDField(read_only=True, allow_null=True)
    attempts = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "workspace",
            "channel",
            "content",
            "wave",
            "scheduled_for",
            "status",
            "is_paused",
            "executed_at",
            "execution_result",
            "error_message",
            "job_id",
            "attempts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_channel(self, post) -> dict:
        channel = post.channel_account
        return {"id": str(channel.pk), "name": channel.name, "platform": channel.platform}

    def get_content(self, post) -> dict | None:
        item = post.content_item
        return {"id": str(item.pk), "title": item.title} if item else None

    def get_wave(self, post) -> dict | None:
        wave = post.wave
        return {"id": str(wave.pk), "wave_id": wave.wave_id, "type": wave.type} if wave else None

    def get_attempts(self, post) -> list[dict]:
        if post.job_id is None or not self.context.get("with_attempts", True):
            return []
        return AttemptSerializer(post.job.attempt_log.all(), many=True).data


class PostCreateSerializer(Serializer):
    workspace = serializers.CharField(
        required=False,
        write_only=True,
        help_text="Workspace id or slug; defaults to ?tenant_id= or your personal workspace.",
    )
    channel_id = serializers.UUIDField()
    content_item_id = serializers.UUIDField(required=False, allow_null=True)
    scheduled_for = DateTimeField()


class FillSerializer(Serializer):
    content_item_id = serializers.UUIDField()


class RescheduleSerializer(Serializer):
    scheduled_for = DateTimeField()


class WaveCreateSerializer(Serializer):
    workspace = serializers.CharField(
        required=False,
        write_only=True,
        help_text="Workspace id or slug; defaults to ?tenant_id= or your personal workspace.",
    )
    content_item_id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=Wave.Type.choices)
    start_at = DateTimeField(required=False, allow_null=True)
    delay_seconds = serializers.IntegerField(
        min_value=0, max_value=30 * 24 * 3600, required=False, default=0, allow_null=True
    )
    channel_ids = serializers.ListField(child=serializers.UUIDField(), allow_empty=False)
    wave_id = serializers.SlugField(max_length=64, required=False)
    metadata = serializers.DictField(required=False)


class WaveUpdateSerializer(Serializer):
    start_at = DateTimeField(required=False)
    delay_seconds = serializers.IntegerField(min_value=0, max_value=30 * 24 * 3600, required=False)


class WaveSerializer(ModelSerializer):
    workspace = serializers.UUIDField(source="workspace_id", read_only=True)
    content = serializers.SerializerMethodField()
    posts = PostSerializer(many=True, read_only=True)

    class Meta:
        model = Wave
        fields = [
            "id",
            "wave_id",
            "workspace",
            "content",
            "type",
            "start_at",
            "delay_seconds",
            "channel_order",
            "status",
            "metadata",
            "posts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_content(self, wave) -> dict:
        return {"id": str(wave.content_item_id), "title": wave.content_item.title}


class TopoffResponseSerializer(Serializer):
    accounts_processed = serializers.IntegerField()
    instances_created = serializers.IntegerField()
    instances_skipped = serializers.IntegerField()
    window_start = serializers.CharField()
    window_end = serializers.CharField()
    message = serializers.CharField()


# --- Viewsets -------------------------------------------------------------------------


class ChannelAccountViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    """Channel accounts and their posting cadence."""

    queryset = selectors.channel_list()
    serializer_class = ChannelAccountSerializer
    search_fields = ["name", "handle", "platform"]
    ordering_fields = ["name", "platform", "created_at"]
    ordering = ["name"]

    def perform_create(self, serializer):
        serializer.instance = services.channel_create(
            workspace=self.target_workspace(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.channel_update(
            channel=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.channel_delete(channel=instance)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Hold every future post of this channel (and its top-off)."""
        channel = services.channel_pause(channel=self.get_object())
        return Response(self.get_serializer(channel).data)

    @extend_schema(request=ResumeSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Resume; posts whose time passed while paused follow ``missed_policy``."""
        result = services.channel_resume(
            channel=self.get_object(), missed_policy=missed_policy_from(request)
        )
        return Response(result.as_dict())

    @extend_schema(request=None, responses=TopoffResponseSerializer)
    @action(detail=True, methods=["post"])
    def topoff(self, request, pk=None):
        """Top off this channel only."""
        channel = self.get_object()
        days = services.validate_topoff_days(
            request.query_params.get("days", services.DEFAULT_TOPOFF_DAYS)
        )
        channels = [channel] if channel.is_active and not channel.is_paused else []
        result = services.topoff_slots(workspace=channel.workspace, days=days, channels=channels)
        return Response(result.as_dict())


class ContentItemViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    queryset = selectors.content_list()
    serializer_class = ContentItemSerializer
    search_fields = ["title", "body"]
    ordering_fields = ["title", "created_at", "updated_at"]
    ordering = ["-created_at"]

    def perform_create(self, serializer):
        serializer.instance = services.content_create(
            workspace=self.target_workspace(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.content_update(
            content_item=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.content_delete(content_item=instance)


class PostViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Posts (planned slots and scheduled content) with their execution log.

    Filters: ``?wave=`` (id or wave_id), ``?channel=``, ``?content=``,
    ``?status=`` (comma-separated), ``?start=``/``?end=`` (date or datetime).
    """

    queryset = selectors.post_list()
    serializer_class = PostSerializer
    ordering_fields = ["scheduled_for", "created_at", "status"]
    ordering = ["scheduled_for"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if params.get("wave"):
            queryset = queryset.filter(_wave_lookup(params["wave"]))
        for name, field in (("channel", "channel_account_id"), ("content", "content_item_id")):
            if params.get(name):
                queryset = queryset.filter(**{field: _uuid_param(params[name], name)})
        if params.get("status"):
            statuses = [s.strip() for s in params["status"].split(",") if s.strip()]
            unknown = sorted(set(statuses) - set(Post.Status.values))
            if unknown:
                raise exceptions.ValidationError(
                    {
                        "status": [
                            f"Unknown status {', '.join(unknown)}; "
                            f"use {', '.join(Post.Status.values)}."
                        ]
                    }
                )
            queryset = queryset.filter(status__in=statuses)
        if params.get("start"):
            queryset = queryset.filter(
                scheduled_for__gte=parse_moment(params["start"], "start", ZoneInfo("UTC"))
            )
        if params.get("end"):
            queryset = queryset.filter(
                scheduled_for__lt=parse_moment(params["end"], "end", ZoneInfo("UTC"), end=True)
            )
        return queryset

    @extend_schema(request=PostCreateSerializer, responses=PostSerializer)
    def create(self, request, *args, **kwargs):
        """One post: scheduled with content_item_id, a planned slot without."""
        workspace = self.workspace_for_create()
        data = _valid(PostCreateSerializer, request)
        content = None
        if data.get("content_item_id"):
            content = _content_or_400(workspace, data["content_item_id"])
        try:
            post = services.post_create(
                workspace=workspace,
                channel_id=data["channel_id"],
                scheduled_for=data["scheduled_for"],
                content_item=content,
            )
        except services.ConflictError as exc:
            return refused(exc)
        return Response(self._fresh(post), status=201)

    def _fresh(self, post) -> dict:
        return PostSerializer(
            selectors.post_list().get(pk=post.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=FillSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def fill(self, request, pk=None):
        """Put content into this planned slot; it becomes scheduled."""
        post = self.get_object()
        data = _valid(FillSerializer, request)
        content = _content_or_400(post.workspace, data["content_item_id"])
        try:
            post = services.post_fill(post=post, content_item=content)
        except services.ConflictError as exc:
            return refused(exc)
        return Response(self._fresh(post))

    @action(detail=True, methods=["post"])
    def clear(self, request, pk=None):
        """Take the content out: the post goes back to being a planned slot."""
        return Response(self._fresh(services.post_clear(post=self.get_object())))

    @extend_schema(request=RescheduleSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        post = self.get_object()
        data = _valid(RescheduleSerializer, request)
        try:
            post = services.post_reschedule(post=post, scheduled_for=data["scheduled_for"])
        except services.ConflictError as exc:
            return refused(exc)
        return Response(self._fresh(post))

    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return Response(self._fresh(services.post_pause(post=self.get_object())))

    @extend_schema(request=ResumeSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Resume; if its time passed while paused it follows ``missed_policy``."""
        result = services.post_resume(
            post=self.get_object(), missed_policy=missed_policy_from(request)
        )
        return Response(result.as_dict())

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(self._fresh(services.post_cancel(post=self.get_object())))


class WaveViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Waves: one content item across channels (simultaneous, staggered, independent)."""

    queryset = selectors.wave_list()
    serializer_class = WaveSerializer
    lookup_value_regex = "[^/]+"
    ordering_fields = ["created_at", "start_at"]
    ordering = ["-created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_object(self):
        # A wave is addressed by its id or by its user-facing wave_id.
        queryset = self.filter_queryset(self.get_queryset())
        obj = queryset.filter(_wave_lookup(self.kwargs["pk"], prefix="")).first()
        if obj is None:
            raise Http404("wave not found")
        self.check_object_permissions(self.request, obj)
        return obj

    def _respond(self, wave, status=200) -> Response:
        fresh = selectors.wave_list().get(pk=wave.pk)
        return Response(
            WaveSerializer(fresh, context=self.get_serializer_context()).data, status=status
        )

    @extend_schema(request=WaveCreateSerializer, responses=WaveSerializer)
    def create(self, request, *args, **kwargs):
        """Create a wave with all its posts, or nothing (every conflict is listed)."""
        workspace = self.workspace_for_create()
        data = _valid(WaveCreateSerializer, request)
        try:
            wave = services.wave_create(
                workspace=workspace, created_by=request.user, **_wave_args(data)
            )
        except services.ConflictError as exc:
            return refused(exc)
        return self._respond(wave, status=201)

    @extend_schema(request=WaveCreateSerializer)
    @action(detail=False, methods=["post"])
    def check(self, request):
        """Dry run: the posts a wave would create and every conflict; writes nothing."""
        workspace = tenant_workspace(request, required=False) or self.workspace_for_create()
        data = _valid(WaveCreateSerializer, request)
        preview = services.wave_create(workspace=workspace, dry_run=True, **_wave_args(data))
        return Response(
            {
                "ok": not preview.conflicts,
                "conflicts": [c.as_dict() for c in preview.conflicts],
                "posts": [_placement_dict(p) for p in preview.placements],
            }
        )

    @extend_schema(request=WaveUpdateSerializer, responses=WaveSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Move the wave (start_at, delay_seconds); checked like a new wave."""
        wave = self.get_object()
        data = _valid(WaveUpdateSerializer, request)
        try:
            wave = services.wave_update(wave=wave, **data)
        except services.ConflictError as exc:
            return refused(exc)
        return self._respond(wave)

    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._respond(services.wave_pause(wave=self.get_object()))

    @extend_schema(request=ResumeSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        result = services.wave_resume(
            wave=self.get_object(), missed_policy=missed_policy_from(request)
        )
        return Response(result.as_dict())

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        wave = self.get_object()
        cancelled = services.wave_cancel(wave=wave)
        response = self._respond(wave)
        response.data["posts_cancelled"] = cancelled
        return response


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _content_or_400(workspace, content_item_id) -> ContentItem:
    item = ContentItem.objects.filter(workspace=workspace, pk=content_item_id).first()
    if item is None:
        raise exceptions.ValidationError({"content_item_id": ["content item not found"]})
    return item


def _wave_args(data: dict) -> dict:
    return {
        "content_item_id": data["content_item_id"],
        "type": data["type"],
        "start_at": data.get("start_at"),
        "delay_seconds": data.get("delay_seconds") or 0,
        "channel_ids": [str(c) for c in data["channel_ids"]],
        "wave_id": data.get("wave_id", ""),
        "metadata": data.get("metadata") or {},
    }


def _placement_dict(placement: Placement) -> dict:
    return {
        "channel_id": placement.channel_id,
        "scheduled_for": iso(placement.scheduled_for) if placement.scheduled_for else None,
        "fills_post_id": placement.post_id,
    }


def _uuid_param(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise exceptions.ValidationError({name: [f"{value!r} is not an id."]}) from None


def _wave_lookup(value: str, prefix: str = "wave__"):
    try:
        return Q(**{f"{prefix}pk" if prefix else "pk": uuid.UUID(value)})
    except ValueError:
        return Q(**{f"{prefix}wave_id": value})


# --- Seed endpoints: top-off, calendar, workspace publishing pause --------------------


class TopoffView(APIView):
    """POST /marketing/scheduler/topoff?tenant_id=&days=1-90 (seed 002)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[TENANT_PARAM, OpenApiParameter("days", int, description="1-90, default 28")],
        request=None,
        responses=TopoffResponseSerializer,
    )
    def post(self, request):
        workspace = tenant_workspace(request, write=True)
        days = services.validate_topoff_days(
            request.query_params.get("days", services.DEFAULT_TOPOFF_DAYS)
        )
        return Response(services.topoff_slots(workspace=workspace, days=days).as_dict())


class CalendarView(APIView):
    """GET /marketing/calendar?tenant_id=&start_date=&end_date= (at most 92 days).

    Keys are local dates in the workspace's timezone (or ``?timezone=``);
    each holds that day's posts sorted by time. Dates are inclusive; datetimes
    (naive = that zone) bound the range exactly.
    """

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            TENANT_PARAM,
            OpenApiParameter("start_date", str, required=True),
            OpenApiParameter("end_date", str, required=True),
            OpenApiParameter("timezone", str, description="IANA zone for the day keys"),
        ],
        responses=dict,
    )
    def get(self, request):
        workspace = tenant_workspace(request)
        zone_name = request.query_params.get("timezone") or workspace.timezone
        try:
            validate_timezone(zone_name)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"timezone": exc.messages}) from None
        zone = ZoneInfo(zone_name)
        errors = {
            name: [f"{name} is required (YYYY-MM-DD or an ISO datetime)."]
            for name in ("start_date", "end_date")
            if not request.query_params.get(name)
        }
        if errors:
            raise exceptions.ValidationError(errors)
        start = parse_moment(request.query_params["start_date"], "start_date", zone)
        end = parse_moment(request.query_params["end_date"], "end_date", zone, end=True)
        if end <= start:
            raise exceptions.ValidationError({"end_date": ["end_date must be after start_date."]})
        if end - start > timedelta(days=selectors.MAX_CALENDAR_DAYS):
            raise exceptions.ValidationError(
                {"end_date": [f"The range is longer than {selectors.MAX_CALENDAR_DAYS} days."]}
            )
        days = selectors.calendar_days(workspace=workspace, start=start, end=end, zone=zone)
        return Response(days)


class PublishingPauseView(APIView):
    """Workspace-wide publishing pause: GET state, POST pause, POST resume."""

    permission_classes = [permissions.IsAuthenticated]
    action_name = "state"

    @extend_schema(parameters=[TENANT_PARAM], request=None, responses=dict)
    def get(self, request):
        workspace = tenant_workspace(request)
        return Response({"publishing_paused": workspace.publishing_paused})

    @extend_schema(parameters=[TENANT_PARAM], request=None, responses=dict)
    def post(self, request):
        workspace = tenant_workspace(request, write=True)
        if self.action_name == "pause":
            services.workspace_publishing_pause(workspace=workspace)
            return Response({"publishing_paused": True})
        if self.action_name == "resume":
            result = services.workspace_publishing_resume(
                workspace=workspace, missed_policy=missed_policy_from(request)
            )
            return Response({"publishing_paused": False, **result.as_dict()})
        raise exceptions.MethodNotAllowed("POST")
