"""Celery entry points: thin wrappers taking ids."""

from __future__ import annotations

import logging
import os

from celery import shared_task
from celery.signals import worker_init, worker_ready, worker_shutdown

from jobs import (
    liveness,
    services,
    worker_db,  # noqa: F401  (the worker's connection reuse)
)

logger = logging.getLogger(__name__)

# Set in the worker's main process before the pool forks, so every child
# knows the pid of the worker it belongs to.
_WORKER_PID = os.getpid()


@worker_init.connect
def _remember_worker_pid(**kwargs):
    global _WORKER_PID
    _WORKER_PID = os.getpid()


_heartbeat: dict = {}


@worker_ready.connect
def _start_heartbeat(sender=None, **kwargs):
    node = getattr(sender, "hostname", None)
    if node:
        _heartbeat.update(
            node=node, stop=liveness.start_heartbeat(node=node, worker_pid=_WORKER_PID)
        )


@worker_shutdown.connect
def _stop_heartbeat(**kwargs):
    if not _heartbeat:
        return
    _heartbeat["stop"].set()
    try:
        liveness.forget(node=_heartbeat["node"], worker_pid=_WORKER_PID)
    except Exception:  # a clean stop must not fail for an unreachable database
        logger.warning("could not remove this worker's heartbeat; it goes stale instead")


@worker_ready.connect
def _recover_lost_jobs(sender=None, **kwargs):
    node = getattr(sender, "hostname", None)
    if not node:
        return
    try:
        recovered = services.jobs_recover_lost(node=node, worker_pid=_WORKER_PID)
    except Exception:  # recovery must never stop a worker starting
        logger.exception("could not recover jobs left running by a previous worker")
        return
    if recovered:
        logger.warning("recovered %d job(s) a previous %s left running", recovered, node)


@shared_task(name="jobs.tasks.execute_job", acks_late=True, reject_on_worker_lost=True)
def execute_job(job_id: str) -> str:
    request = execute_job.request
    node = request.hostname or "local"
    return services.job_run(
        job_id=job_id,
        worker_id=services.worker_identity(node, _WORKER_PID),
        redelivered=bool((request.delivery_info or {}).get("redelivered")),
        node_alive=_node_answers,
    )


def _node_answers(node: str) -> bool:
    """Whether a worker node replies to a ping within a second."""
    try:
        replies = execute_job.app.control.ping(destination=[node], timeout=1.0)
    except Exception:
        logger.exception("could not ping %s; assuming it is alive", node)
        return True
    return any(node in reply for reply in replies)


@shared_task(name="jobs.tasks.sweep_outbox", acks_late=True)
def sweep_outbox() -> dict:
    return services.jobs_sweep()
