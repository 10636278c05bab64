"""The recurrence engine: when does a schedule run?

Pure Python (no Django), so it can be tested exhaustively and fast.

Every series is wall-clock in the schedule's IANA zone: "09:00 every Monday in
New York" stays 09:00 local across daylight-saving changes. Runs are worked out
on local (naive) dates and times, resolved to instants with zoneinfo, and only
then converted to UTC; nothing ever adds a timedelta to a local datetime across
a DST change.

Resolution of a local wall time that a DST change makes awkward:

* in a spring-forward gap (the time does not exist) the run moves forward by
  the length of the gap: 02:30 becomes 03:30 in New York, 02:15 becomes 02:45
  on Lord Howe Island (a 30-minute shift). It is never dropped. This is what
  PEP 495's ``fold=0`` means for a gap time.
* in a fall-back fold (the time exists twice) a fixed time runs once, at the
  first occurrence (``fold=0``). Cron lines whose minute or hour field is a
  wildcard step in real time, so they run in both passes of the repeated hour
  (cronsim's and Debian cron's rule).

cronsim is asked for naive wall times only and the engine resolves them like
every other type: on its own, cronsim would run a fixed gap time at the end of
the gap (02:30 -> 03:00) and drop a stepped one ("0 */2 * * *" at 02:00).

Two nominal times that resolve to the same instant (a gap time shifted onto an
existing run) produce one run: every series is strictly increasing.

The start is an instant (``start``, the first run's lower bound) and, when the
user typed a wall time, that wall time too (``local_start``), because an
awkward start loses it in the instant:

* a start typed inside a gap (02:30 on the spring-forward day) runs that day
  shifted (03:30), and every other day at the wall time typed (02:30);
* the typed local date, not the shifted one, decides the weekday and the day
  of the month (a gap that swallows midnight would otherwise move the series
  to the next day);
* a start given as the second pass of a repeated hour is honoured: when the
  rule names its wall time, the first run is that very instant, for every
  schedule type; later runs follow the usual rules (a fixed time runs at the
  first pass).
"""

from __future__ import annotations

import bisect
import calendar
import functools
import heapq
import math
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from cron_descriptor import (
    ExpressionDescriptor,
    FormatException,
    MissingFieldException,
    Options,
    WrongArgumentException,
)
from cronsim import CronSim, CronSimError
from dateutil import rrule as du_rrule
from dateutil.relativedelta import relativedelta

SCHEDULE_TYPES = ("once", "daily", "weekly", "monthly", "cron", "rrule")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_BY_NAME = {name: i for i, name in enumerate(WEEKDAYS)} | {
    name[:3]: i for i, name in enumerate(WEEKDAYS)
}

CRON_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

# How far before `after` (in local wall time) a jump to a local date starts
# looking, so that a run whose nominal local time is earlier but resolves later
# (gap shifts, the second pass of a fold, Samoa skipping a day) is still seen.
_JUMP_MARGIN = timedelta(days=2)
# UTC offsets span less than this (-12:00 to +14:00), so a wall time this much
# earlier than another always resolves to an earlier instant.
_OFFSET_SPAN = timedelta(hours=26)
# An rrule or cron line that has produced nothing for this long never will.
_FIRST_RUN_HORIZON_YEARS = 50
_MAX_PATTERN_LENGTH = 500


class RecurrenceError(ValueError):
    """A schedule that cannot be built; ``field`` names the API field at fault."""

    def __init__(self, message: str, field: str = "recurrence_pattern"):
        super().__init__(message)
        self.message = message
        self.field = field


# --- zones and instants -------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise RecurrenceError(
            "Enter an IANA timezone name such as 'America/New_York'.", field="timezone"
        )
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise RecurrenceError(
            f"'{name}' is not a known IANA timezone (e.g. 'UTC', 'Europe/London').",
            field="timezone",
        ) from None


