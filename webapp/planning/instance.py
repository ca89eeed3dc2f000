"""Building the optimiser's instance from a job centre's waiting list (R-3.2).

`prepare` reads the waiting call-ins and builds the optimiser's exchange document
(docs/optimizer-format.md): caseworkers' working time, breaks and busy time and the rooms'
free time come from `webapp.calendar.availability`, closure days per meeting team through
the team tree (R-1.3.2), group call-ins are merged into group meetings up to the room's
seats, or seated at an existing group meeting with a free seat (R-1.4.3).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.calendar import availability
from webapp.calendar.availability import live_booking_filter
from webapp.calendar.closed_days import closed_dates
from webapp.domain.intervals import Interval
from webapp.extensions import db
from webapp.models import (
    Booking,
    BookingParticipant,
    BookingStatus,
    CallIn,
    CallInStatus,
    Caseworker,
    MeetingForm,
    MembershipState,
    Room,
    Team,
    TeamMembership,
)

HORIZON_DAYS = 42
GRANULARITY_MINUTES = 15
# A room without a capacity seats everyone; the exchange format wants a number.
UNLIMITED_SEATS = 10_000
_DAY = timedelta(days=1)


@dataclass
class Prepared:
    """An exchange document plus what the run needs to map the answer back."""

    job_centre_id: int
    now: datetime
    document: dict[str, Any]
    # meeting id -> call-in ids (one for an individual meeting, several for a group)
    meetings: dict[str, list[int]]
    # exchange id (cw12, room3, team4) -> the name a caseworker knows
    names: dict[str, str]
    # call-ins the optimiser never sees, with (reason code, Danish reason)
    not_sent: dict[int, tuple[str, str]]
    waiting: int
    # group call-ins that take a free seat at an existing group meeting: call-in -> booking
    joins: dict[int, int] = field(default_factory=dict)
    joins_weight: float = 0.0


def _cw_id(caseworker_id: int) -> str:
    return f"cw{caseworker_id}"


def _room_id(room_id: int) -> str:
    return f"room{room_id}"


def _citizen_id(citizen_id: int) -> str:
    return f"citizen{citizen_id}"


def _team_id(team_id: int) -> str:
    return f"team{team_id}"


def database_id(exchange_id: str) -> int:
    """The database id inside an exchange id (cw12 -> 12)."""
    return int(re.sub(r"^[a-z]+", "", exchange_id))


def _da_date(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _clock(value: Any) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def _minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _minute_ceil(moment: datetime) -> datetime:
    floor = _minute_floor(moment)
    return floor if floor == moment else floor + timedelta(minutes=1)


def _busy_json(intervals: list[Interval]) -> list[list[str]]:
    # Busy time is widened to whole minutes: the format has no seconds.
    return [[_minute_floor(a).strftime("%Y-%m-%dT%H:%M"), _minute_ceil(b).strftime("%Y-%m-%dT%H:%M")]
            for a, b in sorted(intervals)]


def _complement(free: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    busy, cursor = [], start
    for a, b in sorted(free):
        if a > cursor:
            busy.append((cursor, min(a, end)))
        cursor = max(cursor, b)
    if cursor < end:
        busy.append((cursor, end))
    return [(a, b) for a, b in busy if a < b]


def config_value(name: str, default: Any) -> Any:
    """A setting of the running app, or the default outside one (the optimiser's bench)."""
    return current_app.config.get(name, default) if has_app_context() else default


def granularity_setting() -> int:
    """The optimiser's grid in minutes: the setting, or 15 outside an app."""
    return int(config_value("PLANNER_ALLOCATION_GRANULARITY", GRANULARITY_MINUTES))


def _candidates(callin: CallIn, team_members: dict[int, list[Caseworker]]) -> list[Caseworker]:
    """The call-in's caseworkers, or else the team's; only those who may receive call-ins (R-1.2.3)
    and are still active members of the call-in's team (R-6.6)."""
    members = team_members.get(callin.team_id, [])
    member_ids = {c.id for c in members}
    chosen = [c for c in callin.caseworkers if c.id in member_ids] if callin.caseworkers else members
    return sorted((c for c in chosen if c.can_be_assigned_callins
                   and c.job_centre_id == callin.job_centre_id), key=lambda c: c.id)


def _group_key(callin: CallIn, caseworker_ids: tuple[int, ...]) -> tuple:
    return (callin.team_id, callin.conversation_type_id, callin.variant_id, callin.holding_form_id,
            callin.room_id, callin.duration_minutes, callin.reporting_minutes, caseworker_ids,
            callin.template_id)


def _group_chunks(callins: list[CallIn], seats: int) -> list[list[CallIn]]:
    """Citizens who can share one group meeting: seats allowing, with a common date window."""
    chunks: list[list[CallIn]] = []
    for callin in sorted(callins, key=lambda c: (c.deadline_date, c.earliest_date, c.id)):
        for chunk in chunks:
            # Sorted by deadline, so the chunk's first member has the tightest one.
            if len(chunk) < seats and max(c.earliest_date for c in chunk + [callin]) <= chunk[0].deadline_date:
                chunk.append(callin)
                break
        else:
            chunks.append([callin])
    return chunks


def _seat_finder(job_centre_id: int, window: tuple[datetime, datetime]) -> Callable[[CallIn], int | None]:
    """Existing group meetings of the same kind with a free seat in a call-in's window (R-1.4.3).

    A citizen who can join a group meeting already in the calendar takes a seat there
    instead of a new meeting: that costs no caseworker or room time, so it only adds
    placements. Only meetings called in from the same template (or the same meeting
    fields) qualify; self-booking offers keep their seats for citizens.
    """
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.job_centre_id == job_centre_id,
                              Booking.status == BookingStatus.BOOKED,
                              Booking.meeting_form == MeetingForm.GROUP,
                              Booking.offer_id.is_(None),
                              Booking.starts_at >= window[0], Booking.starts_at < window[1])
        .options(selectinload(Booking.participants)).order_by(Booking.starts_at, Booking.id)))
    seats_left = {b.id: (UNLIMITED_SEATS if b.seats is None else b.seats - len(b.participants))
                  for b in bookings}
    attending = {b.id: {p.citizen_id for p in b.participants} for b in bookings}

    def same_kind(booking: Booking, callin: CallIn) -> bool:
        if (booking.team_id, booking.conversation_type_id, booking.variant_id, booking.holding_form_id,
                booking.room_id) != (callin.team_id, callin.conversation_type_id, callin.variant_id,
                                     callin.holding_form_id, callin.room_id):
            return False
        if callin.template_id is not None:
            return booking.template_id == callin.template_id
        return booking.ends_at - booking.starts_at == timedelta(minutes=callin.duration_minutes)

    def find(callin: CallIn) -> int | None:
        for booking in bookings:
            day = booking.starts_at.date()
            if (callin.earliest_date <= day <= callin.deadline_date and seats_left[booking.id] > 0
                    and callin.citizen_id not in attending[booking.id] and same_kind(booking, callin)):
                seats_left[booking.id] -= 1
                attending[booking.id].add(callin.citizen_id)
                return booking.id
        return None

    return find


