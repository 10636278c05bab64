"""Signals other apps listen to, so lower apps never import higher ones."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once, after commit, when a job reaches a final outcome (succeeded, or
# failed with its retries exhausted). Keyword arguments: job.
# The schedules app counts consecutive failures from it.
job_finished = Signal()

# Sent by the worker right after it claims a job and before it runs it.
# Keyword arguments: job. A receiver that returns a non-empty string vetoes the
# run: the job is cancelled with that string as its reason and never executed.
# Lets a higher app (marketing: a post paused after its Job was created) stop a
# run without jobs knowing about it.
job_pre_run = Signal()
