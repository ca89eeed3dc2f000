"""Half-open [start, end) interval algebra on naive wall-clock datetimes."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from webapp.domain.errors import DomainError

Interval = tuple[datetime, datetime]

# Every function returns a *normalised* list: sorted by start, each interval
# non-empty, and no two intervals overlapping or touching. Touching pieces are
# merged because [09:00, 10:00) + [10:00, 11:00) is one free hour in which a
# 90-minute meeting fits.


def _bad_interval(start: object, end: object) -> DomainError:
    return DomainError(
        f"Tidsrummet {start}–{end} slutter før det begynder.",
        f"The interval {start}–{end} ends before it starts.",
        field="interval", code="interval_reversed")


def _aware_interval(start: object, end: object) -> DomainError:
    return DomainError(
        f"Tidsrummet {start}–{end} skal være lokal tid uden tidszone.",
        f"The interval {start}–{end} must be naive local wall-clock time.",
        field="interval", code="interval_aware")


def normalise(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort, drop empty intervals and merge overlapping or touching ones.

    Raises DomainError for an interval that ends before it starts or carries a
    time zone (everything inside the domain is naive wall-clock time).
    O(n log n); O(n) on input that is already sorted.
    """
    try:
        items = sorted(intervals)
    except TypeError:
        # Mixing naive and aware datetimes is the usual way to get here.
        raise DomainError("Tidsrum skal være lokal tid uden tidszone.",
                          "Intervals must be naive local wall-clock time.",
                          field="interval", code="interval_aware") from None
    out: list[Interval] = []
    if not items:
        return out
    # `current` is the input tuple itself while nothing has been merged into
    # it, so already normalised input is passed through without new objects.
    first = items[0]
    current: Interval | None = first if type(first) is tuple else None
    cur_start, cur_end = first
    for item in items:
        start, end = item
        if end < start:
            raise _bad_interval(start, end)
        if start.tzinfo is not None or end.tzinfo is not None:
            raise _aware_interval(start, end)
        if start == end:
            continue
        if start <= cur_end:
            if end > cur_end:
                cur_end = end
                current = None
        else:
            if cur_start < cur_end:
                out.append(current or (cur_start, cur_end))
            cur_start, cur_end = start, end
            current = item if type(item) is tuple else None
    if cur_start < cur_end:
        out.append(current or (cur_start, cur_end))
    return out


def union(*interval_lists: Iterable[Interval]) -> list[Interval]:
    """Every instant covered by at least one of the lists."""
    merged: list[Interval] = []
    for intervals in interval_lists:
        merged.extend(intervals)
    return normalise(merged)


def intersect_sorted(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Intersection of two already normalised lists, in linear time."""
    out: list[Interval] = []
    i = j = 0
    len_a, len_b = len(a), len(b)
    while i < len_a and j < len_b:
        a_start, a_end = a[i]
        b_start, b_end = b[j]
        start = max(b_start, a_start)
        end = min(b_end, a_end)
        if start < end:
            out.append((start, end))
        if a_end < b_end:
            i += 1
        else:
            j += 1
    return out


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Every instant covered by both lists."""
    return intersect_sorted(normalise(a), normalise(b))


def intersect_all(interval_lists: Iterable[Iterable[Interval]]) -> list[Interval]:
    """Every instant covered by all lists; no lists at all gives no time.

    An empty family yields [] rather than "all time" because a group meeting
    with no caseworkers cannot be held.
    """
    result: list[Interval] | None = None
    for intervals in interval_lists:
        current = normalise(intervals)
        result = current if result is None else intersect_sorted(result, current)
        if not result:
            return []
    return result or []


def subtract_sorted(base: Sequence[Interval], remove: Sequence[Interval]) -> list[Interval]:
    """`base` minus `remove`, both already normalised, in linear time."""
    out: list[Interval] = []
    j = 0
    len_remove = len(remove)
    for start, end in base:
        # Skip removals that end before this piece starts; they cannot touch
        # any later piece either, since `base` is sorted.
        while j < len_remove and remove[j][1] <= start:
            j += 1
        cursor = start
        k = j
        while k < len_remove:
            r_start, r_end = remove[k]
            if r_start >= end:
                break
            if r_start > cursor:
                out.append((cursor, r_start))
            cursor = max(cursor, r_end)
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def subtract(base: Iterable[Interval], remove: Iterable[Interval]) -> list[Interval]:
    """Every instant of `base` not covered by `remove`."""
    return subtract_sorted(normalise(base), normalise(remove))


def clip(intervals: Iterable[Interval], window_start: datetime,
         window_end: datetime) -> list[Interval]:
    """The part of `intervals` inside the window [window_start, window_end)."""
    if window_end < window_start:
        raise _bad_interval(window_start, window_end)
    return intersect_sorted(normalise(intervals), normalise([(window_start, window_end)]))


def total(intervals: Iterable[Interval]) -> timedelta:
    """Total wall-clock length covered by `intervals` (overlaps counted once)."""
    return sum((end - start for start, end in normalise(intervals)), timedelta())


def covers(free: Sequence[Interval], start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies inside one interval of a normalised list.

    O(log n): used to re-check a chosen slot just before it is booked.
    """
    if end < start:
        raise _bad_interval(start, end)
    i = bisect_right(free, (start, datetime.max)) - 1
    if i < 0:
        return False
    free_start, free_end = free[i]
    return free_start <= start and end <= free_end
