"""Which local days a calendar view covers, and where prev/next go. Pure: no
Django models or requests.

Ranges are computed on local dates in the display zone and turned into UTC
instants last, so a week that crosses a DST change still starts and ends at
local midnight.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler_site.lib.moments import clamp_day

VIEWS = ("month", "week", "day", "agenda")
AGENDA_DAYS = 14
WEEK_STARTS_ON = 0  # Monday, ISO 8601


@dataclass(frozen=True)
class ViewRange:
    view: str
    anchor: date
    first_day: date  # first local day drawn
    last_day: date  # last local day drawn (inclusive)
    prev_anchor: date
    next_anchor: date

    @property
    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware instants: local midnight to the midnight after the last day."""
        return local_midnight(self.first_day, zone), local_midnight(
            self.last_day + timedelta(days=1), zone
        )


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # UTC at once: arithmetic between two datetimes sharing a ZoneInfo ignores
    # their offsets, which would make a DST week look 7 days long.
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def parse_view(value: str | None) -> str:
    return value if value in VIEWS else "month"


def parse_anchor(value: str | None, today: date) -> date:
    """An ISO date from the URL; anything unreadable is today, a date outside the
    years dates live in (1970-2200) the nearest day inside them: never an error page."""
    if value:
        try:
            return clamp_day(date.fromisoformat(value[:10]))
        except ValueError:
            pass
    return today


def week_start(day: date) -> date:
    return day - timedelta(days=(day.weekday() - WEEK_STARTS_ON) % 7)


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = stdlib_calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def view_range(view: str, anchor: date) -> ViewRange:
    if view == "month":
        first_of_month = anchor.replace(day=1)
        last_of_month = add_months(first_of_month, 1) - timedelta(days=1)
        first = week_start(first_of_month)
        last = week_start(last_of_month) + timedelta(days=6)
        return ViewRange(
            view,
            anchor,
            first,
            last,
            add_months(first_of_month, -1),
            add_months(first_of_month, 1),
        )
    if view == "week":
        first = week_start(anchor)
        return ViewRange(
            view,
            anchor,
            first,
            first + timedelta(days=6),
            anchor - timedelta(days=7),
            anchor + timedelta(days=7),
        )
    if view == "day":
        return ViewRange(
            view, anchor, anchor, anchor, anchor - timedelta(days=1), anchor + timedelta(days=1)
        )
    return ViewRange(
        "agenda",
        anchor,
        anchor,
        anchor + timedelta(days=AGENDA_DAYS - 1),
        anchor - timedelta(days=AGENDA_DAYS),
        anchor + timedelta(days=AGENDA_DAYS),
    )


def title_for(vr: ViewRange) -> str:
    if vr.view == "month":
        return vr.anchor.strftime("%B %Y")
    if vr.view == "day":
        return vr.anchor.strftime("%A, %B %-d, %Y")
    first, last = vr.first_day, vr.last_day
    if first.year != last.year:
        return f"{first:%b %-d, %Y} \u2013 {last:%b %-d, %Y}"
    if first.month != last.month:
        return f"{first:%b %-d} \u2013 {last:%b %-d, %Y}"
    return f"{first:%B %-d} \u2013 {last:%-d, %Y}"
