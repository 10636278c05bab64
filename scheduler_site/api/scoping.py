"""Workspace scoping shared by every API viewset.

A user reaches only rows of workspaces they are a member of; anything else is
a 404 (the row is simply not in the queryset). Viewers read, editors and
owners write. Nested ids in request bodies are looked up inside the target
workspace, so another workspace's campaign is "campaign not found".
"""

from __future__ import annotations

import re
import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, permissions, serializers, viewsets

from workspaces.models import Workspace
from workspaces.selectors import default_workspace_for, membership_for, workspaces_for

# Workspace.slug is a SlugField: ASCII letters, digits, hyphens and underscores.
SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,80}")


def resolve_member_workspace(user, value) -> Workspace | None:
    """A workspace of the user's named by id or slug, else None."""
    if value in (None, ""):
        return None
    candidates = workspaces_for(user)
    value = str(value)
    try:
        return candidates.get(pk=uuid.UUID(value))
    except (ValueError, Workspace.DoesNotExist):
        pass
    # Only a possible slug is looked up: anything else names no workspace (and
    # a NUL byte would be a DataError on PostgreSQL, i.e. a 500).
    if not SLUG_RE.fullmatch(value):
        return None
    return candidates.filter(slug=value).first()


class WorkspaceRolePermission(permissions.BasePermission):
    message = "Your role in this workspace is read-only."

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        membership = membership_for(request.user, obj.workspace_id)
        return membership is not None and membership.can_write


class WorkspaceScopedMixin:
    """For viewsets over a model with a ``workspace`` foreign key.

    Subclasses set ``queryset`` (with its select_related) and get narrowing by
    membership, ``?workspace=<id|slug>``, the role check and a serializer
    context that carries the target workspace.
    """

    permission_classes = [permissions.IsAuthenticated, WorkspaceRolePermission]
    workspace_query_param = "workspace"

    def get_queryset(self):
        queryset = super().get_queryset().filter(workspace__in=workspaces_for(self.request.user))
        requested = self.request.query_params.get(self.workspace_query_param)
        if requested:
            workspace = resolve_member_workspace(self.request.user, requested)
            queryset = queryset.filter(workspace=workspace) if workspace else queryset.none()
        return queryset

    def get_object(self):
        obj = super().get_object()
        self._loaded_object = obj
        return obj

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["workspace"] = self.target_workspace()
        return context

    def target_workspace(self) -> Workspace | None:
        """The workspace a write acts in: the object's, or for a create the one named."""
        if getattr(self, "_target_workspace", None) is not None:
            return self._target_workspace
        workspace = None
        lookup = self.lookup_url_kwarg or self.lookup_field
        if lookup in self.kwargs:
            # The object the view already loaded, if any: a detail answer then
            # costs one query, not two. Only its workspace is read, which no
            # edit changes.
            loaded = getattr(self, "_loaded_object", None)
            workspace = (loaded or self.get_object()).workspace
        elif self.request.method == "POST":
            workspace = self.workspace_for_create()
        self._target_workspace = workspace
        return workspace

    def workspace_for_create(self) -> Workspace:
        data = self.request.data if isinstance(self.request.data, dict) else {}
        named = data.get("workspace")
        if named in (None, ""):
            workspace = default_workspace_for(self.request.user)
            if workspace is None:
                raise exceptions.ValidationError({"workspace": ["You have no workspace."]})
        else:
            workspace = resolve_member_workspace(self.request.user, named)
            if workspace is None:
                raise exceptions.ValidationError({"workspace": ["workspace not found"]})
        membership = membership_for(self.request.user, workspace.pk)
        if not membership.can_write:
            raise exceptions.PermissionDenied("Your role in this workspace is read-only.")
        return workspace


class PartialPutMixin:
    """PUT updates only the fields it carries, as the original API's PUT does.

    The seed's examples send ``{"status": "paused", "description": ...}`` with
    PUT; a full-replacement PUT would answer those with "name is required".
    """

    put_is_partial = True

    def update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return super().update(request, *args, **kwargs)


class WorkspaceScopedModelViewSet(PartialPutMixin, WorkspaceScopedMixin, viewsets.ModelViewSet):
    pass


class WorkspaceRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key given by id that must live in the target workspace.

    Anything else (another workspace's id, a malformed id, a missing row)
    answers the same "<name> not found", so existence never leaks.
    """

    def __init__(self, *, model, name: str, **kwargs):
        self.model = model
        self.noun = name
        kwargs.setdefault("queryset", model.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        workspace = self.context.get("workspace")
        if workspace is None:
            return self.model.objects.none()
        return self.model.objects.filter(workspace=workspace)

    def to_internal_value(self, data):
        try:
            return self.get_queryset().get(pk=data)
        except (self.model.DoesNotExist, ValueError, TypeError, DjangoValidationError):
            raise serializers.ValidationError(f"{self.noun} not found") from None
