from __future__ import annotations

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_site.settings")

# The embedded broker (scheduler_site/broker.py): CELERY_BROKER_URL=sqlite:///<file>.
# Registered before any connection is made, in every process that imports the app.
TRANSPORT_ALIASES.setdefault("sqlite", "scheduler_site.broker:Transport")

app = Celery("scheduler_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def route_task(name, args, kwargs, options, task=None, **kw):
    """Periodic tasks go to the scheduler queue (CELERY_TASK_ROUTES).

    The dispatcher, the outbox sweeper, the publisher and the campaign
    lifecycle run on their own worker, so a tick is never stuck behind a
    backlog of jobs (dispatch expires after a few seconds). Every task named in
    settings.PERIODIC_TASKS counts, whoever added it; ``execute_job`` and any
    other task stay on the default queue.
    """
    from django.conf import settings

    periodic = {spec["task"] for spec in settings.PERIODIC_TASKS.values()}
    if name in periodic:
        return {"queue": settings.CELERY_SCHEDULER_QUEUE}
    return None