def _resolve(local: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """A naive local wall time to its UTC instant.

    fold=0 is exactly the rule we want for both awkward cases (PEP 495): in a
    fold it picks the first occurrence; in a gap it uses the offset from before
    the transition, which lands the run later by the length of the gap.
    """
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _second_pass(local: datetime, tz: zoneinfo.ZoneInfo) -> datetime | None:
    """The later instant of a wall time that a fall-back repeats, else None."""
    first = local.replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    second_utc = second.astimezone(UTC)
    # In a gap fold=1 resolves *earlier* than fold=0; that is not a second pass.
    return second_utc if second_utc > first.astimezone(UTC) else None


def _local(instant: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _require_aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime")
    return value.astimezone(UTC)


def _to_datetime(value: datetime | str, field_name: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise RecurrenceError(
        f"'{value}' is not a date and time such as '2026-12-01T09:00:00Z'.", field=field_name
    )


def _instant(value: datetime | str, timezone: str, field_name: str) -> datetime:
    moment = _to_datetime(value, field_name)
    tz = _zone(timezone)
    try:
        instant = (
            _resolve(moment, tz)
            if moment.tzinfo is None or moment.utcoffset() is None
            else moment.astimezone(UTC)
        )
        _local(instant, tz)  # must be representable in the zone too
    except OverflowError:
        raise RecurrenceError(
            f"'{value}' is outside the calendar this system can schedule in.", field=field_name
        ) from None
    return instant


def parse_local_start(value: datetime | str, timezone: str) -> datetime:
    """``scheduled_at`` as given: aware -> that instant; naive -> wall time in ``timezone``.

    A naive wall time in a gap shifts forward by the gap; one in a fold takes the
    first occurrence. Returns an aware UTC datetime. The wall time itself is
    :func:`typed_wall_time`; keep it too, or a gap start forgets it.
    """
    return _instant(value, timezone, "scheduled_at")


def typed_wall_time(value: datetime | str, timezone: str) -> datetime:
    """The wall time a start names in ``timezone`` (naive).

    Naive -> that wall time as typed (even inside a gap); aware -> the
    instant's wall time in the zone (the second pass of a fold reads as its
    wall time, the instant keeps which pass).
    """
    moment = _to_datetime(value, "scheduled_at")
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=None)
    return _local(_instant(moment, timezone, "scheduled_at"), _zone(timezone))


def _names(local: datetime, instant: datetime, tz: zoneinfo.ZoneInfo) -> bool:
    """Is the naive wall time ``local`` a way to write ``instant`` in the zone?

    Yes when it resolves to the instant (a gap time resolves to its shifted
    instant) or is the instant's own wall time (the second pass of a fold).
    """
    try:
        return _resolve(local, tz) == instant or _local(instant, tz) == local
    except OverflowError:
        return False


def typed_local_start(
    typed: datetime | str | None, start: datetime, timezone: str
) -> datetime | None:
    """``typed`` (naive, or ISO text) if it still names ``start`` in the zone, else None.

    A wall time stored before the start or the zone changed no longer names it:
    the series then takes its wall time from the instant.
    """
    if not typed or start is None:
        return None
    try:
        local = _to_datetime(typed, "scheduled_local")
        instant = _instant(start, timezone, "scheduled_at")
    except RecurrenceError:
        return None
    if local.tzinfo is not None:
        return None
    return local if _names(local, instant, _zone(timezone)) else None


# --- patterns -----------------------------------------------------------------


@dataclass(frozen=True)
class _Weekly:
    weekdays: tuple[int, ...] | None  # None: the start's local weekday


@dataclass(frozen=True)
class _Monthly:
    day: int | None  # 1..31, -1 for the last day; None: the start's local day


@dataclass(frozen=True)
class _Cron:
    line: str  # always five fields (aliases expanded)
    real_time: bool  # a wildcard minute or hour: runs in both passes of a fold


@dataclass(frozen=True)
class _RRule:
    text: str  # "FREQ=..." without the "RRULE:" prefix


def _parse_daily(pattern: str) -> None:
    if pattern.strip().lower() not in ("", "daily"):
        raise RecurrenceError(
            f"A daily schedule takes no recurrence pattern (got '{pattern}'); "
            "its time of day comes from scheduled_at."
        )


def _parse_weekly(pattern: str) -> _Weekly:
    text = pattern.strip().lower()
    if not text:
        return _Weekly(None)
    prefix, sep, days = text.partition(":")
    if not sep or prefix.strip() != "weekly":
        raise RecurrenceError(
            f"'{pattern}' is not a weekly pattern; use e.g. 'weekly:monday' or "
            "'weekly:monday,thursday'."
        )
    names = [name.strip() for name in days.split(",")]
    unknown = [name for name in names if name not in _WEEKDAY_BY_NAME]
    if unknown or not names:
        bad = ", ".join(f"'{name}'" for name in unknown) or "nothing"
        raise RecurrenceError(
            f"{bad} is not a day of the week; use monday ... sunday (or mon ... sun)."
        )
    return _Weekly(tuple(sorted({_WEEKDAY_BY_NAME[name] for name in names})))


def _parse_monthly(pattern: str) -> _Monthly:
    text = pattern.strip().lower()
    if not text:
        return _Monthly(None)
    prefix, sep, value = text.partition(":")
    value = value.strip()
    if not sep or prefix.strip() != "monthly":
        raise RecurrenceError(
            f"'{pattern}' is not a monthly pattern; use 'monthly:1' ... 'monthly:31', "
            "or 'monthly:-1' for the last day."
        )
    if value == "last":
        return _Monthly(-1)
    try:
        day = int(value)
    except ValueError:
        day = 0
    if day == -1 or 1 <= day <= 31:
        return _Monthly(day)
    raise RecurrenceError(
        f"'{value}' is not a day of the month; use 1 ... 31, or -1 for the last day."
    )


def _parse_cron(pattern: str) -> _Cron:
    line = " ".join(pattern.split())
    line = CRON_ALIASES.get(line.lower(), line)
    if not line:
        raise RecurrenceError("A cron schedule needs a cron line such as '0 9 * * 1'.")
    fields = line.split(" ")
    if len(fields) != 5:
        raise RecurrenceError(
            f"'{pattern}' is not a cron line: it needs 5 fields (minute hour day month "
            f"weekday) or an alias such as @daily, not {len(fields)}."
        )
    try:
        CronSim(line, datetime(2000, 1, 1))
    except CronSimError as exc:
        raise RecurrenceError(f"'{pattern}' is not a valid cron line: {exc}.") from None
    except (ValueError, IndexError, AssertionError):
        raise RecurrenceError(f"'{pattern}' is not a valid cron line.") from None
    # cronsim's (and Debian cron's) own rule for which lines follow real time.
    real_time = fields[0].startswith("*") or fields[1].startswith("*")
    return _Cron(line, real_time)


_RRULE_FORBIDDEN = ("DTSTART", "RDATE", "EXDATE", "EXRULE", "TZID")
_UNTIL_UTC_RE = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)


def _parse_rrule(pattern: str) -> _RRule:
    text = pattern.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :].strip()
    if not text:
        raise RecurrenceError("An rrule schedule needs an RFC 5545 RRULE such as 'FREQ=WEEKLY'.")
    upper = text.upper()
    if "\n" in text or any(word in upper for word in _RRULE_FORBIDDEN):
        raise RecurrenceError(
            "Give a single RRULE line with no DTSTART, RDATE, EXDATE or TZID; the first run "
            "comes from scheduled_at and the zone from timezone."
        )
    if not upper.startswith("FREQ=") and ";FREQ=" not in upper:
        raise RecurrenceError(f"'{pattern}' is not an RRULE: it needs FREQ=... .")
    if "FREQ=SECONDLY" in upper:
        raise RecurrenceError("FREQ=SECONDLY is too frequent; the finest is FREQ=MINUTELY.")
    if "COUNT=" in upper and "UNTIL=" in upper:
        raise RecurrenceError("Give COUNT or UNTIL, not both (RFC 5545).")
    # Validate the syntax now (the start does not matter for that).
    rule = _rrule_at(text, datetime(2000, 1, 1), zoneinfo.ZoneInfo("UTC"))
    if rule._interval < 1:
        raise RecurrenceError("INTERVAL must be 1 or more.")
    return _RRule(text)


