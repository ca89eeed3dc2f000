"""Availability rules against a minute-by-minute model, fixed examples and changeover days."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.domain.availability import (
    WeeklySchedule,
    caseworker_free_intervals,
    from_utc,
    group_free_intervals,
    offer_slots,
    room_free_intervals,
    slot_starts,
    team_free_intervals,
    to_aware,
    to_utc,
)
from webapp.domain.errors import DomainError
from webapp.domain.intervals import normalise, total

MINUTE = timedelta(minutes=1)
DAY_MINUTES = 24 * 60
FAST = settings(max_examples=120, deadline=None)
SPRING_FORWARD = date(2027, 3, 28)   # 02:00 -> 03:00, a Sunday
FALL_BACK = date(2027, 10, 31)       # 03:00 -> 02:00, a Sunday


# -- factories and the model ------------------------------------------------

def hm(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def make_schedule(**kw) -> WeeklySchedule:
    """Default schedule (07:30-16:00 Mon-Fri, 12:00-12:30 lunch) unless overridden."""
    every_day = kw.pop("every_day", False)
    days = range(7) if every_day else range(5)
    kw.setdefault("working_time", {d: (time(7, 30), time(16)) for d in days})
    kw.setdefault("breaks", {d: [(time(12), time(12, 30))] for d in days})
    return WeeklySchedule(**kw)


def minutes_of(intervals, base: datetime) -> set[int]:
    out: set[int] = set()
    for start, end in intervals:
        out.update(range((start - base) // MINUTE, (end - base) // MINUTE))
    return out


def assert_normalised(intervals) -> None:
    assert intervals == normalise(intervals)
    for (_, prev_end), (next_start, _) in itertools.pairwise(intervals):
        assert prev_end < next_start


def fits(free: set[int], start: int, length: int) -> bool:
    return all(m in free for m in range(start, start + length))


def model_starts(free: set[int], length: int, grid: int, not_before: int | None,
                 room: set[int] | None = None, duration: int = 0) -> list[int]:
    """Every grid minute (from midnight of the base day) where the meeting fits."""
    if not free:
        return []
    first = (min(free) // grid) * grid
    return [m for m in range(first, max(free) + 1, grid)
            if (not_before is None or m >= not_before)
            and fits(free, m, length)
            and (room is None or fits(room, m, duration))]


# -- strategies ---------------------------------------------------------------

@st.composite
def schedules(draw) -> WeeklySchedule:
    working, breaks = {}, {}
    for weekday in range(7):
        kind = draw(st.sampled_from(["none", "midnight", "work"]))
        if kind == "midnight":
            working[weekday] = (time(0), time(0))   # no working time
        elif kind == "work":
            start = draw(st.integers(0, 1400))
            end = draw(st.integers(start + 1, 1439))
            working[weekday] = (hm(start), hm(end))
            points = draw(st.lists(st.integers(start, end), unique=True, max_size=4))
            points.sort()
            pairs = [(hm(points[i]), hm(points[i + 1])) for i in range(0, len(points) - 1, 2)]
            if pairs:
                breaks[weekday] = pairs
    return WeeklySchedule(working_time=working, breaks=breaks)


def model_caseworker(schedule: WeeklySchedule, first_day: date, days: int,
                     closed: set[date], busy_minutes: set[int]) -> set[int]:
    free: set[int] = set()
    for i in range(days):
        day = first_day + timedelta(days=i)
        if day in closed or day.weekday() not in schedule.working_time:
            continue
        start, end = schedule.working_time[day.weekday()]
        offset = i * DAY_MINUTES
        minutes = set(range(offset + start.hour * 60 + start.minute,
                            offset + end.hour * 60 + end.minute))
        for b_start, b_end in schedule.breaks.get(day.weekday(), ()):
            minutes -= set(range(offset + b_start.hour * 60 + b_start.minute,
                                 offset + b_end.hour * 60 + b_end.minute))
        free |= minutes
    return free - busy_minutes


first_days = st.dates(min_value=date(2027, 3, 20), max_value=date(2027, 11, 5))
busy_lists = st.lists(st.tuples(st.integers(-600, 5 * DAY_MINUTES), st.integers(0, 600)),
                      max_size=8)


def busy_intervals(first_day: date, raw) -> list[tuple[datetime, datetime]]:
    base = datetime.combine(first_day, time())
    return [(base + s * MINUTE, base + (s + n) * MINUTE) for s, n in raw]


# -- schedule (R-1.2.5, R-1.2.6) ----------------------------------------------

def test_default_schedule_r_1_2_5():
    """R-1.2.5: default working time is 07:30-16:00 Monday to Friday."""
    schedule = WeeklySchedule.default()
    assert schedule.working_time == {d: (time(7, 30), time(16)) for d in range(5)}
    free = caseworker_free_intervals(schedule, date(2027, 5, 3), date(2027, 5, 9), (), [])
    assert len(free) == 5
    assert total(free) == 5 * timedelta(hours=8, minutes=30)


def test_midnight_to_midnight_means_no_working_time_r_1_2_5():
    """R-1.2.5: 00:00-00:00 means no working time that day, like a missing weekday."""
    schedule = WeeklySchedule(working_time={0: (time(0), time(0)), 1: (time(9), time(10))})
    free = caseworker_free_intervals(schedule, date(2027, 5, 3), date(2027, 5, 4), (), [])
    assert free == [(datetime(2027, 5, 4, 9), datetime(2027, 5, 4, 10))]


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"working_time": {7: (time(8), time(16))}}, "weekday_invalid"),
    ({"working_time": {0: (time(16), time(8))}}, "working_time_reversed"),
    ({"working_time": {0: (time(8), time(16))}, "breaks": {0: [(time(12), time(12))]}},
     "break_reversed"),
    ({"working_time": {0: (time(8), time(16))}, "breaks": {0: [(time(7), time(8, 30))]}},
     "break_outside_working_time"),
    ({"working_time": {0: (time(8), time(16))}, "breaks": {1: [(time(12), time(12, 30))]}},
     "break_outside_working_time"),
    ({"working_time": {0: (time(8), time(16))},
      "breaks": {0: [(time(12), time(12, 30)), (time(12, 15), time(13))]}}, "break_overlap"),
    ({"working_time": {0: (time(8), time(16))}, "breaks": {-1: []}}, "weekday_invalid"),
])
def test_invalid_schedule_is_rejected_r_1_2_5_r_1_2_6(kwargs, code):
    """R-1.2.5/R-1.2.6: breaks lie inside working time and do not overlap."""
    with pytest.raises(DomainError) as caught:
        WeeklySchedule(**kwargs)
    assert caught.value.code == code
    assert caught.value.field in {"working_time", "breaks"}
    assert caught.value.message_da and caught.value.message_en


def test_touching_breaks_are_allowed_and_short_ones_flagged_r_1_2_6():
    """R-1.2.6: any number of breaks; those under 15 minutes are flagged, not refused."""
    schedule = WeeklySchedule(
        working_time={0: (time(8), time(16))},
        breaks={0: [(time(12, 30), time(12, 40)), (time(12), time(12, 30))]})
    assert schedule.short_breaks() == [(0, (time(12, 30), time(12, 40)))]
    assert schedule.free_pieces(0) == [(time(8), time(12)), (time(12, 40), time(16))]


# -- caseworker and room free time (R-2.1, R-1.3.4) -----------------------------

@FAST
@given(schedules(), first_days, st.integers(0, 5), st.data(), busy_lists)
def test_caseworker_free_time_matches_model_r_2_1(schedule, first_day, days, data, raw):
    """R-2.1 / R-1.2.5 / R-1.2.6 / R-1.3.4: working time - breaks - closure days - busy."""
    horizon = [first_day + timedelta(days=i) for i in range(days)]
    closed = set(data.draw(st.lists(st.sampled_from(horizon), max_size=3))) if horizon else set()
    busy = busy_intervals(first_day, raw)
    base = datetime.combine(first_day, time())
    result = caseworker_free_intervals(schedule, first_day, first_day + timedelta(days=days - 1),
                                       closed, busy)
    assert_normalised(result)
    expected = model_caseworker(schedule, first_day, days, closed, minutes_of(busy, base))
    assert minutes_of(result, base) == expected


@FAST
@given(first_days, st.integers(0, 5), st.data(), busy_lists)
def test_room_free_time_matches_model_r_2_1(first_day, days, data, raw):
    """R-2.1 / R-1.3.4: a room is free all day, except its bookings and closure days."""
    horizon = [first_day + timedelta(days=i) for i in range(days)]
    closed = set(data.draw(st.lists(st.sampled_from(horizon), max_size=3))) if horizon else set()
    busy = busy_intervals(first_day, raw)
    base = datetime.combine(first_day, time())
    result = room_free_intervals(first_day, first_day + timedelta(days=days - 1), closed, busy)
    assert_normalised(result)
    expected = {i * DAY_MINUTES + m for i, day in enumerate(horizon) if day not in closed
                for m in range(DAY_MINUTES)} - minutes_of(busy, base)
    assert minutes_of(result, base) == expected


@FAST
@given(st.lists(busy_lists, min_size=1, max_size=4))
def test_group_free_time_is_the_intersection_r_2_2(raws):
    """R-2.2 / R-1.5.1: a group meeting needs every caseworker, so their time is intersected."""
    first_day = date(2027, 6, 7)
    base = datetime.combine(first_day, time())
    schedule = make_schedule()
    frees = [caseworker_free_intervals(schedule, first_day, first_day + timedelta(days=4), (),
                                       busy_intervals(first_day, raw)) for raw in raws]
    result = group_free_intervals(frees)
    assert_normalised(result)
    assert minutes_of(result, base) == set.intersection(*(minutes_of(f, base) for f in frees))


@FAST
@given(st.lists(st.tuples(schedules(), busy_lists), max_size=4), first_days, st.integers(0, 5))
def test_team_free_time_is_each_caseworkers_own_r_2_2(members, first_day, days):
    """R-2.2: one rule for a caseworker, a team or an offer; who is free is kept per person."""
    last_day = first_day + timedelta(days=days - 1)
    closed = {first_day + timedelta(days=1)}
    schedules_by_cw = {f"cw{i}": schedule for i, (schedule, _) in enumerate(members)}
    busy = {f"cw{i}": busy_intervals(first_day, raw) for i, (_, raw) in enumerate(members)}
    busy.pop("cw0", None)   # a caseworker with nothing booked may be left out
    result = team_free_intervals(schedules_by_cw, first_day, last_day, closed, busy)
    assert list(result) == list(schedules_by_cw)
    for cw, schedule in schedules_by_cw.items():
        assert result[cw] == caseworker_free_intervals(schedule, first_day, last_day, closed,
                                                       busy.get(cw, []))


def test_closure_day_has_no_free_time_r_1_3_4():
    """R-1.3.4: nothing is placed on a closure day, for caseworkers and rooms alike."""
    closed = {date(2027, 6, 8)}
    free = caseworker_free_intervals(make_schedule(), date(2027, 6, 7), date(2027, 6, 9),
                                     closed, [])
    room = room_free_intervals(date(2027, 6, 7), date(2027, 6, 9), closed, [])
    assert {start.date() for start, _ in free} == {date(2027, 6, 7), date(2027, 6, 9)}
    assert room == [(datetime(2027, 6, 7), datetime(2027, 6, 8)),
                    (datetime(2027, 6, 9), datetime(2027, 6, 10))]
    starts = slot_starts(free, timedelta(minutes=30), room_free=room)
    assert starts and all(s.date() != date(2027, 6, 8) for s in starts)


def test_busy_time_with_reporting_blocks_the_caseworker_r_2_1():
    """R-2.1: a booking 09:00-09:30 widened by 15 minutes of reporting blocks to 09:45."""
    day = date(2027, 6, 7)
    booking = (datetime(2027, 6, 7, 9), datetime(2027, 6, 7, 9, 45))
    free = caseworker_free_intervals(make_schedule(), day, day, (), [booking])
    assert free == [(datetime(2027, 6, 7, 7, 30), datetime(2027, 6, 7, 9)),
                    (datetime(2027, 6, 7, 9, 45), datetime(2027, 6, 7, 12)),
                    (datetime(2027, 6, 7, 12, 30), datetime(2027, 6, 7, 16))]


def test_empty_horizon_has_no_free_time_r_2_1():
    day = date(2027, 6, 7)
    assert caseworker_free_intervals(make_schedule(), day, day - timedelta(days=1), (), []) == []
    assert room_free_intervals(day, day - timedelta(days=1), (), []) == []


# -- slot starts (R-2.1, R-4.2, R-4.3) ------------------------------------------

grids = st.sampled_from([5, 10, 15, 20, 30, 60])


@FAST
@given(schedules(), busy_lists, st.integers(1, 90), st.integers(0, 30), grids,
       st.none() | st.integers(0, 3 * DAY_MINUTES), st.booleans(), busy_lists)
def test_slot_starts_match_model_r_2_1_r_4_2(schedule, raw, duration, reporting, grid,
                                            not_before, with_room, room_raw):
    """R-2.1 / R-4.2: the caseworker is free for meeting + reporting, the room for the meeting."""
    first_day = date(2027, 6, 7)
    base = datetime.combine(first_day, time())
    free = caseworker_free_intervals(schedule, first_day, first_day + timedelta(days=2), (),
                                     busy_intervals(first_day, raw))
    room = (room_free_intervals(first_day, first_day + timedelta(days=2), (),
                                busy_intervals(first_day, room_raw)) if with_room else None)
    result = slot_starts(free, duration * MINUTE, reporting * MINUTE, grid,
                         None if not_before is None else base + not_before * MINUTE,
                         room_free=room)
    expected = model_starts(minutes_of(free, base), duration + reporting, grid, not_before,
                            None if room is None else minutes_of(room, base), duration)
    assert [(s - base) // MINUTE for s in result] == expected


@FAST
@given(st.lists(busy_lists, min_size=0, max_size=4), st.integers(1, 90), st.integers(0, 30),
       grids, st.integers(-1, 3), st.booleans(), busy_lists, st.booleans())
def test_offer_slots_match_model_r_4_2_r_4_3(raws, duration, reporting, grid, today_offset,
                                            with_room, room_raw, group):
    """R-4.2 / R-4.3: starts from tomorrow on, each with every caseworker free at that start."""
    first_day = date(2027, 6, 7)
    base = datetime.combine(first_day, time())
    last_day = first_day + timedelta(days=4)
    schedule = make_schedule(every_day=True)
    free = {f"cw{i}": caseworker_free_intervals(schedule, first_day, last_day, (),
                                                busy_intervals(first_day, raw))
            for i, raw in enumerate(raws)}
    room = (room_free_intervals(first_day, last_day, (), busy_intervals(first_day, room_raw))
            if with_room else None)
    today = first_day + timedelta(days=today_offset)
    result = offer_slots(free, duration=duration * MINUTE, reporting=reporting * MINUTE,
                         granularity_minutes=grid, today=today, room_free=room, group=group)

    tomorrow = (today_offset + 1) * DAY_MINUTES
    room_minutes = None if room is None else minutes_of(room, base)
    per_cw = {cw: set(model_starts(minutes_of(f, base), duration + reporting, grid, tomorrow,
                                   room_minutes, duration)) for cw, f in free.items()}
    candidates = sorted(set().union(*per_cw.values()))
    expected = []
    for m in candidates:
        who = tuple(cw for cw in free if m in per_cw[cw])
        if not group or len(who) == len(free):
            expected.append((m, who))
    assert [((s - base) // MINUTE, who) for s, who in result] == expected


def test_offer_starts_tomorrow_with_frozen_today_r_4_2():
    """R-4.2: at least one day's notice; today's free time is never offered."""
    free = {"anna": caseworker_free_intervals(make_schedule(), date(2027, 6, 7),
                                              date(2027, 6, 9), (), [])}
    slots = offer_slots(free, duration=timedelta(minutes=30), granularity_minutes=30,
                        today=date(2027, 6, 7))
    assert slots[0] == (datetime(2027, 6, 8, 7, 30), ("anna",))
    assert {start.date() for start, _ in slots} == {date(2027, 6, 8), date(2027, 6, 9)}


def test_offer_lists_each_free_caseworker_r_4_3():
    """R-4.3: the citizen may choose among the caseworkers free at a start."""
    day = date(2027, 6, 8)
    schedule = make_schedule()
    free = {
        "anna": caseworker_free_intervals(schedule, day, day, (), []),
        "bo": caseworker_free_intervals(schedule, day, day, (),
                                        [(datetime(2027, 6, 8, 7, 30), datetime(2027, 6, 8, 9))]),
    }
    slots = dict(offer_slots(free, duration=timedelta(minutes=30), granularity_minutes=30,
                             today=date(2027, 6, 7)))
    assert slots[datetime(2027, 6, 8, 8, 30)] == ("anna",)
    assert slots[datetime(2027, 6, 8, 9)] == ("anna", "bo")
    assert datetime(2027, 6, 8, 12) not in slots      # lunch break
    assert datetime(2027, 6, 8, 15, 30) in slots
    group = offer_slots(free, duration=timedelta(minutes=30), granularity_minutes=30,
                        today=date(2027, 6, 7), group=True)
    assert group[0] == (datetime(2027, 6, 8, 9), ("anna", "bo"))


def test_reporting_needs_the_caseworker_but_not_the_room_r_2_1():
    """R-2.1: reporting time is the caseworker's; the room is only held for the meeting."""
    day = date(2027, 6, 8)
    schedule = WeeklySchedule(working_time={1: (time(9), time(11))})
    free = caseworker_free_intervals(schedule, day, day, (), [])
    room = room_free_intervals(day, day, (), [(datetime(2027, 6, 8, 10), datetime(2027, 6, 8, 11))])
    starts = slot_starts(free, timedelta(minutes=30), timedelta(minutes=30), 30, room_free=room)
    assert starts == [datetime(2027, 6, 8, 9), datetime(2027, 6, 8, 9, 30)]
    no_room = slot_starts(free, timedelta(minutes=30), timedelta(minutes=30), 30)
    assert no_room == [datetime(2027, 6, 8, 9), datetime(2027, 6, 8, 9, 30),
                       datetime(2027, 6, 8, 10)]


