"""What dragging one occurrence of a recurring schedule means for its series. Pure.

Moving "the whole series" from one occurrence to a new local time makes the
new time the series' first run from now on: the clock time follows, and so
does the day for weekly (that weekday is swapped for the new one) and monthly
(the new day of the month) series. Cron lines and RRULEs say too much to be
rewritten from one drag; the schedule form edits those.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from datetime import datetime

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_BY_NAME = {name: i for i, name in enumerate(WEEKDAYS)} | {
    name[:3]: i for i, name in enumerate(WEEKDAYS)
}


class SeriesMoveUnsupported(ValueError):
    pass


def shifted_pattern(
    schedule_type: str, pattern: str, old_local: datetime, new_local: datetime
) -> str:
    """The recurrence pattern after moving one occurrence from ``old_local`` to ``new_local``."""
    pattern = (pattern or "").strip()
    if schedule_type in ("once", "daily"):
        return pattern
    if schedule_type == "weekly":
        return _shift_weekly(pattern, old_local.weekday(), new_local.weekday())
    if schedule_type == "monthly":
        return _shift_monthly(pattern, new_local)
    raise SeriesMoveUnsupported(
        "A cron or RRULE series cannot be moved by dragging; edit its pattern in the schedule form."
    )


def _shift_weekly(pattern: str, old_day: int, new_day: int) -> str:
    _, sep, names = pattern.lower().partition(":")
    if not sep or not names.strip():
        return pattern  # the series follows scheduled_at's weekday
    days = [_BY_NAME[name.strip()] for name in names.split(",") if name.strip() in _BY_NAME]
    moved = [new_day if day == old_day else day for day in days]
    if old_day not in days:
        moved.append(new_day)
    ordered = sorted(set(moved))
    return "weekly:" + ",".join(WEEKDAYS[day] for day in ordered)


def _shift_monthly(pattern: str, new_local: datetime) -> str:
    if not pattern:
        return pattern  # the series follows scheduled_at's day of the month
    last = stdlib_calendar.monthrange(new_local.year, new_local.month)[1]
    was_last = pattern.lower().split(":", 1)[-1].strip() in ("-1", "last")
    if new_local.day == last and was_last:
        return "monthly:-1"
    return f"monthly:{new_local.day}"
