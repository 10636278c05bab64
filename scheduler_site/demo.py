"""How the demo (``manage.py seed_demo``, run by ``make run``) knows its own rows.

Every demo row has a primary key derived from the workspace and a fixed demo
key (a UUID5), never found by its name: a user may make a campaign, template
or schedule with a demo row's name, or rename or delete a demo row, and the
next ``make run`` still starts. A demo row that exists (under any name) is left
as the user made it; one the user deleted comes back. A row the product
refuses to create (say, a template for a demo campaign the user archived) is
skipped with a log line; the demo never stops ``make run``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

# Fixed for ever: changing it would make every existing demo row look foreign.
DEMO_NAMESPACE = uuid.UUID("8d0c5f0e-3b5a-4a57-9d1e-6a0f2f4c9b11")

T = TypeVar("T")


def demo_id(workspace, key: str) -> uuid.UUID:
    """The primary key of the demo row ``key`` (e.g. ``"campaign:forbes"``) in ``workspace``."""
    return uuid.uuid5(DEMO_NAMESPACE, f"{workspace.pk}/{key}")


def demo_row(model, *, workspace, key: str):
    """The demo row ``key`` of ``model`` in ``workspace``, or None if there is none (yet)."""
    return model.objects.filter(workspace=workspace, pk=demo_id(workspace, key)).first()


def ensure_demo_row(model, *, workspace, key: str, create: Callable[[uuid.UUID], T]) -> T | None:
    """The demo row ``key``: the existing one, or ``create(pk)``'s in a savepoint.

    A refusal is logged and gives None.
    """
    existing = demo_row(model, workspace=workspace, key=key)
    if existing is not None:
        return existing
    return attempt(f"{model._meta.verbose_name} {key}", lambda: create(demo_id(workspace, key)))


def attempt(what: str, action: Callable[[], T]) -> T | None:
    """Run one demo step in a savepoint; a refusal skips it with a log line."""
    try:
        with transaction.atomic():
            return action()
    except Exception as exc:  # any refusal: validation, a conflict, a recurrence error...
        logger.warning("demo: skipped %s: %s: %s", what, type(exc).__name__, exc)
        return None
