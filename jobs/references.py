"""Config keys that name another object: resolved only inside the Job's workspace.

A job config is user-written JSON, so an id in it is a claim, not a fact. Any
key listed in ``settings.JOB_CONFIG_REFERENCES`` (key -> (model label, noun))
must name an object of the config's own workspace: checked when a schedule,
template use or job is created or edited (a 400 naming the key), and again
by the worker before it runs anything, so a config forced into the database
cannot make an executor use another workspace's channel or its secrets. The
mapping is declared where the model lives (marketing adds its keys), so this
app never imports the others.
"""

from __future__ import annotations

import uuid

from django.apps import apps
from django.conf import settings


def reference_errors(workspace_id, config) -> dict[str, str]:
    """``{key: "channel not found"}`` for every named object outside the workspace."""
    if not isinstance(config, dict):
        return {}
    errors: dict[str, str] = {}
    for key, (label, noun) in settings.JOB_CONFIG_REFERENCES.items():
        value = config.get(key)
        if value in (None, ""):
            continue
        if not _names_object(label, workspace_id, value):
            errors[key] = f"{noun} not found"
    return errors


def _names_object(label: str, workspace_id, value) -> bool:
    found = _scoped(label, workspace_id, value)
    return found is not None and found.exists()


def _scoped(label: str, workspace_id, value):
    pk = as_uuid(value)
    if pk is None or workspace_id is None:
        return None
    return apps.get_model(label)._default_manager.filter(pk=pk, workspace_id=workspace_id)


def as_uuid(value) -> uuid.UUID | None:
    if not isinstance(value, str | uuid.UUID):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