def prepare(job_centre_id: int, *, now: datetime, horizon_days: int | None = None,
            granularity_minutes: int | None = None) -> Prepared:
    """Read the waiting list of a job centre into an optimiser instance (no writes)."""
    horizon_days = horizon_days or int(config_value("PLANNER_ALLOCATION_HORIZON_DAYS", HORIZON_DAYS))
    granularity = granularity_minutes or granularity_setting()
    # Meetings are placed from tomorrow on: the citizen needs notice (and a letter).
    first_day = now.date() + _DAY
    last_day = first_day + timedelta(days=horizon_days - 1)
    window = (datetime.combine(first_day, datetime.min.time()),
              datetime.combine(last_day + _DAY, datetime.min.time()))

    callins = list(db.session.scalars(
        select(CallIn).where(CallIn.job_centre_id == job_centre_id,
                             CallIn.status == CallInStatus.WAITING, CallIn.booking_id.is_(None))
        .options(selectinload(CallIn.caseworkers), selectinload(CallIn.room))
        .order_by(CallIn.deadline_date, CallIn.id)))
    team_members: dict[int, list[Caseworker]] = defaultdict(list)
    for membership in db.session.scalars(
            select(TeamMembership).join(Caseworker)
            .where(Caseworker.job_centre_id == job_centre_id,
                   TeamMembership.state == MembershipState.ACTIVE)
            .options(selectinload(TeamMembership.caseworker))):
        team_members[membership.team_id].append(membership.caseworker)

    not_sent: dict[int, tuple[str, str]] = {}
    individual: list[tuple[CallIn, list[Caseworker]]] = []
    groups: dict[tuple, list[CallIn]] = defaultdict(list)
    group_caseworkers: dict[tuple, list[Caseworker]] = {}
    for callin in callins:
        if callin.deadline_date < first_day:
            not_sent[callin.id] = ("deadline_passed", (
                f"Fristen {_da_date(callin.deadline_date)} er overskredet; samtalen kan ikke "
                "placeres inden fristen. Ret fristen eller indkald på et fast tidspunkt."))
            continue
        if callin.earliest_date > last_day:
            not_sent[callin.id] = ("later", (
                f"Tidligste samtaledato {_da_date(callin.earliest_date)} ligger efter "
                f"planlægningsperioden (til {_da_date(last_day)}); den planlægges i en senere kørsel."))
            continue
        if callin.room is not None and not callin.room.usable_for_callins:
            not_sent[callin.id] = ("room_not_for_callins",
                                   f"Lokalet {callin.room.name} kan ikke bruges til indkaldelser.")
            continue
        candidates = _candidates(callin, team_members)
        if not candidates:
            not_sent[callin.id] = ("no_caseworker",
                                   "Ingen af indkaldelsens sagsbehandlere er stadig på teamet og "
                                   "kan modtage indkaldelser. Ret indkaldelsens vejledere.")
            continue
        if callin.meeting_form == MeetingForm.GROUP:
            key = _group_key(callin, tuple(c.id for c in candidates))
            groups[key].append(callin)
            group_caseworkers[key] = candidates
        else:
            individual.append((callin, candidates))

    caseworkers: dict[int, Caseworker] = {}
    rooms: dict[int, Room] = {}
    team_ids: set[int] = set()
    meetings: list[dict[str, Any]] = []
    meeting_callins: dict[str, list[int]] = {}

    def add_meeting(ident: str, members: list[CallIn], candidates: list[Caseworker], kind: str) -> None:
        head = members[0]
        for caseworker in candidates:
            caseworkers[caseworker.id] = caseworker
        if head.room is not None:
            rooms[head.room.id] = head.room
        team_ids.add(head.team_id)
        meetings.append({
            "id": ident, "team": _team_id(head.team_id), "kind": kind,
            "caseworkers": [_cw_id(c.id) for c in candidates],
            "rooms": [_room_id(head.room.id)] if head.room is not None else [],
            "participants": len(members),
            "duration_minutes": head.duration_minutes,
            "reporting_minutes": head.reporting_minutes,
            "earliest_date": max(max(c.earliest_date for c in members), first_day).isoformat(),
            "deadline_date": min(c.deadline_date for c in members).isoformat(),
            "priority": sum(c.priority for c in members),
            "citizens": [_citizen_id(c.citizen_id) for c in members],
        })
        meeting_callins[ident] = [c.id for c in members]

    for callin, candidates in individual:
        add_meeting(f"m{callin.id}", [callin], candidates, "individual")
    joins: dict[int, int] = {}
    joins_weight = 0.0
    if groups:
        find_seat = _seat_finder(job_centre_id, window)
        for key in list(groups):
            remaining = []
            for callin in sorted(groups[key], key=lambda c: (c.deadline_date, c.id)):
                booking_id = find_seat(callin)
                if booking_id is None:
                    remaining.append(callin)
                else:
                    joins[callin.id] = booking_id
                    joins_weight += callin.priority
            groups[key] = remaining
    for key, members in groups.items():
        if not members:
            continue
        room = members[0].room
        seats = room.seats if room is not None and room.seats is not None else UNLIMITED_SEATS
        for chunk in _group_chunks(members, seats):
            add_meeting(f"g{chunk[0].id}", chunk, group_caseworkers[key], "group")

    cw_ids = sorted(caseworkers)
    schedules = availability.weekly_schedules(cw_ids)
    busy = availability.caseworker_busy(cw_ids, *window, now=now)
    room_docs = []
    for room_id in sorted(rooms):
        room = rooms[room_id]
        free = availability.room_free(room_id, first_day, last_day, now=now)
        room_docs.append({"id": _room_id(room_id),
                          "seats": room.seats if room.seats is not None else UNLIMITED_SEATS,
                          "busy": _busy_json(_complement(free, *window))})
    teams = {t.id: t for t in db.session.scalars(select(Team).where(Team.id.in_(team_ids)))}
    document = {
        "format": 2,
        "start_date": first_day.isoformat(),
        "end_date": last_day.isoformat(),
        "granularity_minutes": granularity,
        "teams": [{"id": _team_id(t), "closed_dates": sorted(
            d.isoformat() for d in closed_dates(t, first_day, last_day))}
            for t in sorted(team_ids)],
        "caseworkers": [{
            "id": _cw_id(cw),
            "working_time": {str(day): [_clock(a), _clock(b)]
                             for day, (a, b) in sorted(schedules[cw].working_time.items())},
            "breaks": {str(day): [[_clock(a), _clock(b)] for a, b in sorted(items)]
                       for day, items in sorted(schedules[cw].breaks.items()) if items},
            "busy": _busy_json(busy.get(cw, [])),
        } for cw in cw_ids],
        "rooms": room_docs,
        "citizens": _citizen_docs(meeting_callins, callins, joins, window, now),
        "meetings": meetings,
    }
    names = {_cw_id(c.id): c.name for c in caseworkers.values()}
    names |= {_room_id(r.id): r.name for r in rooms.values()}
    names |= {_team_id(t.id): t.name for t in teams.values()}
    return Prepared(job_centre_id, now, document, meeting_callins, names, not_sent, len(callins), joins,
                    joins_weight)


