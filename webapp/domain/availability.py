"""Free time of caseworkers and rooms, and the meeting starts that fit in it (R-2.x, R-4.2)."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import compress
from typing import TypeVar
from zoneinfo import ZoneInfo

from webapp.domain.errors import DomainError
from webapp.domain.intervals import (
    Interval,
    intersect_all,
    normalise,
    subtract_sorted,
)

K = TypeVar("K", bound=Hashable)

# ---------------------------------------------------------------------------
# Time zone
#
# Inside the domain every time is a *naive* datetime holding Europe/Copenhagen
# wall-clock time. A meeting booked for 09:00 is a 09:00 meeting for the citizen
# and the caseworker whatever the UTC offset of that day is, so it must never
# move when daylight saving starts or ends; storing UTC and converting back
# would drift it by an hour for everything booked across a changeover. Working
# hours are wall-clock rules too ("07:30-16:00"), so free time is computed in
# wall-clock and converted only at the edges (database, iCalendar, API).
#
# Changeover nights in Denmark: on the last Sunday of March 02:00-03:00 does not
# exist, on the last Sunday of October 02:00-03:00 happens twice. Working time
# never covers those hours, so the availability rules are unaffected; the
# conversions below follow PEP 495:
# - a non-existent time (e.g. 02:30 in March) is read with the offset in force
#   before the jump (+01:00), so it converts to the instant an hour later on the
#   clock (02:30 -> 01:30 UTC, which is 03:30 CEST);
# - a doubled time is the first occurrence (summer time) with fold=0 and the
#   second (winter time) with fold=1; `from_utc` sets fold so that a round trip
#   gives back the same instant.
# ---------------------------------------------------------------------------

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def to_aware(naive: datetime) -> datetime:
    """Attach Europe/Copenhagen to a wall-clock datetime (fold is honoured)."""
    if naive.tzinfo is not None:
        raise DomainError("Tidspunktet har allerede en tidszone.",
                          "The datetime already carries a time zone.",
                          code="datetime_aware")
    return naive.replace(tzinfo=COPENHAGEN)


def to_utc(naive: datetime) -> datetime:
    """The UTC instant of a Copenhagen wall-clock datetime (aware, tz=UTC)."""
    return to_aware(naive).astimezone(UTC)


def from_utc(aware: datetime) -> datetime:
    """Copenhagen wall-clock time of an aware instant, as a naive datetime.

    The second 02:xx on the October changeover night comes back with fold=1.
    """
    if aware.tzinfo is None or aware.utcoffset() is None:
        raise DomainError("Tidspunktet mangler en tidszone.",
                          "The datetime has no time zone.",
                          code="datetime_naive")
    return aware.astimezone(COPENHAGEN).replace(tzinfo=None)


# ---------------------------------------------------------------------------
# Weekly schedule
# ---------------------------------------------------------------------------

DEFAULT_WORKING_TIME = (time(7, 30), time(16, 0))
SHORT_BREAK = timedelta(minutes=15)
_MIDNIGHT = time(0, 0)


def _weekday_error(weekday: object, field_name: str) -> DomainError:
    return DomainError(f"Ugedag {weekday!r} findes ikke (0 = mandag … 6 = søndag).",
                       f"Weekday {weekday!r} does not exist (0 = Monday … 6 = Sunday).",
                       field=field_name, code="weekday_invalid")


def _minutes(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second,
                     microseconds=t.microsecond)


@dataclass(frozen=True)
class WeeklySchedule:
    """A caseworker's working time and breaks per weekday (0 = Monday).

    A missing weekday, or a day whose start equals its end (00:00-00:00 in the
    admin form), has no working time. Breaks must lie inside the day's working
    time and must not overlap each other; invalid input raises DomainError.
    """

    working_time: Mapping[int, tuple[time, time]]
    breaks: Mapping[int, Sequence[tuple[time, time]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for weekday, (start, end) in self.working_time.items():
            if weekday not in range(7):
                raise _weekday_error(weekday, "working_time")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise DomainError("Arbejdstid angives uden tidszone.",
                                  "Working time is given without a time zone.",
                                  field="working_time", code="working_time_aware")
            if end < start:
                raise DomainError(
                    f"Arbejdstiden {start:%H:%M}–{end:%H:%M} slutter før den begynder.",
                    f"Working time {start:%H:%M}–{end:%H:%M} ends before it starts.",
                    field="working_time", code="working_time_reversed")
        for weekday, day_breaks in self.breaks.items():
            if weekday not in range(7):
                raise _weekday_error(weekday, "breaks")
            start, end = self.working_time.get(weekday, (_MIDNIGHT, _MIDNIGHT))
            previous_end: time | None = None
            for b_start, b_end in sorted(day_breaks):
                if not b_start < b_end:
                    raise DomainError(
                        f"Pausen {b_start:%H:%M}–{b_end:%H:%M} skal slutte efter den begynder.",
                        f"The break {b_start:%H:%M}–{b_end:%H:%M} must end after it starts.",
                        field="breaks", code="break_reversed")
                if not (start <= b_start and b_end <= end):
                    raise DomainError(
                        f"Pausen {b_start:%H:%M}–{b_end:%H:%M} ligger uden for arbejdstiden.",
                        f"The break {b_start:%H:%M}–{b_end:%H:%M} lies outside working time.",
                        field="breaks", code="break_outside_working_time")
                if previous_end is not None and b_start < previous_end:
                    raise DomainError(
                        f"Pausen {b_start:%H:%M}–{b_end:%H:%M} overlapper en anden pause.",
                        f"The break {b_start:%H:%M}–{b_end:%H:%M} overlaps another break.",
                        field="breaks", code="break_overlap")
                previous_end = b_end

    @classmethod
    def default(cls) -> WeeklySchedule:
        """07:30-16:00 Monday to Friday, no breaks (R-1.2.5)."""
        return cls(working_time={day: DEFAULT_WORKING_TIME for day in range(5)})

    def short_breaks(self) -> list[tuple[int, tuple[time, time]]]:
        """Breaks under 15 minutes: allowed, but flagged in the admin form (R-1.2.6)."""
        return [(weekday, (start, end))
                for weekday in sorted(self.breaks)
                for start, end in sorted(self.breaks[weekday])
                if _minutes(end) - _minutes(start) < SHORT_BREAK]

    def free_pieces(self, weekday: int) -> list[tuple[time, time]]:
        """Working time of a weekday minus its breaks, as time-of-day pieces."""
        start, end = self.working_time.get(weekday, (_MIDNIGHT, _MIDNIGHT))
        if not start < end:
            return []
        pieces: list[tuple[time, time]] = []
        cursor = start
        for b_start, b_end in sorted(self.breaks.get(weekday, ())):
            if b_start > cursor:
                pieces.append((cursor, b_start))
            cursor = max(cursor, b_end)
        if cursor < end:
            pieces.append((cursor, end))
        return pieces


# ---------------------------------------------------------------------------
# Free time
# ---------------------------------------------------------------------------

_ONE_DAY = timedelta(days=1)
# Free time-of-day pieces per weekday, Monday first: hashable, so equal
# schedules can share their working intervals.
_Pattern = tuple[tuple[tuple[time, time], ...], ...]


def _as_set(closed_dates: Collection[date]) -> Collection[date]:
    return closed_dates if isinstance(closed_dates, (set, frozenset)) else set(closed_dates)


def caseworker_free_intervals(
    schedule: WeeklySchedule,
    first_day: date,
    last_day: date,
    closed_dates: Collection[date],
    busy: Iterable[Interval],
) -> list[Interval]:
    """Free time of one caseworker from first_day to last_day, both included (R-2.1).

    Free time = working time - breaks - closure days - busy. `closed_dates` are
    the national closure days plus the local ones of the caseworker's teams and
    their ancestors (R-1.3.2); `busy` holds the caseworker's bookings already
    widened by their reporting time, and imported busy times. An empty horizon
    (last_day before first_day) has no free time.
    """
    pattern = _weekly_pattern(schedule)
    working = _working_intervals(pattern, first_day, last_day, _as_set(closed_dates))
    return subtract_sorted(working, normalise(busy))


def team_free_intervals(
    schedules: Mapping[K, WeeklySchedule],
    first_day: date,
    last_day: date,
    closed_dates: Collection[date],
    busy: Mapping[K, Iterable[Interval]],
) -> dict[K, list[Interval]]:
    """Free time of each caseworker of a team or an offer, keyed like `schedules` (R-2.2).

    The same rule as `caseworker_free_intervals`, for many caseworkers at once;
    `closed_dates` are those of the team (national + inherited local ones) and
    `busy` may leave out caseworkers who have nothing booked. Caseworkers whose
    schedules agree share the working-time intervals, which are built only once.
    """
    closed = _as_set(closed_dates)
    working_by_pattern: dict[_Pattern, list[Interval]] = {}
    out: dict[K, list[Interval]] = {}
    for cw, schedule in schedules.items():
        pattern = _weekly_pattern(schedule)
        working = working_by_pattern.get(pattern)
        if working is None:
            working = _working_intervals(pattern, first_day, last_day, closed)
            working_by_pattern[pattern] = working
        out[cw] = subtract_sorted(working, normalise(busy.get(cw, ())))
    return out


def _weekly_pattern(schedule: WeeklySchedule) -> _Pattern:
    return tuple(tuple(schedule.free_pieces(weekday)) for weekday in range(7))


def _working_intervals(pattern: _Pattern, first_day: date, last_day: date,
                       closed: Collection[date]) -> list[Interval]:
    """Working time minus breaks on every open day; normalised by construction."""
    combine = datetime.combine
    working: list[Interval] = []
    day = first_day
    while day <= last_day:
        day_pieces = pattern[day.weekday()]
        if day_pieces and day not in closed:
            for start, end in day_pieces:
                working.append((combine(day, start), combine(day, end)))
        day += _ONE_DAY
    return working


def room_free_intervals(
    first_day: date,
    last_day: date,
    closed_dates: Collection[date],
    busy: Iterable[Interval],
) -> list[Interval]:
    """Free time of a meeting room from first_day to last_day, both included (R-2.1).

    All time - the room's bookings - the closure days of the teams using it.
    """
    closed = _as_set(closed_dates)
    open_time: list[Interval] = []
    run_start: date | None = None
    day = first_day
    while day <= last_day:
        if day in closed:
            if run_start is not None:
                open_time.append((datetime.combine(run_start, _MIDNIGHT),
                                  datetime.combine(day, _MIDNIGHT)))
                run_start = None
        elif run_start is None:
            run_start = day
        day += _ONE_DAY
    if run_start is not None:
        open_time.append((datetime.combine(run_start, _MIDNIGHT),
                          datetime.combine(last_day + _ONE_DAY, _MIDNIGHT)))
    return subtract_sorted(open_time, normalise(busy))


def group_free_intervals(caseworkers_free: Iterable[Iterable[Interval]]) -> list[Interval]:
    """Time in which every caseworker is free: a group meeting needs them all (R-1.5.1)."""
    return intersect_all(caseworkers_free)


# ---------------------------------------------------------------------------
# Slot starts
#
# Starts lie on a grid of `granularity_minutes` counted from each day's
# midnight. The granularity must divide a day, so that grid is the same as one
# global grid counted from a fixed midnight; starts are then plain integers k
# (start = _EPOCH + k * step) and "which starts fit in [a, b)" is the integer
# range [ceil(a / step), floor((b - length) / step)]. Working on those ranges
# instead of on datetimes keeps a 50-caseworker, 8-week offer to a few
# milliseconds.
# ---------------------------------------------------------------------------

_EPOCH = datetime(2000, 1, 1)
_MINUTES_PER_DAY = 24 * 60

# Start ranges are kept flat, [lo0, hi0, lo1, hi1, ...] with inclusive grid
# indices: plain ints are cheaper to build than pairs and are invisible to the
# cyclic garbage collector, whose pauses would otherwise dominate the tail.
Ranges = list[int]


def _check_slot_args(duration: timedelta, reporting: timedelta,
                     granularity_minutes: int) -> timedelta:
    if duration <= timedelta(0):
        raise DomainError("Varigheden skal være positiv.",
                          "The duration must be positive.",
                          field="duration", code="duration_invalid")
    if reporting < timedelta(0):
        raise DomainError("Tiden til rapportering kan ikke være negativ.",
                          "The reporting time cannot be negative.",
                          field="reporting", code="reporting_invalid")
    if (isinstance(granularity_minutes, bool) or not isinstance(granularity_minutes, int)
            or not 1 <= granularity_minutes <= _MINUTES_PER_DAY
            or _MINUTES_PER_DAY % granularity_minutes):
        raise DomainError(
            f"Tidsintervallet {granularity_minutes!r} minutter skal gå op i et døgn "
            "(fx 5, 10, 15, 30 eller 60).",
            f"The granularity of {granularity_minutes!r} minutes must divide a day "
            "(e.g. 5, 10, 15, 30 or 60).",
            field="granularity_minutes", code="granularity_invalid")
    return timedelta(minutes=granularity_minutes)


def _first_index(moment: datetime, step: timedelta) -> int:
    """Index of the first grid point at or after `moment`."""
    return -((_EPOCH - moment) // step)


def _start_ranges(free: Sequence[Interval], length: timedelta, step: timedelta,
                  k_min: int | None) -> Ranges:
    """Grid ranges of starts s with [s, s + length) inside one normalised interval."""
    out: Ranges = []
    append = out.append
    epoch = _EPOCH
    epoch_plus_length = _EPOCH + length
    for start, end in free:
        lo = -((epoch - start) // step)
        hi = (end - epoch_plus_length) // step
        if k_min is not None and lo < k_min:
            lo = k_min
        if lo <= hi:
            append(lo)
            append(hi)
    return out


def _intersect_ranges(a: Ranges, b: Ranges) -> Ranges:
    out: Ranges = []
    i = j = 0
    len_a, len_b = len(a), len(b)
    while i < len_a and j < len_b:
        a_hi = a[i + 1]
        b_hi = b[j + 1]
        lo = max(a[i], b[j])
        hi = min(a_hi, b_hi)
        if lo <= hi:
            out.append(lo)
            out.append(hi)
        if a_hi < b_hi:
            i += 2
        else:
            j += 2
    return out


def _expand(ranges: Ranges, step: timedelta) -> list[datetime]:
    epoch = _EPOCH
    return [epoch + k * step
            for i in range(0, len(ranges), 2) for k in range(ranges[i], ranges[i + 1] + 1)]


def slot_starts(
    free: Iterable[Interval],
    duration: timedelta,
    reporting: timedelta = timedelta(0),
    granularity_minutes: int = 15,
    not_before: datetime | None = None,
    *,
    room_free: Iterable[Interval] | None = None,
) -> list[datetime]:
    """Sorted grid starts at which a meeting fits in `free` (R-2.1, R-4.2).

    [start, start + duration + reporting) must lie inside one free interval,
    because the reporting time after the meeting is reserved in the
    caseworker's calendar too. With `room_free`, [start, start + duration) must
    also lie inside one of the room's free intervals: the room is not needed for
    the reporting. Starts are on the grid of `granularity_minutes` (a divisor of
    24 hours) from each day's midnight, and not before `not_before`.
    """
    step = _check_slot_args(duration, reporting, granularity_minutes)
    k_min = None if not_before is None else _first_index(not_before, step)
    ranges = _start_ranges(normalise(free), duration + reporting, step, k_min)
    if room_free is not None:
        ranges = _intersect_ranges(
            ranges, _start_ranges(normalise(room_free), duration, step, k_min))
    return _expand(ranges, step)


def offer_slots(
    caseworkers_free: Mapping[K, Iterable[Interval]],
    *,
    duration: timedelta,
    reporting: timedelta = timedelta(0),
    granularity_minutes: int = 15,
    today: date,
    room_free: Iterable[Interval] | None = None,
    group: bool = False,
) -> list[tuple[datetime, tuple[K, ...]]]:
    """The starts a citizen can book in an offer, each with who is free then (R-4.2, R-4.3).

    `caseworkers_free` maps each caseworker of the offer to their free
    intervals over the offer's horizon (see `caseworker_free_intervals`).
    Starts begin on the day after `today` (at least one day's notice, R-4.2).

    Individual meeting: a start is listed when at least one caseworker has
    [start, start + duration + reporting) free; the tuple names every such
    caseworker, in the mapping's order, so the citizen (or the planner) can
    choose one (R-4.3). Group meeting (`group=True`): all caseworkers must be
    free and the tuple names them all (R-1.5.1). With `room_free`, the room must
    be free for [start, start + duration) as well.

    Returns [(start, caseworker ids)] sorted by start. Starts that share the
    same set of caseworkers share one tuple object.
    """
    step = _check_slot_args(duration, reporting, granularity_minutes)
    k_min = _first_index(datetime.combine(today + _ONE_DAY, _MIDNIGHT), step)
    length = duration + reporting
    ids = list(caseworkers_free)
    room_ranges = (None if room_free is None
                   else _start_ranges(normalise(room_free), duration, step, k_min))

    def restrict(ranges: Ranges) -> Ranges:
        return ranges if room_ranges is None else _intersect_ranges(ranges, room_ranges)

    epoch = _EPOCH
    out: list[tuple[datetime, tuple[K, ...]]] = []
    if group:
        if not ids:
            return out
        common = intersect_all(caseworkers_free[cw] for cw in ids)
        everyone = tuple(ids)
        return [(start, everyone)
                for start in _expand(restrict(_start_ranges(common, length, step, k_min)), step)]

    # Sweep over grid indices: each caseworker's ranges switch them on at lo
    # and off at hi + 1. An event is the single int point * n + caseworker
    # index, so one sort of plain ints orders them. Ranges of one caseworker
    # never overlap, and when one ends exactly where the next begins the two
    # toggles cancel out, which is the right answer. Between two event points
    # the set of free caseworkers is constant, so one tuple serves every start
    # in between.
    n = len(ids)
    events: list[int] = []
    append = events.append
    for index, cw in enumerate(ids):
        ranges = restrict(_start_ranges(normalise(caseworkers_free[cw]), length, step, k_min))
        for i in range(0, len(ranges), 2):
            append(ranges[i] * n + index)
            append((ranges[i + 1] + 1) * n + index)
    if not events:
        return out
    events.sort()
    flags = [False] * n
    active = 0
    current = events[0] // n
    for event in events:
        point, index = divmod(event, n)
        if point != current:
            if active:
                free_now = tuple(compress(ids, flags))
                out.extend((epoch + k * step, free_now) for k in range(current, point))
            current = point
        flag = not flags[index]
        flags[index] = flag
        active += 1 if flag else -1
    return out
