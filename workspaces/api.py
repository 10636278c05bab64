from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from scheduler_site.api.scoping import PartialPutMixin
from scheduler_site.api.serializers import ModelSerializer, Serializer
from workspaces import services
from workspaces.models import Membership, Workspace
from workspaces.selectors import membership_for, workspaces_for

MEMBER_ID_PARAM = OpenApiParameter(
    "member_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The membership's id."
)


class WorkspaceSerializer(ModelSerializer):
    role = serializers.CharField(read_only=True, help_text="Your role in this workspace.")

    class Meta:
        model = Workspace
        fields = [
            "id",
            "slug",
            "name",
            "timezone",
            "role",
            "default_executor",
            "default_webhook_url",
            "publishing_paused",
            "created_at",
        ]
        read_only_fields = ["id", "slug", "role", "publishing_paused", "created_at"]

    def validate_name(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError("Name cannot be blank.")
        return value


class WebhookSecretSerializer(Serializer):
    webhook_secret = serializers.CharField(read_only=True)


class MemberSerializer(ModelSerializer):
    username = serializers.CharField(source="user.username", help_text="The member's username.")

    class Meta:
        model = Membership
        fields = ["id", "username", "role", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"role": {"help_text": "owner, editor (default) or viewer."}}


class WorkspaceViewSet(
    PartialPutMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Workspaces you belong to, with your role. Owners edit settings and members."""

    # For the schema's path parameter type; requests go through get_queryset.
    queryset = Workspace.objects.none()
    # Actions only a workspace's owners may take, reads included (schema: 403).
    owner_only_actions = ("members", "remove_member", "rotate_webhook_secret")
    serializer_class = WorkspaceSerializer
    filter_backends = []

    def get_queryset(self):
        my_role = Membership.objects.filter(workspace=OuterRef("pk"), user=self.request.user)
        return (
            workspaces_for(self.request.user)
            .annotate(role=Subquery(my_role.values("role")[:1]))
            .order_by("name")
        )

    def perform_create(self, serializer):
        workspace = services.workspace_create(owner=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=workspace.pk)

    def perform_update(self, serializer):
        self.require_owner(serializer.instance)
        services.workspace_update(workspace=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def require_owner(self, workspace):
        membership = membership_for(self.request.user, workspace.pk)
        if membership is None or membership.role != Membership.Role.OWNER:
            raise exceptions.PermissionDenied("Only the workspace's owners can do this.")

    @extend_schema(request=None, responses=WebhookSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-webhook-secret")
    def rotate_webhook_secret(self, request, pk=None):
        """Generate a new webhook signing secret and show it once."""
        workspace = self.get_object()
        self.require_owner(workspace)
        services.workspace_rotate_webhook_secret(workspace=workspace)
        return Response({"webhook_secret": workspace.webhook_secret})

    @extend_schema(methods=["GET"], request=None, responses=MemberSerializer(many=True))
    @extend_schema(methods=["POST"], request=MemberSerializer, responses={201: MemberSerializer})
    @action(detail=True, methods=["get", "post"], url_path="members", pagination_class=None)
    def members(self, request, pk=None):
        """List members, or add one by username with a role (owners only)."""
        workspace = self.get_object()
        self.require_owner(workspace)
        if request.method == "GET":
            memberships = workspace.memberships.select_related("user").order_by("created_at")
            return Response(MemberSerializer(memberships, many=True).data)
        serializer = MemberSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["user"]["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise exceptions.ValidationError({"username": ["user not found"]})
        membership = services.membership_add(
            workspace=workspace, user=user, role=serializer.validated_data.get("role", "editor")
        )
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, parameters=[MEMBER_ID_PARAM])
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<member_id>\d+)")
    def remove_member(self, request, pk=None, member_id=None):
        """Remove a member (owners only; the last owner cannot be removed)."""
        workspace = self.get_object()
        self.require_owner(workspace)
        membership = workspace.memberships.filter(pk=member_id).first()
        if membership is None:
            raise exceptions.NotFound("member not found")
        services.membership_remove(membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)
