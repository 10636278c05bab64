"""Who may see what. Every API view and page narrows through these."""

from __future__ import annotations

from django.db.models import QuerySet

from workspaces.models import Membership, Workspace

WRITE_ROLES = (Membership.Role.OWNER, Membership.Role.EDITOR)


def workspaces_for(user, *, roles=None) -> QuerySet[Workspace]:
    if not user.is_authenticated:
        return Workspace.objects.none()
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return Workspace.objects.filter(pk__in=memberships.values("workspace_id"))


def membership_for(user, workspace_id) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("workspace")
        .filter(user=user, workspace_id=workspace_id)
        .first()
    )


def default_workspace_for(user) -> Workspace | None:
    """The workspace a create lands in when none is named: the personal one."""
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user)
        # The first membership is the personal workspace made with the user.
        .order_by("created_at", "pk")
        .first()
    )
    return membership.workspace if membership else None
