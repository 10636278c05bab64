"""Job outcomes flow back to posts (jobs never imports marketing)."""

from __future__ import annotations

from django.dispatch import receiver

from jobs.signals import job_finished


@receiver(job_finished, dispatch_uid="marketing.record_job_outcome")
def record_publication_outcome(sender, job, **kwargs):
    if not (job.config or {}).get("marketing_post_id"):
        return
    from marketing.publisher import record_job_outcome

    record_job_outcome(job)
