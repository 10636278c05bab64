from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from jobs import services
from jobs.models import Job
from workspaces.tests.factories import WorkspaceFactory


class JobFactory(DjangoModelFactory):
    """A job written through ``job_create`` (not enqueued unless asked)."""

    class Meta:
        model = Job

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Job {n}")
    config = factory.LazyFunction(lambda: {"executor": "noop"})
    trigger = Job.Trigger.MANUAL
    enqueue = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        status = kwargs.pop("status", None)
        job = services.job_create(**kwargs)
        if status:
            # Tests start from any status; production code only moves via services.
            Job.objects.filter(pk=job.pk).update(status=status)
            job.refresh_from_db()
        return job
