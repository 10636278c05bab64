"""The worker's database connection: kept across tasks, never trusted blindly.

Celery's Django fixup closes every connection before and after each task, so
each job would reconnect (and re-run the session setup) unless
CELERY_DB_REUSE_MAX is set; with it set, nothing would close an old or broken
connection either. So the worker closes old ones itself after every task, as
Django does after every request, with the worker's own age limit
(WORKER_CONN_MAX_AGE: the web's CONN_MAX_AGE is usually 0).

Worker processes skip CONN_HEALTH_CHECKS' ``SELECT 1`` before each task: the
worker's own writes already survive a dead connection (``_with_db_retry``
closes it and tries again), so the probe would only add a round trip and a
transaction to every job.
"""

from __future__ import annotations

from celery.signals import task_postrun, worker_init
from django.db import close_old_connections, connections


@worker_init.connect
def _configure_worker_connections(**kwargs) -> None:
    from django.conf import settings

    # Before the pool forks: every child connects with these.
    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = settings.WORKER_CONN_MAX_AGE
        connections.settings[alias]["CONN_HEALTH_CHECKS"] = False


@task_postrun.connect
def _close_old_connections(**kwargs) -> None:
    task = kwargs.get("task")
    if task is not None and getattr(task.request, "is_eager", False):
        return  # an eager task runs inside its caller's request or test
    close_old_connections()
