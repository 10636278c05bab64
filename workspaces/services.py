from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from workspaces.models import Membership, Workspace, generate_webhook_secret


def unique_workspace_slug(name: str) -> str:
    base = slugify(name)[:60] or "workspace"
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def workspace_create(
    *,
    owner: AbstractBaseUser,
    name: str,
    timezone: str = "UTC",
    slug: str = "",
    default_executor: str = Workspace.Executor.NOOP,
    default_webhook_url: str = "",
) -> Workspace:
    workspace = Workspace(
        name=name.strip(),
        timezone=timezone,
        slug=slug or unique_workspace_slug(name),
        default_executor=default_executor,
        default_webhook_url=default_webhook_url,
    )
    workspace.full_clean()
    workspace.save()
    Membership.objects.create(user=owner, workspace=workspace, role=Membership.Role.OWNER)
    return workspace


@transaction.atomic
def workspace_update(*, workspace: Workspace, **fields) -> Workspace:
    for name, value in fields.items():
        setattr(workspace, name, value.strip() if name == "name" else value)
    workspace.full_clean()
    workspace.save(update_fields=[*fields])
    return workspace


def personal_workspace_create(*, user: AbstractBaseUser) -> Workspace:
    return workspace_create(owner=user, name=f"{user.get_username()}'s workspace")


def membership_add(*, workspace: Workspace, user: AbstractBaseUser, role: str) -> Membership:
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise ValidationError({"username": f"{user.get_username()} is already a member."})
    membership = Membership(workspace=workspace, user=user, role=role)
    membership.full_clean()
    membership.save()
    return membership


def membership_remove(*, membership: Membership) -> None:
    if membership.role == Membership.Role.OWNER and (
        not Membership.objects.filter(workspace=membership.workspace, role=Membership.Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError("A workspace needs at least one owner; add another owner first.")
    membership.delete()


def workspace_rotate_webhook_secret(*, workspace: Workspace) -> Workspace:
    workspace.webhook_secret = generate_webhook_secret()
    workspace.save(update_fields=["webhook_secret"])
    return workspace
