"""Signals other apps listen to, so lower apps never import higher ones."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once, after commit, when a job reaches a final outcome (succeeded, or
# failed with its retries exhausted). Keyword arguments: job.
# The schedules app counts consecutive failures from it.
job_finished = Signal()