def _citizen_docs(meeting_callins: dict[str, list[int]], callins: list[CallIn], joins: dict[int, int],
                  window: tuple[datetime, datetime], now: datetime) -> list[dict[str, Any]]:
    """The citizens of the meetings sent, busy with their live bookings in the window and the
    group meetings they take a seat at in this run, so that the optimiser places no call-in
    over them (R-3.6). Ids only: no CPR number or name leaves the database."""
    citizen_of = {c.id: c.citizen_id for c in callins}
    citizen_ids = sorted({citizen_of[i] for ids in meeting_callins.values() for i in ids})
    if not citizen_ids:
        return []
    busy: dict[int, list[Interval]] = defaultdict(list)
    rows = db.session.execute(
        select(BookingParticipant.citizen_id, Booking.starts_at, Booking.ends_at)
        .join(Booking, Booking.id == BookingParticipant.booking_id)
        .where(BookingParticipant.citizen_id.in_(citizen_ids), live_booking_filter(now),
               Booking.starts_at < window[1], Booking.ends_at > window[0]))
    for citizen_id, starts_at, ends_at in rows:
        busy[citizen_id].append((starts_at, ends_at))
    joined = {booking.id: booking for booking in db.session.scalars(
        select(Booking).where(Booking.id.in_(sorted(set(joins.values())))))} if joins else {}
    for callin_id, booking_id in joins.items():
        booking = joined[booking_id]
        busy[citizen_of[callin_id]].append((booking.starts_at, booking.ends_at))
    return [{"id": _citizen_id(z), "busy": _busy_json(busy.get(z, []))} for z in citizen_ids]


def build_instance(job_centre_id: int, *, now: datetime, horizon_days: int | None = None) -> dict[str, Any]:
    """The optimiser's exchange document for the job centre's waiting list (R-3.2)."""
    return prepare(job_centre_id, now=now, horizon_days=horizon_days).document
