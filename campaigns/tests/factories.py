from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from campaigns import services
from campaigns.models import Campaign
from workspaces.tests.factories import WorkspaceFactory


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    color = "#1E88E5"
    tags = factory.LazyFunction(list)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.campaign_create(**kwargs)