def test_no_caseworkers_means_no_slots_r_4_3():
    for group in (False, True):
        assert offer_slots({}, duration=timedelta(minutes=30), today=date(2027, 6, 7),
                           group=group) == []


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"duration": timedelta(0)}, "duration_invalid"),
    ({"duration": timedelta(minutes=30), "reporting": timedelta(minutes=-5)},
     "reporting_invalid"),
    ({"duration": timedelta(minutes=30), "granularity_minutes": 7}, "granularity_invalid"),
    ({"duration": timedelta(minutes=30), "granularity_minutes": 0}, "granularity_invalid"),
    ({"duration": timedelta(minutes=30), "granularity_minutes": 15.0}, "granularity_invalid"),
])
def test_invalid_slot_arguments_are_rejected_r_4_2(kwargs, code):
    with pytest.raises(DomainError) as caught:
        slot_starts([], **kwargs)
    assert caught.value.code == code
    with pytest.raises(DomainError):
        offer_slots({"anna": []}, today=date(2027, 6, 7), **kwargs)


# -- daylight-saving changeover days (R-2.3) ------------------------------------

@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_changeover_day_has_full_working_day_r_2_3(day):
    """R-2.3: 07:30-16:00 is 8.5 h of wall-clock free time, and 8.5 h of real time too."""
    schedule = WeeklySchedule(working_time={d: (time(7, 30), time(16)) for d in range(7)})
    free = caseworker_free_intervals(schedule, day, day, (), [])
    assert free == [(datetime.combine(day, time(7, 30)), datetime.combine(day, time(16)))]
    assert total(free) == timedelta(hours=8, minutes=30)
    start, end = free[0]
    assert to_utc(end) - to_utc(start) == timedelta(hours=8, minutes=30)


