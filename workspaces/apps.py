from __future__ import annotations

from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workspaces"

    def ready(self):
        from scheduler_site.lib import lookups  # noqa: F401  registers has_element
        from workspaces import signals  # noqa: F401
