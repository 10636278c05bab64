"""Celery beat's scheduler: django-celery-beat's DatabaseScheduler, surviving a
database outage.

The stock scheduler catches database errors while it reloads the schedule,
but not while it saves an entry's last run: a PostgreSQL restart at that
moment ends the beat process, and nothing is dispatched until someone starts
it again. Here a tick that meets an unreachable database logs, drops the
connection and tries again a second later; the dispatcher's own catch-up
covers whatever fell due meanwhile.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, connection
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


class ResilientDatabaseScheduler(DatabaseScheduler):
    def tick(self, *args, **kwargs):
        try:
            return super().tick(*args, **kwargs)
        except (DatabaseError, InterfaceError) as exc:
            logger.warning("beat: database unavailable, retrying in %.0f s: %s", RETRY_SECONDS, exc)
            connection.close()
            return RETRY_SECONDS