@pytest.mark.parametrize(("day", "utc_hour"), [
    (SPRING_FORWARD - timedelta(days=1), 8),   # winter time, UTC+1
    (SPRING_FORWARD, 7),                       # summer time, UTC+2
    (FALL_BACK - timedelta(days=1), 7),        # summer time
    (FALL_BACK, 8),                            # winter time
])
def test_nine_oclock_meeting_stays_at_nine_r_2_3(day, utc_hour):
    """R-2.3: a 09:00 meeting is 09:00 on either side of the change; only UTC moves."""
    schedule = WeeklySchedule(working_time={d: (time(7, 30), time(16)) for d in range(7)})
    first_day = day - timedelta(days=1)
    free = {"anna": caseworker_free_intervals(schedule, first_day, day + timedelta(days=1), (),
                                              [])}
    starts = [s for s, _ in offer_slots(free, duration=timedelta(hours=1),
                                        granularity_minutes=60, today=first_day - timedelta(1))]
    nine = datetime.combine(day, time(9))
    assert nine in starts
    assert [s.hour for s in starts if s.date() == day] == list(range(7 + 1, 16))
    assert to_utc(nine) == datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
    assert from_utc(to_utc(nine)) == nine


def test_weekly_nine_oclock_booking_blocks_nine_both_sides_r_2_3():
    """R-2.3: bookings at 09:00 on Saturday and Monday block 09:00 wall-clock on each day."""
    schedule = WeeklySchedule(working_time={d: (time(8), time(11)) for d in range(7)})
    days = [SPRING_FORWARD + timedelta(days=i) for i in (-1, 0, 1)]
    busy = [(datetime.combine(d, time(9)), datetime.combine(d, time(10))) for d in days]
    free = caseworker_free_intervals(schedule, days[0], days[-1], (), busy)
    assert slot_starts(free, timedelta(hours=1), granularity_minutes=60) == [
        datetime.combine(d, time(h)) for d in days for h in (8, 10)]