def _rrule_at(text: str, dtstart: datetime, tz: zoneinfo.ZoneInfo) -> du_rrule.rrule:
    """The dateutil rule on naive local datetimes (UNTIL=...Z made local)."""

    def local_until(match: re.Match) -> str:
        until = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        return "UNTIL=" + _local(until, tz).strftime("%Y%m%dT%H%M%S")

    try:
        rule = du_rrule.rrulestr(_UNTIL_UTC_RE.sub(local_until, text), dtstart=dtstart)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise RecurrenceError(f"'{text}' is not a valid RRULE: {exc}.") from None
    if not isinstance(rule, du_rrule.rrule):
        raise RecurrenceError(f"'{text}' is not a single RRULE.")
    return rule


def _parse_pattern(schedule_type: str, pattern: str) -> object:
    if schedule_type == "once":
        if pattern.strip():
            raise RecurrenceError(
                "A 'once' schedule runs once at scheduled_at; leave recurrence_pattern empty."
            )
        return None
    if schedule_type == "daily":
        return _parse_daily(pattern)
    if schedule_type == "weekly":
        return _parse_weekly(pattern)
    if schedule_type == "monthly":
        return _parse_monthly(pattern)
    if schedule_type == "cron":
        return _parse_cron(pattern)
    return _parse_rrule(pattern)


