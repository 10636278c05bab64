from __future__ import annotations

from django.apps import AppConfig


class MarketingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "marketing"
    verbose_name = "Marketing calendar"

    def ready(self):
        from marketing import signals  # noqa: F401  connects the job_finished and job_pre_run receivers