def test_nonexistent_spring_hour_converts_forward_r_2_3():
    """R-2.3: 02:30 on 28 March 2027 does not exist; it is read with the winter offset."""
    gap = datetime(2027, 3, 28, 2, 30)
    assert to_utc(gap) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert from_utc(to_utc(gap)) == datetime(2027, 3, 28, 3, 30)


def test_doubled_autumn_hour_uses_fold_r_2_3():
    """R-2.3: 02:30 on 31 October 2027 happens twice; fold=0 is summer time, fold=1 winter."""
    first = datetime(2027, 10, 31, 2, 30)
    second = first.replace(fold=1)
    assert to_utc(first) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert to_utc(second) == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    assert from_utc(to_utc(first)).fold == 0
    back = from_utc(to_utc(second))
    assert back == second and back.fold == 1
    assert to_aware(first).utcoffset() == timedelta(hours=2)
    assert to_aware(second).utcoffset() == timedelta(hours=1)


def test_time_zone_helpers_reject_the_wrong_kind_r_2_3():
    with pytest.raises(DomainError):
        to_aware(datetime(2027, 6, 7, 9, tzinfo=UTC))
    with pytest.raises(DomainError):
        to_utc(datetime(2027, 6, 7, 9, tzinfo=UTC))
    with pytest.raises(DomainError):
        from_utc(datetime(2027, 6, 7, 9))
