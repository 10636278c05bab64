from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from marketing.models import ChannelAccount, ContentItem, Post
from workspaces.tests.factories import WorkspaceFactory


class ChannelAccountFactory(DjangoModelFactory):
    class Meta:
        model = ChannelAccount

    workspace = factory.SubFactory(WorkspaceFactory)
    platform = ChannelAccount.Platform.X
    name = factory.Sequence(lambda n: f"Channel {n}")
    handle = factory.LazyAttribute(lambda c: "@" + c.name.lower().replace(" ", ""))
    posts_per_week = 7
    schedule_times = factory.LazyFunction(lambda: ["09:00"])
    schedule_timezone = "UTC"


class ContentItemFactory(DjangoModelFactory):
    class Meta:
        model = ContentItem

    workspace = factory.SubFactory(WorkspaceFactory)
    title = factory.Sequence(lambda n: f"Video {n}")
    body = "Watch this."


class PostFactory(DjangoModelFactory):
    """A scheduled post with content one day ahead, on a channel of the same workspace."""

    class Meta:
        model = Post

    workspace = factory.SubFactory(WorkspaceFactory)
    channel_account = factory.SubFactory(
        ChannelAccountFactory, workspace=factory.SelfAttribute("..workspace")
    )
    content_item = factory.SubFactory(
        ContentItemFactory, workspace=factory.SelfAttribute("..workspace")
    )
    scheduled_for = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    status = Post.Status.SCHEDULED