# --- the schedule ---------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence:
    """A validated series. Construct with :func:`build` (or directly: it validates)."""

    schedule_type: str
    start: datetime  # aware; the first run instant (scheduled_at)
    timezone: str  # IANA name
    pattern: str = ""  # recurrence_pattern
    end: datetime | None = None  # recurrence_end_date, inclusive, aware
    max_runs: int | None = None  # series length counted from `start`
    # The wall time the user typed (naive, in `timezone`): it says more than
    # `start` when it lies inside a gap. It must name `start` (resolve to it,
    # or be its wall time); None means `start`'s own wall time.
    local_start: datetime | None = None

    _tz: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False)
    _spec: object = field(init=False, repr=False, compare=False)
    _local_start: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.schedule_type not in SCHEDULE_TYPES:
            raise RecurrenceError(
                f"'{self.schedule_type}' is not a schedule type; use one of "
                + ", ".join(SCHEDULE_TYPES)
                + ".",
                field="schedule_type",
            )
        tz = _zone(self.timezone)
        start = _instant(self.start, self.timezone, "scheduled_at")
        end = None if self.end is None else _instant(self.end, self.timezone, "recurrence_end_date")
        pattern = self.pattern or ""
        if not isinstance(pattern, str) or len(pattern) > _MAX_PATTERN_LENGTH:
            raise RecurrenceError(
                f"recurrence_pattern must be text of at most {_MAX_PATTERN_LENGTH} characters."
            )
        if self.max_runs is not None and (
            isinstance(self.max_runs, bool) or not isinstance(self.max_runs, int)
        ):
            raise RecurrenceError("max_runs must be a whole number.", field="max_runs")
        if self.max_runs is not None and self.max_runs < 1:
            raise RecurrenceError(
                f"max_runs must be at least 1 (got {self.max_runs}); leave it empty for no limit.",
                field="max_runs",
            )
        if end is not None and end < start:
            raise RecurrenceError(
                "recurrence_end_date is before scheduled_at; the series would never run.",
                field="recurrence_end_date",
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "pattern", pattern)
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(self, "_spec", _parse_pattern(self.schedule_type, pattern))
        object.__setattr__(self, "_local_start", self._checked_local_start(start, tz))

    def _checked_local_start(self, start: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
        local = self.local_start
        if local is None:
            return _local(start, tz)
        if not isinstance(local, datetime) or local.tzinfo is not None:
            raise RecurrenceError(
                "The typed start must be a naive wall time such as '2027-03-14T02:30:00'.",
                field="scheduled_at",
            )
        if not _names(local, start, tz):
            raise RecurrenceError(
                f"The wall time {local.isoformat()} is not scheduled_at "
                f"{start.isoformat()} in {self.timezone}.",
                field="scheduled_at",
            )
        return local

    @property
    def local_time(self) -> time:
        """The wall time of day the series repeats (daily/weekly/monthly/once)."""
        return self._local_start.time()


def build(
    schedule_type: str,
    start: datetime | str,
    timezone: str,
    pattern: str | None = "",
    end: datetime | str | None = None,
    max_runs: int | None = None,
    local_start: datetime | None = None,
) -> Recurrence:
    """Validate everything and return a Recurrence, or raise RecurrenceError naming the field."""
    rec = Recurrence(
        schedule_type=schedule_type,
        start=start,
        timezone=timezone,
        pattern=pattern or "",
        end=end,
        max_runs=max_runs,
        local_start=local_start,
    )
    if rec.schedule_type == "once":
        return rec
    unbounded = Recurrence(
        rec.schedule_type, rec.start, rec.timezone, rec.pattern, local_start=rec.local_start
    )
    first = _first_run_within_horizon(unbounded)
    if first is None:
        raise RecurrenceError(
            f"'{rec.pattern}' never produces a run on or after scheduled_at.",
        )
    if rec.end is not None and first > rec.end:
        raise RecurrenceError(
            "The first run would be "
            f"{_format_local(first, rec._tz)} {rec.timezone}, after recurrence_end_date; "
            "the series would never run.",
            field="recurrence_end_date",
        )
    return rec


def _first_run_within_horizon(rec: Recurrence) -> datetime | None:
    if rec.schedule_type == "rrule":
        return _first_rrule_run(rec)
    return next_run(rec)


def _first_rrule_run(rec: Recurrence) -> datetime | None:
    origin = rec._local_start.replace(microsecond=0)
    rule = _rrule_at(rec._spec.text, origin, rec._tz)
    if not _fires_at_all(rule, origin):
        return None
    years = min(_FIRST_RUN_HORIZON_YEARS, 9999 - rec._local_start.year)
    horizon = rec._local_start + relativedelta(years=years)
    for local in rule:
        if local > horizon:
            return None
        instant = rec.start if local == rec._local_start else _resolve(local, rec._tz)
        if instant >= rec.start:
            return instant
    return None


# Whole INTERVAL units in 400 Gregorian years, after which weekdays and leap
# years repeat exactly.
_UNITS_PER_400_YEARS = {
    du_rrule.YEARLY: 400,
    du_rrule.MONTHLY: 4800,
    du_rrule.WEEKLY: 20871,
    du_rrule.DAILY: 146097,
    du_rrule.HOURLY: 146097 * 24,
    du_rrule.MINUTELY: 146097 * 1440,
}
_LAST_PROBE_YEAR = 9939  # dateutil gives up after year 9999


def _fires_at_all(rule: du_rrule.rrule, origin: datetime) -> bool:
    """Does the rule (COUNT and UNTIL aside) ever produce a date?

    dateutil searches an impossible rule period by period up to year 9999,
    which takes seconds for FREQ=MINUTELY. The calendar repeats every 400
    years, so the same rule moved a whole number of 400-year cycles (and of
    INTERVALs) towards year 9999 answers the question in bounded time.
    """
    units = _UNITS_PER_400_YEARS.get(rule._freq)
    if units is None:
        return True
    cycles = rule._interval // math.gcd(rule._interval, units)
    jumps = (_LAST_PROBE_YEAR - origin.year) // (400 * cycles)
    if jumps < 1:
        return True
    shifted = origin + relativedelta(years=400 * cycles * jumps)
    probe = rule.replace(dtstart=shifted, count=None, until=None, **_pinned_defaults(rule, origin))
    return next(iter(probe), None) is not None


# --- local-date series: daily, weekly, monthly -----------------------------------


def _matches(rec: Recurrence, day: date) -> bool:
    if rec.schedule_type == "daily":
        return True
    if rec.schedule_type == "weekly":
        return day.weekday() in _weekdays(rec)
    return day.day == _month_day(rec, day.year, day.month)


def _weekdays(rec: Recurrence) -> tuple[int, ...]:
    return rec._spec.weekdays or (rec._local_start.weekday(),)


def _month_day(rec: Recurrence, year: int, month: int) -> int:
    """The run's day in a month: day 29/30/31 clamp to the month's last day."""
    wanted = rec._spec.day or rec._local_start.day
    last = calendar.monthrange(year, month)[1]
    return last if wanted == -1 else min(wanted, last)


def _matching_dates(rec: Recurrence, first: date) -> Iterator[date]:
    """Matching local dates from ``first`` on, in order."""
    if rec.schedule_type == "daily":
        day = first
        while True:
            yield day
            day += timedelta(days=1)
    elif rec.schedule_type == "weekly":
        weekdays = _weekdays(rec)
        monday = first - timedelta(days=first.weekday())
        index = bisect.bisect_left(weekdays, first.weekday())
        while True:
            for weekday in weekdays[index:]:
                yield monday + timedelta(days=weekday)
            monday += timedelta(days=7)
            index = 0
    else:
        year, month = first.year, first.month
        day = date(year, month, _month_day(rec, year, month))
        if day >= first:
            yield day
        while (year, month) < (9999, 12):
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            yield date(year, month, _month_day(rec, year, month))


def _count_matching_dates(rec: Recurrence, first: date, stop: date) -> int:
    """How many matching local dates d have first <= d < stop (arithmetic, no loop)."""
    if stop <= first:
        return 0
    if rec.schedule_type == "daily":
        return (stop - first).days
    if rec.schedule_type == "weekly":
        weekdays = _weekdays(rec)
        days = (stop - first).days
        weeks, rest = divmod(days, 7)
        count = weeks * len(weekdays)
        start_weekday = (first + timedelta(days=weeks * 7)).weekday()
        for offset in range(rest):
            if (start_weekday + offset) % 7 in weekdays:
                count += 1
        return count
    months = (stop.year - first.year) * 12 + stop.month - first.month
    count = months + 1  # one run date in each month from first's to stop's
    if date(first.year, first.month, _month_day(rec, first.year, first.month)) < first:
        count -= 1
    if date(stop.year, stop.month, _month_day(rec, stop.year, stop.month)) >= stop:
        count -= 1
    return count


@functools.lru_cache(maxsize=512)
def _zone_skips_whole_days(name: str) -> bool:
    """Has this zone ever changed its offset by a day (Samoa skipping 2011-12-30)?

    Only then can two consecutive local dates resolve to one instant, which
    breaks counting runs by counting dates.
    """
    tz = _zone(name)
    probe = datetime(1900, 1, 1, tzinfo=UTC)
    offsets = set()
    while probe.year < 2100:
        offsets.add(probe.astimezone(tz).utcoffset())
        probe += timedelta(days=7)
    return max(offsets) - min(offsets) >= timedelta(hours=23)


def _date_series_candidates(
    rec: Recurrence, from_date: date, skip_before: datetime | None = None
) -> Iterator[datetime]:
    """Run instants (not yet deduplicated) on matching local dates >= from_date.

    Wall times before ``skip_before`` (naive local) are not resolved at all.
    """
    tz = rec._tz
    first_date = rec._local_start.date()
    wall = rec.local_time
    for day in _matching_dates(rec, max(from_date, first_date)):
        # The start's own date runs at the start instant itself, which also keeps
        # a start given in the second pass of a fold.
        if day == first_date:
            yield rec.start
            continue
        local = datetime.combine(day, wall)
        if skip_before is None or local >= skip_before:
            yield _resolve(local, tz)


def _date_series(rec: Recurrence, after: datetime | None) -> Iterator[datetime]:
    first_date = rec._local_start.date()
    from_date = first_date
    index = 0
    skip_before = None
    if after is not None and after > rec.start:
        after_local = _local(after, rec._tz)
        jump_to = (after_local - _JUMP_MARGIN).date()
        if jump_to > first_date:
            if rec.max_runs is None:
                from_date = jump_to
                skip_before = after_local - _OFFSET_SPAN
            elif not _zone_skips_whole_days(rec.timezone):
                from_date = jump_to
                index = _count_matching_dates(rec, first_date, jump_to)
    return _limit(rec, _date_series_candidates(rec, from_date, skip_before), after, index)


# --- cron and rrule: naive local streams -----------------------------------------


def _instants_for(local: datetime, tz: zoneinfo.ZoneInfo, both_passes: bool) -> list[datetime]:
    first = _resolve(local, tz)
    if both_passes:
        second = _second_pass(local, tz)
        if second is not None:
            return [first, second]
    return [first]


def _settled_before(local: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """A UTC instant no run from a local time >= ``local`` can precede.

    Such a run is the local time minus an offset in effect around it; the
    largest offset within a day either side bounds it (zones change offset at
    most once in two days).
    """
    largest = max(
        (local - timedelta(days=1)).replace(tzinfo=tz).utcoffset(),
        local.replace(tzinfo=tz, fold=0).utcoffset(),
        local.replace(tzinfo=tz, fold=1).utcoffset(),
        (local + timedelta(hours=27)).replace(tzinfo=tz).utcoffset(),
    )
    return local.replace(tzinfo=UTC) - largest


def _ordered(rec: Recurrence, locals_: Iterable[datetime], both_passes: bool) -> Iterator[datetime]:
    """Resolve increasing local wall times to increasing UTC instants.

    A gap time shifted forward can land after the next nominal times, and a
    fold's second pass after later first-pass times, so instants wait in a
    heap until no later local time can resolve before them. The start's own
    wall time also runs at the start instant (a start given in the second
    pass of a fold).
    """
    tz = rec._tz
    pending: list[datetime] = []
    for local in locals_:
        if local < rec._local_start:
            # Before the start's wall time only a second pass can follow the start.
            second = _second_pass(local, tz) if both_passes else None
            instants = [] if second is None else [second]
        else:
            instants = _instants_for(local, tz, both_passes)
        for instant in instants:
            heapq.heappush(pending, instant)
        if local == rec._local_start:
            heapq.heappush(pending, rec.start)
        floor = _settled_before(local, tz)
        while pending and pending[0] <= floor:
            yield heapq.heappop(pending)
    while pending:
        yield heapq.heappop(pending)


def _cron_locals(line: str, from_local: datetime) -> Iterator[datetime]:
    """Naive local wall times matching ``line`` at or after ``from_local``."""
    # cronsim yields the first match strictly after its start: step back 1 s.
    sim = CronSim(line, from_local.replace(microsecond=0) - timedelta(seconds=1))
    return iter(sim)


def _local_jump_start(after: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """The earliest local wall time whose run can be later than ``after``.

    A run at wall time w is w minus the offset in effect there; offsets near
    ``after`` are no smaller than the smallest seen a day either side of it.
    """
    here = after.astimezone(tz).utcoffset()
    smallest = min(
        here,
        (after - timedelta(hours=27)).astimezone(tz).utcoffset(),
        (after + timedelta(hours=27)).astimezone(tz).utcoffset(),
    )
    return _local(after, tz) - (here - smallest) - timedelta(hours=1)


def _cron_series(rec: Recurrence, after: datetime | None) -> Iterator[datetime]:
    from_local = rec._local_start
    if rec._spec.real_time:
        # A start in the first pass of a repeated hour: the second pass of the
        # wall times just before it (01:00 EST after a 01:30 EDT start) still follows.
        from_local = min(from_local, _local_jump_start(rec.start, rec._tz))
    if after is not None and rec.max_runs is None and after > rec.start:
        from_local = max(from_local, _local_jump_start(after, rec._tz))
    locals_ = _cron_locals(rec._spec.line, from_local)
    return _limit(rec, _ordered(rec, locals_, rec._spec.real_time), after, 0)


_PERIOD_SHIFT = {
    du_rrule.YEARLY: lambda n: relativedelta(years=n),
    du_rrule.MONTHLY: lambda n: relativedelta(months=n),
    du_rrule.WEEKLY: lambda n: timedelta(weeks=n),
    du_rrule.DAILY: lambda n: timedelta(days=n),
    du_rrule.HOURLY: lambda n: timedelta(hours=n),
    du_rrule.MINUTELY: lambda n: timedelta(minutes=n),
}


def _whole_periods(rule: du_rrule.rrule, origin: datetime, target: datetime) -> int:
    """How many whole INTERVALs of the rule's frequency fit between two local times."""
    freq, interval = rule._freq, rule._interval
    if freq == du_rrule.YEARLY:
        units = target.year - origin.year - 1
    elif freq == du_rrule.MONTHLY:
        units = (target.year - origin.year) * 12 + target.month - origin.month - 1
    elif freq == du_rrule.WEEKLY:
        units = (target - origin).days // 7
    elif freq == du_rrule.DAILY:
        units = (target - origin).days
    elif freq == du_rrule.HOURLY:
        units = int((target - origin).total_seconds() // 3600)
    else:
        units = int((target - origin).total_seconds() // 60)
    return max(units, 0) // interval


def _rebased(rule: du_rrule.rrule, origin: datetime, target: datetime) -> du_rrule.rrule:
    """The same rule started a whole number of intervals later, at or before target.

    Shifting DTSTART by whole intervals keeps every period aligned; the values
    dateutil would derive from DTSTART (day of month, weekday, month) are
    pinned first so the shift cannot change them (Jan 31 + 1 month is Feb 28).
    """
    periods = _whole_periods(rule, origin, target)
    if periods == 0:
        return rule
    shifted = origin + _PERIOD_SHIFT[rule._freq](periods * rule._interval)
    return rule.replace(dtstart=shifted, **_pinned_defaults(rule, origin))


def _pinned_defaults(rule: du_rrule.rrule, origin: datetime) -> dict:
    """The BY* values dateutil derived from DTSTART, to keep them when it moves."""
    pinned = {}
    original = rule._original_rule
    if original.get("bymonthday", ()) is None:
        pinned["bymonthday"] = origin.day
    if original.get("bymonth", ()) is None:
        pinned["bymonth"] = origin.month
    if original.get("byweekday", ()) is None:
        pinned["byweekday"] = origin.weekday()
    if rule._freq < du_rrule.HOURLY:
        pinned.setdefault("byhour", rule._byhour)
    if rule._freq < du_rrule.MINUTELY:
        pinned.setdefault("byminute", rule._byminute)
    pinned.setdefault("bysecond", rule._bysecond)
    return {key: value for key, value in pinned.items() if value is not None}


def _rrule_series(rec: Recurrence, after: datetime | None) -> Iterator[datetime]:
    origin = rec._local_start.replace(microsecond=0)
    rule = _rrule_at(rec._spec.text, origin, rec._tz)
    if after is not None and rec.max_runs is None and rule._count is None and after > rec.start:
        rule = _rebased(rule, origin, _local_jump_start(after, rec._tz))
    return _limit(rec, _ordered(rec, rule, both_passes=False), after, 0)


# --- the public queries ------------------------------------------------------------


def _limit(
    rec: Recurrence, candidates: Iterable[datetime], after: datetime | None, index: int
) -> Iterator[datetime]:
    """Deduplicate, and apply start, end, max_runs (``index`` runs precede) and after."""
    last = None
    for instant in candidates:
        if instant < rec.start or (last is not None and instant <= last):
            continue
        if rec.end is not None and instant > rec.end:
            return
        if rec.max_runs is not None and index >= rec.max_runs:
            return
        index += 1
        last = instant
        if after is None or instant > after:
            yield instant


def iter_runs(rec: Recurrence, after: datetime | None = None) -> Iterator[datetime]:
    """Run instants (aware UTC), strictly increasing, each > ``after`` when given.

    Never before the start, never after the end, at most max_runs counted from
    the start of the series. A later ``after`` jumps straight to its local date
    rather than walking the series from the start (unless max_runs needs the
    walk to count; daily/weekly/monthly count arithmetically).
    """
    if after is not None:
        after = _require_aware(after, "after")
    try:
        yield from _series(rec, after)
    except OverflowError:
        return  # the series ran off the end of the calendar (year 9999)


def _series(rec: Recurrence, after: datetime | None) -> Iterator[datetime]:
    if rec.schedule_type == "once":
        return iter([rec.start] if after is None or rec.start > after else [])
    if rec.schedule_type == "cron":
        return _cron_series(rec, after)
    if rec.schedule_type == "rrule":
        return _rrule_series(rec, after)
    return _date_series(rec, after)


def next_run(rec: Recurrence, after: datetime | None = None) -> datetime | None:
    return next(iter_runs(rec, after), None)


def next_runs(rec: Recurrence, after: datetime | None, count: int) -> list[datetime]:
    if count <= 0:
        return []
    runs = []
    for instant in iter_runs(rec, after):
        runs.append(instant)
        if len(runs) >= count:
            break
    return runs


def runs_between(
    rec: Recurrence, start: datetime, end: datetime, limit: int | None = None
) -> list[datetime]:
    """Runs t with start <= t < end (at most ``limit`` of them)."""
    start = _require_aware(start, "start")
    end = _require_aware(end, "end")
    runs: list[datetime] = []
    if limit is not None and limit <= 0:
        return runs
    for instant in iter_runs(rec, after=start - timedelta(microseconds=1)):
        if instant >= end:
            break
        runs.append(instant)
        if limit is not None and len(runs) >= limit:
            break
    return runs


def count_runs_between(rec: Recurrence, start: datetime, end: datetime, cap: int) -> int:
    """How many runs t with start < t <= end, counting no further than ``cap``."""
    end = _require_aware(end, "end")
    count = 0
    if cap <= 0:
        return 0
    for instant in iter_runs(rec, after=start):
        if instant > end:
            break
        count += 1
        if count >= cap:
            break
    return count


# --- human descriptions -------------------------------------------------------------


def _format_clock(wall: time) -> str:
    return wall.strftime("%H:%M:%S" if wall.second else "%H:%M")


def _format_local(instant: datetime, tz: zoneinfo.ZoneInfo) -> str:
    local = instant.astimezone(tz)
    return f"{local:%Y-%m-%d} {_format_clock(local.time())}"


def _join_words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def describe(rec: Recurrence, with_limits: bool = False) -> str:
    """A sentence a person can check: "Every Monday at 09:00 America/New_York"."""
    text = _describe_series(rec)
    if with_limits and rec.schedule_type != "once":
        if rec.max_runs is not None:
            text += f", {rec.max_runs} time{'s' if rec.max_runs != 1 else ''} at most"
        if rec.end is not None:
            text += f", until {_format_local(rec.end, rec._tz)}"
    return text


def _describe_series(rec: Recurrence) -> str:
    zone = rec.timezone
    at = f"at {_format_clock(rec.local_time)} {zone}"
    kind = rec.schedule_type
    if kind == "once":
        return f"Once on {_format_local(rec.start, rec._tz)} {zone}"
    if kind == "daily":
        return f"Every day {at}"
    if kind == "weekly":
        names = [WEEKDAYS[i].capitalize() for i in _weekdays(rec)]
        return f"Every {_join_words(names)} {at}"
    if kind == "monthly":
        day = rec._spec.day or rec._local_start.day
        if day == -1:
            return f"On the last day of every month {at}"
        shorter = " (the last day in shorter months)" if day > 28 else ""
        return f"On the {_ordinal(day)} of every month{shorter} {at}"
    if kind == "cron":
        return f"{_describe_cron(rec._spec.line)} ({zone})"
    return f"{_describe_rrule(rec)} ({zone})"


def _describe_cron(line: str) -> str:
    options = Options()
    options.use_24hour_time_format = True
    try:
        return ExpressionDescriptor(line, options).get_description()
    except (
        FormatException,
        MissingFieldException,
        WrongArgumentException,
        ValueError,
        KeyError,
        IndexError,
    ):
        return f"Cron '{line}'"


_FREQ_WORDS = {
    du_rrule.YEARLY: ("year", "years"),
    du_rrule.MONTHLY: ("month", "months"),
    du_rrule.WEEKLY: ("week", "weeks"),
    du_rrule.DAILY: ("day", "days"),
    du_rrule.HOURLY: ("hour", "hours"),
    du_rrule.MINUTELY: ("minute", "minutes"),
}
_NTH_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


def _describe_rrule(rec: Recurrence) -> str:
    """Readable enough for the common parts; the rule itself for anything exotic."""
    rule = _rrule_at(rec._spec.text, rec._local_start.replace(microsecond=0), rec._tz)
    original = rule._original_rule
    exotic = any(original.get(key) for key in ("bysetpos", "byweekno", "byyearday", "byeaster"))
    if exotic or rule._freq not in _FREQ_WORDS:
        return f"Repeats by the rule '{rec._spec.text}' from {_format_local(rec.start, rec._tz)}"
    one, many = _FREQ_WORDS[rule._freq]
    parts = [f"Every {one}" if rule._interval == 1 else f"Every {rule._interval} {many}"]
    weekdays = original.get("byweekday") or ()
    if weekdays:
        names = []
        for wd in weekdays:
            name = WEEKDAYS[wd.weekday].capitalize()
            if wd.n:
                name = f"the {_NTH_WORDS.get(wd.n, _ordinal(wd.n))} {name}"
            names.append(name)
        parts.append("on " + _join_words(names))
    monthdays = original.get("bymonthday") or ()
    if monthdays:
        days = ["the last day" if d == -1 else f"day {d}" for d in monthdays]
        parts.append("on " + _join_words(days))
    months = original.get("bymonth") or ()
    if months:
        parts.append("in " + _join_words([calendar.month_name[m] for m in months]))
    if rule._freq <= du_rrule.DAILY:
        clocks = sorted(
            time(h, m, s) for h in rule._byhour for m in rule._byminute for s in rule._bysecond
        )
        parts.append("at " + _join_words([_format_clock(c) for c in clocks]))
    text = " ".join(parts)
    if rule._count:
        text += f", {rule._count} times"
    if rule._until:
        text += f", until {rule._until:%Y-%m-%d %H:%M}"
    return text
