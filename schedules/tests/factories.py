from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from schedules import services
from schedules.models import ScheduledJob
from workspaces.tests.factories import WorkspaceFactory


class ScheduledJobFactory(DjangoModelFactory):
    """A schedule written through ``schedule_create`` (so next_run_at is computed).

    ``now`` is passed to the service: tests that freeze time or build series in
    the past set it.
    """

    class Meta:
        model = ScheduledJob

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Schedule {n}")
    schedule_type = ScheduledJob.ScheduleType.DAILY
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    timezone = "UTC"
    job_config = factory.LazyFunction(lambda: {"executor": "noop"})

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.setdefault("now", kwargs["scheduled_at"] - timedelta(minutes=1))
        return services.schedule_create(**kwargs)
