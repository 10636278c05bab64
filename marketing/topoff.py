"""Slot maths for top-off: which instants a channel's cadence asks for.

Pure Python (no Django) so the spreading rule can be tested exhaustively.

How slots are spread
--------------------
A channel has ``posts_per_week`` (p) and ``schedule_times`` (k local wall-clock
times, e.g. 09:00 and 17:00) in ``schedule_timezone``. The candidate slots are
every configured time on every local day, numbered from a fixed Monday epoch::

    n = day_index * k + time_index     (day_index 0 = Monday 0001-01-01)

so a week holds W = 7k candidates. Candidate n is used iff::

    (n * p) mod W < p

This is Bresenham's line over the candidate grid. It guarantees:

* every 7 consecutive local days (not only calendar weeks) hold exactly p posts;
* gaps between used candidates differ by at most one candidate, so the posts
  are as evenly spaced as the grid allows. When p is not a multiple of k the
  used time of day rotates: p=5 with 09:00/17:00 gives Mon 09:00, Tue 17:00,
  Thu 09:00, Fri 17:00, Sun 09:00, then the pattern repeats; p=3 with one time
  gives Mon, Thu, Sat;
* n is absolute, not relative to "today", so tomorrow's top-off picks the same
  slots as today's and only adds the newly uncovered day: rolling the horizon
  never shifts or doubles existing slots.

p above W is capped at W (every candidate is used); p = 0 or no times means no
slots. Wall-clock times are resolved in the zone at the end: a time that does
not exist on a spring-forward day moves forward by the gap (02:30 -> 03:30),
a time that exists twice on a fall-back day is used once, at its first
occurrence. Slots are returned as aware UTC datetimes in [window_start,
window_end).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_POSTS_PER_WEEK = 168
DAYS_PER_WEEK = 7


def parse_schedule_times(values: Iterable) -> list[str]:
    """Validate "HH:MM" strings; return them sorted and de-duplicated.

    Raises ValueError naming the first bad entry.
    """
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError('schedule_times must be a list of "HH:MM" strings.')
    normalized: set[str] = set()
    for value in values:
        text = value.strip() if isinstance(value, str) else value
        if not isinstance(text, str) or not TIME_RE.match(text):
            raise ValueError(f"{value!r} is not a time of day in 24-hour HH:MM form (e.g. 09:30).")
        normalized.add(text)
    return sorted(normalized)


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Resolve a wall-clock time on a local date to UTC.

    fold=0 gives the first of two repeated times; for a skipped time it uses
    the offset before the gap, which lands the same distance past the gap.
    """
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def is_slot_used(n: int, posts_per_week: int, times_per_day: int) -> bool:
    per_week = DAYS_PER_WEEK * times_per_day
    p = min(posts_per_week, per_week)
    return (n * p) % per_week < p


def cadence_slots(
    *,
    posts_per_week: int,
    schedule_times: Iterable[str],
    timezone: str,
    window_start: datetime,
    window_end: datetime,
) -> list[datetime]:
    """The cadence's slot instants (aware UTC, ascending) in [window_start, window_end)."""
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("window_start and window_end must be timezone-aware.")
    times = [time.fromisoformat(t) for t in parse_schedule_times(schedule_times)]
    if posts_per_week <= 0 or not times or window_end <= window_start:
        return []
    zone = ZoneInfo(timezone)
    k = len(times)
    # One local day either side covers any UTC offset at the window's edges.
    first_day = window_start.astimezone(zone).date() - timedelta(days=1)
    last_day = window_end.astimezone(zone).date() + timedelta(days=1)
    slots: list[datetime] = []
    seen: set[datetime] = set()
    day = first_day
    while day <= last_day:
        day_index = day.toordinal() - 1  # 0 = Monday, 0001-01-01
        for time_index, at in enumerate(times):
            if not is_slot_used(day_index * k + time_index, posts_per_week, k):
                continue
            instant = local_to_utc(day, at, zone)
            # A skipped 02:30 and a configured 03:30 can resolve to one instant.
            if window_start <= instant < window_end and instant not in seen:
                seen.add(instant)
                slots.append(instant)
        day += timedelta(days=1)
    slots.sort()
    return slots
