from __future__ import annotations

from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "schedules"

    def ready(self) -> None:
        from jobs.signals import job_finished

        job_finished.connect(count_run_outcome, dispatch_uid="schedules.count_run_outcome")
        from schedules import campaign_hooks  # noqa: F401  (campaign lifecycle receivers)


def count_run_outcome(sender, **kwargs) -> None:
    # Imported on first use: services pull in the jobs app's services.
    from schedules.signals import count_run_outcome as receiver

    receiver(sender, **kwargs)
