"""Free time from the database: the one bridge from stored calendars to `webapp.domain.availability` (R-2.2).

Every caller — call-ins, rebooking in the admin, the optimiser's input, self-booking —
asks here. The rules themselves live in the domain module; this module only loads
working time, breaks, live bookings with their reporting time and imported busy times,
in a few bulk queries; the closed days come from `webapp.calendar.closed_days`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, and_, bindparam, case, func, literal, or_, select

from webapp.domain.availability import (
    WeeklySchedule,
    caseworker_free_intervals,
    room_free_intervals,
    team_free_intervals,
)
from webapp.domain.intervals import Interval, covers
from webapp.extensions import db
from webapp.models import (
    Absence,
    Booking,
    BookingCaseworker,
    BookingStatus,
    Break,
    BusyTime,
    MembershipState,
    TeamMembership,
    WorkingTime,
)
from webapp.calendar.closed_days import closed_dates, closed_dates_of_teams
from webapp.models.rooms import room_teams
from webapp.storage.sql import in_ids, prepared, rows as sql_rows

_DAY = timedelta(days=1)


# ---------------------------------------------------------------------------
# Caseworkers
# ---------------------------------------------------------------------------

@prepared
def _schedule_rows(ids: Any) -> Any:
    working = select(literal(True).label("working"), WorkingTime.caseworker_id,
                     WorkingTime.weekday, WorkingTime.start_time, WorkingTime.end_time).where(
        ids(WorkingTime.caseworker_id, "ids"), ids(WorkingTime.weekday, "weekdays"),
        WorkingTime.start_time < WorkingTime.end_time)
    breaks = select(literal(False), Break.caseworker_id, Break.weekday, Break.start_time,
                    Break.end_time).where(ids(Break.caseworker_id, "ids"),
                                          ids(Break.weekday, "weekdays"))
    return working.union_all(breaks)


def weekly_schedules(caseworker_ids: Collection[int],
                     weekdays: Collection[int] | None = None) -> dict[int, WeeklySchedule]:
    """Working time and breaks of each caseworker; no rows means no working time.

    With `weekdays` (0 = Monday) only those days are loaded: enough for one meeting.
    """
    working: dict[int, dict] = defaultdict(dict)
    breaks: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    # Plain rows in one query, not ORM objects: this runs on every booking and slot listing.
    rows = sql_rows(_schedule_rows(), {
        "ids": list(caseworker_ids),
        "weekdays": sorted(weekdays) if weekdays is not None else list(range(7))})
    for is_working, cw, weekday, start, end in rows:
        if is_working:
            working[cw][weekday] = (start, end)
        else:
            breaks[cw][weekday].append((start, end))
    return {cw: WeeklySchedule(working_time=working.get(cw, {}), breaks=dict(breaks.get(cw, {})))
            for cw in caseworker_ids}


def live_booking_filter(now: datetime | None):
    """Bookings that hold time: booked ones, and reservations not yet expired (R-4.7)."""
    reserved = Booking.status == BookingStatus.RESERVED
    if now is not None:
        reserved = and_(reserved, Booking.expires_at > now)
    return or_(Booking.status == BookingStatus.BOOKED, reserved)


def _busy_rows(ids: Any, ignore: bool) -> Any:
    start, end = bindparam("start", type_=DateTime()), bindparam("end", type_=DateTime())
    booked = (select(BookingCaseworker.caseworker_id, BookingCaseworker.starts_at,
                     BookingCaseworker.busy_until)
              .join(Booking, Booking.id == BookingCaseworker.booking_id)
              .where(ids(BookingCaseworker.caseworker_id, "ids"), BookingCaseworker.blocking,
                     BookingCaseworker.starts_at < end, BookingCaseworker.busy_until > start,
                     live_booking_filter(bindparam("now", type_=DateTime()))))
    if ignore:
        booked = booked.where(BookingCaseworker.booking_id.not_in(
            bindparam("ignore", expanding=True)))
    imported = select(BusyTime.caseworker_id, BusyTime.starts_at, BusyTime.ends_at).where(
        ids(BusyTime.caseworker_id, "ids"), BusyTime.starts_at < end, BusyTime.ends_at > start)
    # An absence blocks its time like a closure: busy for every caller of this query.
    away = select(Absence.caseworker_id, Absence.starts_at, Absence.ends_at).where(
        ids(Absence.caseworker_id, "ids"), Absence.starts_at < end, Absence.ends_at > start)
    return booked.union_all(imported, away)


_busy = prepared(lambda ids: _busy_rows(ids, ignore=False))
_busy_ignoring = prepared(lambda ids: _busy_rows(ids, ignore=True))


def caseworker_busy(caseworker_ids: Collection[int], start: datetime, end: datetime, *,
                    now: datetime | None = None,
                    ignore_booking_ids: Collection[int] = ()) -> dict[int, list[Interval]]:
    """Booked time (reporting included), imported busy time and absences overlapping [start, end)."""
    busy: dict[int, list[Interval]] = defaultdict(list)
    if not caseworker_ids:
        return busy
    # Without `now` every reservation holds time (its expiry is never before the year 1).
    params = {"ids": list(caseworker_ids), "start": start, "end": end,
              "now": now or datetime.min}
    if ignore_booking_ids:
        rows = sql_rows(_busy_ignoring(),
                                  params | {"ignore": list(ignore_booking_ids)})
    else:
        rows = sql_rows(_busy(), params)
    for cw, b_start, b_end in rows:
        busy[cw].append((b_start, b_end))
    return busy


def absent_time(caseworker_ids: Collection[int], start: datetime,
                end: datetime) -> dict[int, list[Interval]]:
    """The caseworkers' absences overlapping [start, end), by caseworker (R-6.4): for the
    figures that count working time net of absence, as free time is (R-6.10)."""
    away: dict[int, list[Interval]] = defaultdict(list)
    if not caseworker_ids:
        return away
    for caseworker, a_start, a_end in db.session.execute(
            select(Absence.caseworker_id, Absence.starts_at, Absence.ends_at)
            .where(in_ids(Absence.caseworker_id, caseworker_ids), Absence.starts_at < end,
                   Absence.ends_at > start)):
        away[caseworker].append((a_start, a_end))
    return away


def _membership_teams(caseworker_ids: Collection[int]) -> dict[int, set[int]]:
    teams: dict[int, set[int]] = defaultdict(set)
    for cw, team in db.session.execute(select(TeamMembership.caseworker_id, TeamMembership.team_id)
                                       .where(in_ids(TeamMembership.caseworker_id, caseworker_ids),
                                              TeamMembership.state == MembershipState.ACTIVE)):
        teams[cw].add(team)
    return teams


def caseworkers_free(caseworker_ids: Iterable[int], first_day: date, last_day: date, *,
                     team_id: int | None = None, now: datetime | None = None,
                     ignore_booking_ids: Collection[int] = ()) -> dict[int, list[Interval]]:
    """Free time of each caseworker from first_day to last_day, both included (R-2.1, R-2.2).

    With `team_id` the closure days are that team's (the team the meeting belongs to);
    without, each caseworker's own teams'. `now` makes expired reservations free;
    `ignore_booking_ids` leaves out bookings being moved.
    """
    ids = list(dict.fromkeys(caseworker_ids))
    if not ids:
        return {}
    window = (datetime.combine(first_day, datetime.min.time()),
              datetime.combine(last_day + _DAY, datetime.min.time()))
    schedules = weekly_schedules(ids)
    busy = caseworker_busy(ids, *window, now=now, ignore_booking_ids=ignore_booking_ids)
    if team_id is not None:
        return team_free_intervals(schedules, first_day, last_day,
                                   closed_dates(team_id, first_day, last_day), busy)
    teams = _membership_teams(ids)
    # Caseworkers of the same teams share their closed days: one query per set of teams.
    closed_of: dict[frozenset[int], set[date]] = {}
    out: dict[int, list[Interval]] = {}
    for cw in ids:
        key = frozenset(teams.get(cw, ()))
        if key not in closed_of:
            closed_of[key] = closed_dates_of_teams(sorted(key), first_day, last_day)
        out[cw] = caseworker_free_intervals(schedules[cw], first_day, last_day, closed_of[key],
                                            busy.get(cw, ()))
    return out


@prepared
def _busy_and_day_load(ids: Any) -> Any:
    start, end = bindparam("start", type_=DateTime()), bindparam("end", type_=DateTime())
    first, last = bindparam("first", type_=DateTime()), bindparam("last", type_=DateTime())
    in_the_way = and_(BookingCaseworker.starts_at < end, BookingCaseworker.busy_until > start)
    that_day = and_(BookingCaseworker.starts_at >= first, BookingCaseworker.starts_at < last)
    booked = (select(BookingCaseworker.caseworker_id, func.count(case((in_the_way, 1))),
                     func.count(case((that_day, 1))))
              .join(Booking, Booking.id == BookingCaseworker.booking_id)
              .where(ids(BookingCaseworker.caseworker_id, "ids"), BookingCaseworker.blocking,
                     or_(in_the_way, that_day),
                     live_booking_filter(bindparam("now", type_=DateTime())),
                     ids(BookingCaseworker.booking_id, "ignore", exclude=True))
              .group_by(BookingCaseworker.caseworker_id))
    imported = (select(BusyTime.caseworker_id, func.count(), literal(0))
                .where(ids(BusyTime.caseworker_id, "ids"), BusyTime.starts_at < end,
                       BusyTime.ends_at > start)
                .group_by(BusyTime.caseworker_id))
    away = (select(Absence.caseworker_id, func.count(), literal(0))
            .where(ids(Absence.caseworker_id, "ids"), Absence.starts_at < end,
                   Absence.ends_at > start)
            .group_by(Absence.caseworker_id))
    return booked.union_all(imported, away)


def free_caseworkers_at(candidate_ids: Iterable[int], starts_at: datetime, busy_until: datetime, *,
                        team_id: int | None = None, now: datetime | None = None,
                        ignore_booking_ids: Collection[int] = (),
                        by_day_load: bool = False) -> list[int]:
    """The candidates free for the whole of [starts_at, busy_until), in the given order.

    One meeting, so the cheap order: closure days, then working time and breaks, and
    only for those still standing the bookings in that span (three small queries).
    With `team_id` and `by_day_load` the free ones come fewest meetings that day first
    (the planner's choice, R-4.3), counted by the query that finds the bookings.
    """
    ids = list(dict.fromkeys(candidate_ids))
    if not ids:
        return []
    if team_id is None:
        free = caseworkers_free(ids, starts_at.date(), busy_until.date(), now=now,
                                ignore_booking_ids=ignore_booking_ids)
        return [cw for cw, intervals in free.items() if covers(intervals, starts_at, busy_until)]
    first_day, last_day = starts_at.date(), busy_until.date()
    closed = closed_dates(team_id, first_day, last_day)
    if first_day in closed:
        return []
    days = {(first_day + timedelta(days=n)).weekday() for n in range((last_day - first_day).days + 1)}
    schedules = weekly_schedules(ids, days)
    working = [cw for cw in ids if covers(
        caseworker_free_intervals(schedules[cw], first_day, last_day, closed, ()),
        starts_at, busy_until)]
    if not by_day_load:
        busy = caseworker_busy(working, starts_at, busy_until, now=now,
                               ignore_booking_ids=ignore_booking_ids)
        return [cw for cw in working if not busy.get(cw)]
    if not working:
        return []
    clashes: dict[int, int] = defaultdict(int)
    load: dict[int, int] = defaultdict(int)
    for cw, in_the_way, that_day in sql_rows(_busy_and_day_load(), {
            "ids": working, "start": starts_at, "end": busy_until, "now": now or datetime.min,
            "first": datetime.combine(first_day, datetime.min.time()),
            "last": datetime.combine(first_day + _DAY, datetime.min.time()),
            "ignore": list(ignore_booking_ids) or [0]}):
        clashes[cw] += in_the_way
        load[cw] += that_day
    return sorted((cw for cw in working if not clashes[cw]), key=lambda cw: load[cw])


# ---------------------------------------------------------------------------
# Rooms
# ---------------------------------------------------------------------------

def room_busy(room_id: int, start: datetime, end: datetime, *, now: datetime | None = None,
              ignore_booking_ids: Collection[int] = ()) -> list[Interval]:
    query = select(Booking.starts_at, Booking.ends_at).where(
        Booking.room_id == room_id, Booking.starts_at < end, Booking.ends_at > start,
        live_booking_filter(now))
    if ignore_booking_ids:
        query = query.where(Booking.id.not_in(ignore_booking_ids))
    return [tuple(row) for row in db.session.execute(query)]


def room_free(room_id: int, first_day: date, last_day: date, *, now: datetime | None = None,
              ignore_booking_ids: Collection[int] = ()) -> list[Interval]:
    """All time − the room's live bookings − closure days of its teams (R-2.1)."""
    closed = closed_dates_of_teams(select(room_teams.c.team_id).where(
        room_teams.c.room_id == room_id), first_day, last_day)
    window = (datetime.combine(first_day, datetime.min.time()),
              datetime.combine(last_day + _DAY, datetime.min.time()))
    busy = room_busy(room_id, *window, now=now, ignore_booking_ids=ignore_booking_ids)
    return room_free_intervals(first_day, last_day, closed, busy)
