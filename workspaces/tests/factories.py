from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from workspaces import services
from workspaces.models import Membership, Workspace

PASSWORD = "pw-for-tests-123"


class UserFactory(DjangoModelFactory):
    """A user made the way every path makes one, so the personal workspace appears."""

    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)


class WorkspaceFactory(DjangoModelFactory):
    class Meta:
        model = Workspace

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    timezone = "UTC"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.workspace_create(**kwargs)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.EDITOR

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.membership_add(**kwargs)
