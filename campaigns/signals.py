"""Signals the campaign lifecycle sends, so campaigns never imports a higher app.

Every signal is sent inside the transaction of the transition, with
``campaign`` and ``note`` (a sentence saying why, recorded on the schedules'
audit events). Receivers (``schedules/campaign_hooks.py``) act on the
campaign's schedules in the same transaction: either the transition and its
effect on the schedules both happen, or neither does.
"""

from __future__ import annotations

from django.dispatch import Signal

# A campaign was scheduled to start later (or is the blueprint of a recurring
# campaign): its active schedules are held (paused) until it starts.
campaign_schedules_held = Signal()

# A scheduled campaign reached its start: the schedules held for it resume.
campaign_started = Signal()

# A campaign's end date passed and it is now completed: its schedules expire.
campaign_ended = Signal()

# A campaign's spent cost reached its budget: its active schedules pause.
# Extra keyword arguments: spent_usd, budget_usd (Decimal).
campaign_budget_reached = Signal()

# A campaign was archived: its active schedules pause.
campaign_archived = Signal()
