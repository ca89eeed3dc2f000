"""The room calendar: a team's rooms side by side, a day in time rows or a week in days (R-6.5, manual §1.4.1).

The workspace and the admin show the same grid; neither names a citizen, so looking at it
is not a look at anyone's case. Closure days come from `closed_days`, live bookings by
availability's `live_booking_filter`, as in the other calendars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.calendar.availability import live_booking_filter
from webapp.calendar.closed_days import closed_days, each_day
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import Booking, BookingCaseworker, Room, Team
from webapp.models.rooms import room_teams

#: The day view's rows: half hours from 07:00 to 17:00, as the workspace calendar shows.
DAY_START, DAY_END, STEP = time(7), time(17), timedelta(minutes=30)
VIEWS = ("day", "week")


def team_rooms(team_id: int) -> list[Room]:
    """The rooms of the team, by name: its room calendar's columns and the rooms a meeting of
    the team may move to (R-6.5)."""
    return list(db.session.scalars(
        select(Room).join(room_teams, room_teams.c.room_id == Room.id)
        .where(room_teams.c.team_id == team_id).order_by(Room.name)))


def check_room_for_team(team: Team | None, room: Room | None, *, field: str = "room_id") -> None:
    """R-1.4.2: a room is used only by the teams linked to it. Call-in templates, call-ins and
    online offers check here, so the admin, the workspace and the API refuse alike."""
    if team is not None and room is not None and team not in room.teams:
        raise DomainError.of("room_not_for_team", room=room.name, team=team.name,
                             field=field, code="room_not_for_team")


@dataclass
class Cell:
    """One room at one row: the meetings that start in it, and whether a meeting fills it."""

    starting: list[Booking] = field(default_factory=list)
    busy: bool = False


@dataclass
class RoomCalendar:
    view: str
    first: date
    last: date
    rooms: list[Room]
    days: list[date]
    closed: dict[date, str]
    rows: list[tuple[datetime, list[Cell]]]
    previous: date
    following: date

    @property
    def empty(self) -> bool:
        return not self.rooms


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=4)


def room_calendar(team_id: int, day: date, view: str = "week") -> RoomCalendar:
    """The team's rooms on `day` (view "day") or in its working week (view "week")."""
    view = view if view in VIEWS else "week"
    first, last = (day, day) if view == "day" else week_of(day)
    rooms = team_rooms(team_id)
    start = datetime.combine(first, time.min)
    end = datetime.combine(last + timedelta(days=1), time.min)
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.room_id.in_([room.id for room in rooms]),
                              Booking.starts_at < end, Booking.ends_at > start,
                              live_booking_filter(None))
        .options(selectinload(Booking.caseworker_links).selectinload(BookingCaseworker.caseworker),
                 selectinload(Booking.participants))
        .order_by(Booking.starts_at, Booking.id))) if rooms else []
    closed = closed_days([team_id], first, last)
    if view == "day":
        rows = _day_rows(first, rooms, bookings)
        step = timedelta(days=1)
    else:
        rows = [(datetime.combine(d, time.min),
                 [Cell(starting=[b for b in bookings if b.room_id == room.id
                                 and b.starts_at.date() == d]) for room in rooms])
                for d in each_day(first, last)]
        step = timedelta(days=7)
    return RoomCalendar(view=view, first=first, last=last, rooms=rooms,
                        days=list(each_day(first, last)), closed=closed, rows=rows,
                        previous=first - step, following=first + step)


def _day_rows(day: date, rooms: list[Room], bookings: list[Booking]) -> list[tuple[datetime, list[Cell]]]:
    rows = []
    moment = datetime.combine(day, DAY_START)
    last = datetime.combine(day, DAY_END)
    while moment < last:
        after = moment + STEP
        first_row = moment == datetime.combine(day, DAY_START)
        cells = []
        for room in rooms:
            here = [b for b in bookings if b.room_id == room.id]
            # A meeting before the grid's first row shows in it, one after its last in the last.
            starting = [b for b in here if moment <= b.starts_at < after
                        or (first_row and b.starts_at < moment < b.ends_at)
                        or (after == last and b.starts_at >= last and b.starts_at.date() == day)]
            busy = any(b.starts_at < after and b.ends_at > moment for b in here)
            cells.append(Cell(starting=starting, busy=busy))
        rows.append((moment, cells))
        moment = after
    return rows
