from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from templates_lib import services
from templates_lib.models import JobTemplate
from workspaces.tests.factories import WorkspaceFactory


class JobTemplateFactory(DjangoModelFactory):
    class Meta:
        model = JobTemplate

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Template {n}")
    publisher_domain = "forbes.com"
    writing_strategy = JobTemplate.WritingStrategy.STANDARD
    tags = factory.LazyFunction(list)
    metadata = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.template_create(**kwargs)
