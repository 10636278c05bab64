"""Which workers are alive: a heartbeat row per worker, written every few seconds.

A Job's ``claimed_by`` names the worker that runs it ("node:worker pid:process
pid"). Once that worker's heartbeat is older than ``WORKER_STALE_SECONDS`` the
run is abandoned: the sweeper takes it back and sends it again, the overlap
policy stops counting it as "still going", and a redelivered message may take
it over. Stopped, frozen (SIGSTOP) and unreachable workers all look the same
here, which is the point: nobody can tell them apart from outside.

The beat runs in a daemon thread of the worker's main process, so a pool
child busy with a long job does not stop it. Each beat opens and closes its
own database connection: nothing is held open across the pool's forks, and a
database outage costs missed beats, not a broken connection.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from jobs.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    """The worker named by a ``claimed_by``."""

    node: str
    worker_pid: int
    process_pid: int

    @classmethod
    def parse(cls, claimed_by: str) -> Holder | None:
        try:
            node, worker_pid, process_pid = claimed_by.rsplit(":", 2)
            return cls(node, int(worker_pid), int(process_pid))
        except ValueError:
            return None

    @property
    def worker(self) -> tuple[str, int]:
        return (self.node, self.worker_pid)


# --- the beat (in the worker) ------------------------------------------------------------


def beat(*, node: str, worker_pid: int, started_at: datetime, now: datetime | None = None) -> None:
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        node=node, worker_pid=worker_pid, defaults={"last_seen": now, "started_at": started_at}
    )


def forget(*, node: str, worker_pid: int) -> None:
    """A worker shutting down cleanly: its runs need no waiting for staleness."""
    WorkerHeartbeat.objects.filter(node=node, worker_pid=worker_pid).delete()


def start_heartbeat(*, node: str, worker_pid: int) -> threading.Event:
    """Beat every WORKER_HEARTBEAT_SECONDS until the returned event is set."""
    stop = threading.Event()
    started_at = timezone.now()

    def run() -> None:
        failing_since = None
        while not stop.is_set():
            try:
                beat(node=node, worker_pid=worker_pid, started_at=started_at)
                if failing_since is not None:
                    logger.warning(
                        "worker heartbeat restored after %.0f s", time.monotonic() - failing_since
                    )
                failing_since = None
            except DatabaseError as exc:
                if failing_since is None:
                    failing_since = time.monotonic()
                    logger.warning("worker heartbeat could not be written: %s", exc)
            finally:
                connection.close()
            stop.wait(settings.WORKER_HEARTBEAT_SECONDS)

    threading.Thread(target=run, name="worker-heartbeat", daemon=True).start()
    return stop


# --- the view from outside --------------------------------------------------------------------


@dataclass(frozen=True)
class Liveness:
    """Who is beating now, and who stopped."""

    live: frozenset[tuple[str, int]]
    stale: frozenset[tuple[str, int]]

    @property
    def trustworthy(self) -> bool:
        """At least one worker is beating. With none (the database just came
        back, or every worker is down) staleness proves nothing, and taking
        runs back would only hand them to nobody."""
        return bool(self.live)

    def abandoned(self, claimed_by: str) -> bool:
        """The worker holding this run has stopped beating.

        A holder with no heartbeat row at all (a worker of an older release,
        a test calling the worker path in-process) is not judged.
        """
        holder = Holder.parse(claimed_by or "")
        return bool(holder and self.trustworthy and holder.worker in self.stale)


def liveness(now: datetime | None = None) -> Liveness:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    live, stale = set(), set()
    for node, worker_pid, last_seen in WorkerHeartbeat.objects.values_list(
        "node", "worker_pid", "last_seen"
    ):
        (live if last_seen >= cutoff else stale).add((node, worker_pid))
    return Liveness(live=frozenset(live), stale=frozenset(stale))
