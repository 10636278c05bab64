"""Job outcomes flow back to posts, and the worker asks before publishing
(jobs never imports marketing)."""

from __future__ import annotations

from django.dispatch import receiver

from jobs.signals import job_finished, job_pre_run


@receiver(job_finished, dispatch_uid="marketing.record_job_outcome")
def record_publication_outcome(sender, job, **kwargs):
    if not (job.config or {}).get("marketing_post_id"):
        return
    from marketing.publisher import record_job_outcome

    record_job_outcome(job)


@receiver(job_pre_run, dispatch_uid="marketing.publication_veto")
def veto_held_publication(sender, job, **kwargs) -> str:
    if not (job.config or {}).get("marketing_post_id"):
        return ""
    from marketing.publisher import publication_veto

    return publication_veto(job)
