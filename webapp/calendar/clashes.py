"""Why a time is not free, in the words a caseworker reads: closure day, working time, the booking in the way (R-3.1)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, bindparam, literal, select

from webapp.calendar.availability import live_booking_filter, weekly_schedules
from webapp.calendar.closed_days import closed_dates
from webapp.domain.availability import caseworker_free_intervals
from webapp.domain.intervals import covers
from webapp.extensions import db
from webapp.messages import texts
from webapp.models import (Absence, Booking, BookingCaseworker, BookingParticipant, BookingStatus, BusyTime, Caseworker,
                           Room)
from webapp.storage.sql import prepared, rows as sql_rows


@dataclass(frozen=True)
class Clash:
    code: str
    message_da: str
    message_en: str


def _span(start: datetime, end: datetime) -> str:
    return f"{start:%d.%m.%Y %H:%M}–{end:%H:%M}"


def caseworker_clashes(caseworker: Caseworker, starts_at: datetime, busy_until: datetime, *,
                       team_id: int, now: datetime | None = None,
                       ignore_booking_ids: Collection[int] = ()) -> list[Clash]:
    """Everything standing in the way of `caseworker` at [starts_at, busy_until)."""
    day = starts_at.date()
    clashes: list[Clash] = []
    if day in closed_dates(team_id, day, busy_until.date()):
        clashes.append(Clash("closure_day", f"{day:%d.%m.%Y} er en lukkedag.",
                             f"{day:%Y-%m-%d} is a closure day."))
        return clashes
    schedule = weekly_schedules([caseworker.id])[caseworker.id]
    working = caseworker_free_intervals(schedule, day, busy_until.date(), (), ())
    if not covers(working, starts_at, busy_until):
        clashes.append(Clash(
            "outside_working_time",
            f"{caseworker.name} arbejder ikke {_span(starts_at, busy_until)} (arbejdstid og pauser).",
            f"{caseworker.name} does not work {_span(starts_at, busy_until)} (working time and breaks)."))
    return clashes + caseworker_busy_clashes(caseworker, starts_at, busy_until, now=now,
                                             ignore_booking_ids=ignore_booking_ids)


@prepared
def _busy_clash_rows(ids: Any) -> Any:
    start, end = bindparam("start", type_=DateTime()), bindparam("end", type_=DateTime())
    caseworker = bindparam("caseworker", type_=Integer())
    booked = (select(literal(0).label("kind"), Booking.id, Booking.starts_at, Booking.ends_at)
              .join(BookingCaseworker, BookingCaseworker.booking_id == Booking.id)
              .where(BookingCaseworker.caseworker_id == caseworker, BookingCaseworker.blocking,
                     BookingCaseworker.starts_at < end, BookingCaseworker.busy_until > start,
                     live_booking_filter(bindparam("now", type_=DateTime())),
                     ids(Booking.id, "ignore", exclude=True)))
    imported = select(literal(1), BusyTime.id, BusyTime.starts_at, BusyTime.ends_at).where(
        BusyTime.caseworker_id == caseworker, BusyTime.starts_at < end, BusyTime.ends_at > start)
    away = select(literal(4), Absence.id, Absence.starts_at, Absence.ends_at).where(
        Absence.caseworker_id == caseworker, Absence.starts_at < end, Absence.ends_at > start)
    return booked.union_all(imported, away)


def _busy_clash(caseworker: Caseworker, kind: int, row_id: int, start: datetime,
                end: datetime) -> Clash:
    if kind == 4:
        return Clash("caseworker_absent",
                     f"{caseworker.name} er fraværende {_absence_span(start, end)}.",
                     f"{caseworker.name} is absent {_absence_span(start, end, english=True)}.")
    span = {"start": f"{start:%d.%m.%Y %H:%M}", "end": f"{end:%H:%M}"}
    if kind == 0:
        return Clash("caseworker_busy", *texts("caseworker_meeting", name=caseworker.name,
                                               number=row_id, **span))
    return Clash("caseworker_busy", *texts("why_busy_time", name=caseworker.name, **span))


def _absence_span(start: datetime, end: datetime, *, english: bool = False) -> str:
    """An absence as it was registered: whole days as dates, part of a day with times."""
    fmt = "%Y-%m-%d" if english else "%d.%m.%Y"
    if start.time() == end.time() == datetime.min.time():
        last = end - timedelta(days=1)
        return f"{start:{fmt}}" if last.date() == start.date() else f"{start:{fmt}}–{last:{fmt}}"
    if start.date() == end.date():
        return _span(start, end)
    return f"{start:{fmt} %H:%M}–{end:{fmt} %H:%M}"


def _citizen_clash(row_id: int, start: datetime, end: datetime) -> Clash:
    return Clash("citizen_busy",
                 f"Borgeren har allerede samtale nr. {row_id} {_span(start, end)}.",
                 f"The citizen already has meeting no. {row_id} {_span(start, end)}.")


def caseworker_busy_clashes(caseworker: Caseworker, starts_at: datetime, busy_until: datetime, *,
                            now: datetime | None = None,
                            ignore_booking_ids: Collection[int] = ()) -> list[Clash]:
    """The meetings and imported busy times in the way, in one query (meetings first)."""
    params = {"caseworker": caseworker.id, "start": starts_at, "end": busy_until,
              "now": now or datetime.min, "ignore": list(ignore_booking_ids) or [0]}
    rows = sorted(sql_rows(_busy_clash_rows(), params).all(),
                  key=lambda row: (row[0], row[2], row[1]))
    return [_busy_clash(caseworker, kind, row_id, start, end)
            for kind, row_id, start, end in rows]


@prepared
def _obstacle_rows(ids: Any) -> Any:
    start, busy_until = bindparam("start", type_=DateTime()), bindparam("end", type_=DateTime())
    ends_at, now = bindparam("ends", type_=DateTime()), bindparam("now", type_=DateTime())
    not_ignored = ids(Booking.id, "ignore", exclude=True)
    booked = (select(literal(0).label("kind"), BookingCaseworker.caseworker_id.label("who"),
                     Booking.id, Booking.starts_at, Booking.ends_at)
              .join(Booking, Booking.id == BookingCaseworker.booking_id)
              .where(ids(BookingCaseworker.caseworker_id, "caseworkers"), BookingCaseworker.blocking,
                     BookingCaseworker.starts_at < busy_until, BookingCaseworker.busy_until > start,
                     live_booking_filter(now), not_ignored))
    imported = select(literal(1), BusyTime.caseworker_id, BusyTime.id, BusyTime.starts_at,
                      BusyTime.ends_at).where(ids(BusyTime.caseworker_id, "caseworkers"),
                                              BusyTime.starts_at < busy_until,
                                              BusyTime.ends_at > start)
    attending = (select(literal(2), BookingParticipant.citizen_id, Booking.id, Booking.starts_at,
                        Booking.ends_at)
                 .join(Booking, Booking.id == BookingParticipant.booking_id)
                 .where(ids(BookingParticipant.citizen_id, "citizens"),
                        Booking.starts_at < ends_at, Booking.ends_at > start,
                        live_booking_filter(now), not_ignored))
    expired = (select(literal(3), BookingCaseworker.caseworker_id, Booking.id, Booking.starts_at,
                      Booking.ends_at)
               .join(Booking, Booking.id == BookingCaseworker.booking_id)
               .where(ids(BookingCaseworker.caseworker_id, "caseworkers"),
                      Booking.status == BookingStatus.RESERVED, Booking.expires_at <= now))
    away = select(literal(4), Absence.caseworker_id, Absence.id, Absence.starts_at,
                  Absence.ends_at).where(ids(Absence.caseworker_id, "caseworkers"),
                                         Absence.starts_at < busy_until, Absence.ends_at > start)
    return booked.union_all(imported, attending, expired, away)


@dataclass
class Obstacles:
    """What stands in the way of one meeting, and the expired holds of its caseworkers."""

    caseworkers: list[Clash]
    citizens: list[Clash]
    expired_holds: set[int]


def meeting_obstacles(caseworkers: Iterable[Caseworker], citizen_ids: Collection[int],
                      starts_at: datetime, ends_at: datetime, busy_until: datetime, *,
                      now: datetime, ignore_booking_ids: Collection[int] = ()) -> Obstacles:
    """The bookings and busy times in the way of the caseworkers, the citizens' meetings at
    that time, and the caseworkers' reservations past their expiry, in one query.

    For a meeting whose closure days, working time and breaks were just checked: what
    is left to look at under the lock (R-2.1, R-2.4, R-4.7). Caseworkers' clashes come by
    name, meetings before their own calendars, earliest first, as `caseworker_busy_clashes`.
    """
    caseworkers = sorted(caseworkers, key=lambda c: c.name)
    params = {"caseworkers": [c.id for c in caseworkers], "citizens": list(citizen_ids) or [0],
              "start": starts_at, "end": busy_until, "ends": ends_at, "now": now,
              "ignore": list(ignore_booking_ids) or [0]}
    rows = sorted(sql_rows(_obstacle_rows(), params).all(),
                  key=lambda row: (row[0], row[3], row[2]))
    by_caseworker: dict[int, list[Clash]] = defaultdict(list)
    citizens: list[Clash] = []
    expired: set[int] = set()
    names = {c.id: c for c in caseworkers}
    for kind, who, row_id, start, end in rows:
        if kind < 2 or kind == 4:
            by_caseworker[who].append(_busy_clash(names[who], kind, row_id, start, end))
        elif kind == 2:
            citizens.append(_citizen_clash(row_id, start, end))
        else:
            expired.add(row_id)
    return Obstacles([clash for c in caseworkers for clash in by_caseworker[c.id]],
                     citizens, expired)


def room_clashes(room: Room, starts_at: datetime, ends_at: datetime, *, now: datetime | None = None,
                 ignore_booking_ids: Collection[int] = ()) -> list[Clash]:
    query = select(Booking).where(Booking.room_id == room.id, Booking.starts_at < ends_at,
                                  Booking.ends_at > starts_at, live_booking_filter(now))
    if ignore_booking_ids:
        query = query.where(Booking.id.not_in(ignore_booking_ids))
    return [Clash("room_busy", *texts("why_room_meeting", room=room.name, number=b.id,
                                      start=f"{b.starts_at:%d.%m.%Y %H:%M}", end=f"{b.ends_at:%H:%M}"))
            for b in db.session.scalars(query.order_by(Booking.starts_at))]


def citizen_clashes(citizen_ids: Collection[int], starts_at: datetime, ends_at: datetime, *,
                    now: datetime | None = None,
                    ignore_booking_ids: Collection[int] = ()) -> list[Clash]:
    """A citizen cannot attend two meetings at once."""
    if not citizen_ids:
        return []
    params = {"citizens": list(citizen_ids), "start": starts_at, "end": ends_at,
              "now": now or datetime.min, "ignore": list(ignore_booking_ids) or [0]}
    return [_citizen_clash(b_id, b_start, b_end)
            for b_id, b_start, b_end in sql_rows(_citizen_clash_rows(), params).all()]


@prepared
def _citizen_clash_rows(ids: Any) -> Any:
    return (select(Booking.id, Booking.starts_at, Booking.ends_at)
            .join(BookingParticipant, BookingParticipant.booking_id == Booking.id)
            .where(ids(BookingParticipant.citizen_id, "citizens"),
                   Booking.starts_at < bindparam("end", type_=DateTime()),
                   Booking.ends_at > bindparam("start", type_=DateTime()),
                   live_booking_filter(bindparam("now", type_=DateTime())),
                   ids(Booking.id, "ignore", exclude=True))
            .order_by(Booking.starts_at))
