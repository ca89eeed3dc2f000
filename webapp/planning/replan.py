"""Re-planning the meetings an absence (or a late closure day) hits (R-6.4).

`plan` reads and writes nothing: it builds a small optimiser instance with just the hit
meetings, everything else in the calendars fixed (other bookings, absences, closure days
and imported busy time are busy time), and answers with the moves and what goes back to
the waiting list. The order of preference, in three passes:

1. the same time with another caseworker who may take the meeting (the team's members,
   as the optimiser's candidates: the call-in's chosen caseworkers if it named any), the
   least loaded that day first: the citizen's time does not change;
2. the same day, any free time, through the optimiser;
3. the earliest free time from tomorrow to the call-in's deadline, through the optimiser
   (it prefers earlier days). A meeting that came from no call-in has no deadline: it may move
   up to `WITHOUT_CALLIN_DAYS` (14) days after its own day, never past a self-booking deadline
   it fulfils (R-4.8); when it cannot, it stays where it is and the dry run says why, since
   it has no call-in to go back to the waiting list with.

Each pass sees the previous passes' placements as busy. The citizen's other meetings are
respected: for a meeting without a room the citizen is given to the optimiser as a room
with one seat that is busy when the citizen has another meeting (so two hit meetings of one
citizen never overlap either); a meeting with a room or a group is checked afterwards, and a
placement over a citizen's meeting is dropped to the next pass.

`publish` carries out a plan in the caller's transaction through the booking writer
(`move_booking`: lock, re-check, audit, the `booking_changed` signal with its move letter
and invitation); a meeting that cannot be placed is cancelled with the reason and its
call-ins are waiting again with it. Should any move no longer fit, it raises and the
caller rolls everything back: all or nothing (R-3.3).
"""

from __future__ import annotations

import time as clock_time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.booking.writer import cancel_booking, move_booking
from webapp.calendar import availability
from webapp.calendar.availability import live_booking_filter
from webapp.calendar.closed_days import closed_dates
from webapp.domain.errors import DomainError
from webapp.domain.intervals import Interval
from webapp.extensions import db
from webapp.messages import texts
from webapp.models import (Booking, BookingParticipant, BookingStatus, CallIn, CallInStatus,
                           Caseworker, MeetingForm, MembershipState, SelfBookingDeadline,
                           TeamMembership)
from webapp.planning.instance import (UNLIMITED_SEATS, _busy_json, _candidates, _clock, _complement,
                                      _cw_id, _room_id, _team_id, database_id, granularity_setting)
from webapp.planning.publish import solve_prepared_document
from webapp.planning.reasons import reason_text

_DAY = timedelta(days=1)
# A re-planning is a handful of meetings: a short search is plenty.
TIME_LIMIT_SECONDS = 3.0
#: A meeting that came from no call-in (self-booked, booked at a fixed time, from the case
#: system) has no deadline of its own: it may move up to this many days after its own day, and
#: never past the self-booking deadline it fulfils (R-4.8). Two weeks: the time a citizen is
#: usually called in for, and a sick caseworker's usual absence.
WITHOUT_CALLIN_DAYS = 14
NOT_FROM_CALLIN_DA = ("Der er ingen ledig tid til og med {last}. Samtalen kommer ikke fra en "
                      "indkaldelse og kan ikke sættes på afventerlisten, så den bliver stående; "
                      "flyt eller aflys den på samtalens side.")
DEADLINE_PASSED_DA = "Fristen {deadline} er overskredet; samtalen kan ikke flyttes inden fristen."
DEFAULT_REASON_DA = "Der er ingen ledig tid inden fristen."
REASON_MAX = 500  # CallIn.unplaced_reason, Booking.cancel_reason
CITIZEN_BUSY_DA = ("Borgeren har andre samtaler, når {caseworkers} kan holde samtalen mellem "
                   "{first} og {last}.")


def _citizen_id(citizen_id: int) -> str:
    return f"citizen{citizen_id}"


@dataclass(frozen=True)
class Move:
    booking_id: int
    starts_at: datetime
    caseworker_ids: tuple[int, ...]
    old_starts_at: datetime
    old_caseworker_ids: tuple[int, ...]

    @property
    def same_day(self) -> bool:
        return self.starts_at.date() == self.old_starts_at.date()

    @property
    def same_time(self) -> bool:
        return self.starts_at == self.old_starts_at


@dataclass(frozen=True)
class Left:
    """A meeting that cannot be moved: back to the waiting list (or, without a call-in, kept)."""

    booking_id: int
    reason: str
    callin_ids: tuple[int, ...]

    @property
    def to_waiting(self) -> bool:
        return bool(self.callin_ids)


@dataclass
class Plan:
    moves: list[Move] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def back_to_waiting(self) -> list[Left]:
        return [item for item in self.left if item.to_waiting]

    @property
    def kept(self) -> list[Left]:
        return [item for item in self.left if not item.to_waiting]

    @property
    def stayed_on_day(self) -> int:
        return sum(1 for move in self.moves if move.same_day)

    def summary_da(self) -> str:
        text = f"{len(self.moves)} flyttes, {len(self.back_to_waiting)} tilbage på afventerlisten"
        if self.kept:
            text += f", {len(self.kept)} skal flyttes i hånden"
        return text


@dataclass
class _Meeting:
    booking: Booking
    callins: list[CallIn]
    candidates: list[int]  # caseworker ids; a group needs all of them
    group: bool
    citizen_ids: list[int]
    first: date
    last: date
    priority: int

    @property
    def duration(self) -> int:
        return int((self.booking.ends_at - self.booking.starts_at).total_seconds() // 60)

    @property
    def busy_minutes(self) -> timedelta:
        return timedelta(minutes=self.duration + self.booking.reporting_minutes)


def _team_members(team_ids: Iterable[int], job_centre_id: int) -> dict[int, list[Caseworker]]:
    members: dict[int, list[Caseworker]] = defaultdict(list)
    for membership in db.session.scalars(
            select(TeamMembership).join(Caseworker)
            .where(TeamMembership.team_id.in_(list(team_ids) or [0]),
                   Caseworker.job_centre_id == job_centre_id,
                   TeamMembership.state == MembershipState.ACTIVE)
            .options(selectinload(TeamMembership.caseworker))):
        members[membership.team_id].append(membership.caseworker)
    return members


def _meetings(job_centre_id: int, bookings: Sequence[Booking], now: datetime) -> tuple[list[_Meeting], list[Left]]:
    callins_of: dict[int, list[CallIn]] = defaultdict(list)
    for callin in db.session.scalars(
            select(CallIn).where(CallIn.booking_id.in_([b.id for b in bookings] or [0]))
            .options(selectinload(CallIn.caseworkers)).order_by(CallIn.id)):
        callins_of[callin.booking_id].append(callin)
    members = _team_members({b.team_id for b in bookings}, job_centre_id)
    fulfilled: dict[int, list[date]] = defaultdict(list)  # the self-booking deadlines met
    for booking_id, deadline_date in db.session.execute(
            select(SelfBookingDeadline.booking_id, SelfBookingDeadline.deadline_date)
            .where(SelfBookingDeadline.booking_id.in_([b.id for b in bookings] or [0]))):
        fulfilled[booking_id].append(deadline_date)
    tomorrow = now.date() + _DAY
    meetings: list[_Meeting] = []
    left: list[Left] = []
    for booking in bookings:
        callins = callins_of.get(booking.id, [])
        group = booking.meeting_form == MeetingForm.GROUP
        current = {link.caseworker_id for link in booking.caseworker_links}
        team = sorted(c.id for c in members.get(booking.team_id, [])
                      if c.can_be_assigned_callins and c.job_centre_id == job_centre_id)
        if group:
            candidates = sorted(current)
        elif callins:
            # The call-in's own caseworkers; when it named only the one who is away, the team's.
            candidates = [c.id for c in _candidates(callins[0], members)]
            if set(candidates) <= current:
                candidates = sorted(set(team) | set(candidates))
        else:
            candidates = sorted(set(team) | current)
        day = booking.starts_at.date()
        if callins:
            deadline = min(c.deadline_date for c in callins)
            earliest = max([tomorrow] + [c.earliest_date for c in callins])
        else:
            deadline = min([day + timedelta(days=WITHOUT_CALLIN_DAYS)]
                           + fulfilled.get(booking.id, []))
            earliest = tomorrow
        meetings.append(_Meeting(booking, callins, candidates, group,
                                 [p.citizen_id for p in booking.participants],
                                 earliest, deadline,
                                 sum(c.priority for c in callins) or 1))
    return meetings, left


class _Calendar:
    """The busy time every pass sees: the database's, plus what earlier passes placed."""

    def __init__(self, meetings: list[_Meeting], now: datetime) -> None:
        self.now = now
        self.ignore = [m.booking.id for m in meetings]
        self.placed: dict[int, list[Interval]] = defaultdict(list)       # caseworker -> busy
        self.placed_rooms: dict[int, list[Interval]] = defaultdict(list)  # room -> busy
        self.placed_citizens: dict[int, list[Interval]] = defaultdict(list)

    def place(self, meeting: _Meeting, starts_at: datetime, caseworker_ids: Sequence[int]) -> None:
        ends_at = starts_at + timedelta(minutes=meeting.duration)
        for cw in caseworker_ids:
            self.placed[cw].append((starts_at, starts_at + meeting.busy_minutes))
        if meeting.booking.room_id is not None:
            self.placed_rooms[meeting.booking.room_id].append((starts_at, ends_at))
        for citizen in meeting.citizen_ids:
            self.placed_citizens[citizen].append((starts_at, ends_at))

    def citizen_busy(self, citizen_ids: Sequence[int], start: datetime, end: datetime) -> dict[int, list[Interval]]:
        """The citizens' live meetings other than the ones being re-planned, and this plan's placements."""
        busy: dict[int, list[Interval]] = defaultdict(list)
        if not citizen_ids:
            return busy
        rows = db.session.execute(
            select(BookingParticipant.citizen_id, Booking.starts_at, Booking.ends_at)
            .join(Booking, Booking.id == BookingParticipant.booking_id)
            .where(BookingParticipant.citizen_id.in_(list(citizen_ids)), Booking.starts_at < end,
                   Booking.ends_at > start, live_booking_filter(self.now),
                   Booking.id.not_in(self.ignore or [0])))
        for citizen, a, b in rows:
            busy[citizen].append((a, b))
        for citizen in citizen_ids:
            busy[citizen] += self.placed_citizens.get(citizen, [])
        return busy


def _overlaps(intervals: Iterable[Interval], start: datetime, end: datetime) -> bool:
    return any(a < end and b > start for a, b in intervals)


def _same_time(meetings: list[_Meeting], cal: _Calendar, plan: Plan) -> list[_Meeting]:
    """Pass 1: the same time with another caseworker; the rest go on."""
    rest = []
    for meeting in meetings:
        booking = meeting.booking
        current = [link.caseworker_id for link in booking.caseworker_links]
        if meeting.group or not meeting.candidates:
            rest.append(meeting)
            continue
        others = [cw for cw in meeting.candidates if cw not in current]
        busy_until = booking.starts_at + meeting.busy_minutes
        free = availability.free_caseworkers_at(
            others, booking.starts_at, busy_until, team_id=booking.team_id, now=cal.now,
            ignore_booking_ids=cal.ignore, by_day_load=True)
        chosen = next((cw for cw in free
                       if not _overlaps(cal.placed.get(cw, ()), booking.starts_at, busy_until)), None)
        if chosen is None:
            rest.append(meeting)
            continue
        cal.place(meeting, booking.starts_at, [chosen])
        plan.moves.append(Move(booking.id, booking.starts_at, (chosen,), booking.starts_at,
                               tuple(current)))
    return rest


def _document(meetings: list[_Meeting], windows: dict[int, tuple[date, date]], cal: _Calendar,
              granularity: int) -> tuple[dict[str, Any], dict[str, _Meeting], dict[str, str]]:
    """The optimiser's exchange document for these meetings, everything else fixed."""
    first_day = min(w[0] for w in windows.values())
    last_day = max(w[1] for w in windows.values())
    window = (datetime.combine(first_day, datetime.min.time()),
              datetime.combine(last_day + _DAY, datetime.min.time()))
    cw_ids = sorted({cw for m in meetings for cw in m.candidates})
    schedules = availability.weekly_schedules(cw_ids)
    busy = availability.caseworker_busy(cw_ids, *window, now=cal.now, ignore_booking_ids=cal.ignore)
    # Nothing moves into the past: on today's meetings the time before now is busy for all.
    past = [(window[0], cal.now)] if cal.now > window[0] else []
    rooms: dict[str, dict[str, Any]] = {}
    for room_id in sorted({m.booking.room_id for m in meetings if m.booking.room_id is not None}):
        free = availability.room_free(room_id, first_day, last_day, now=cal.now,
                                      ignore_booking_ids=cal.ignore)
        rooms[_room_id(room_id)] = {"id": _room_id(room_id), "seats": UNLIMITED_SEATS,
                                    "busy": _busy_json(_complement(free, *window)
                                                       + cal.placed_rooms.get(room_id, []))}
    for meeting in meetings:
        if meeting.booking.room is not None and meeting.booking.room.seats is not None:
            rooms[_room_id(meeting.booking.room_id)]["seats"] = max(
                meeting.booking.room.seats, len(meeting.citizen_ids))
    lone = [m for m in meetings if m.booking.room_id is None and not m.group and len(m.citizen_ids) == 1]
    citizen_busy = cal.citizen_busy(sorted({m.citizen_ids[0] for m in lone}), *window)
    for citizen in sorted({m.citizen_ids[0] for m in lone}):
        rooms[_citizen_id(citizen)] = {"id": _citizen_id(citizen), "seats": 1,
                                       "busy": _busy_json(citizen_busy.get(citizen, []))}
    team_ids = sorted({m.booking.team_id for m in meetings})
    by_ident: dict[str, _Meeting] = {}
    docs = []
    for meeting in meetings:
        ident = f"b{meeting.booking.id}"
        by_ident[ident] = meeting
        first, last = windows[meeting.booking.id]
        if meeting.booking.room_id is not None:
            meeting_rooms = [_room_id(meeting.booking.room_id)]
        elif meeting in lone:
            meeting_rooms = [_citizen_id(meeting.citizen_ids[0])]
        else:
            meeting_rooms = []
        docs.append({"id": ident, "team": _team_id(meeting.booking.team_id),
                     "kind": "group" if meeting.group else "individual",
                     "caseworkers": [_cw_id(cw) for cw in meeting.candidates],
                     "rooms": meeting_rooms,
                     "participants": max(1, len(meeting.citizen_ids)),
                     "duration_minutes": meeting.duration,
                     "reporting_minutes": meeting.booking.reporting_minutes,
                     "earliest_date": first.isoformat(), "deadline_date": last.isoformat(),
                     "priority": meeting.priority})
    document = {
        "format": 1, "start_date": first_day.isoformat(), "end_date": last_day.isoformat(),
        "granularity_minutes": granularity,
        "teams": [{"id": _team_id(t), "closed_dates": sorted(
            d.isoformat() for d in closed_dates(t, first_day, last_day))} for t in team_ids],
        "caseworkers": [{
            "id": _cw_id(cw),
            "working_time": {str(day): [_clock(a), _clock(b)]
                             for day, (a, b) in sorted(schedules[cw].working_time.items())},
            "breaks": {str(day): [[_clock(a), _clock(b)] for a, b in sorted(items)]
                       for day, items in sorted(schedules[cw].breaks.items()) if items},
            "busy": _busy_json(busy.get(cw, []) + cal.placed.get(cw, []) + past),
        } for cw in cw_ids],
        "rooms": list(rooms.values()),
        "meetings": docs,
    }
    names = {_cw_id(c.id): c.name for c in db.session.scalars(
        select(Caseworker).where(Caseworker.id.in_(cw_ids or [0])))}
    return document, by_ident, names


def _optimiser_pass(meetings: list[_Meeting], windows: dict[int, tuple[date, date]], cal: _Calendar,
                    plan: Plan, granularity: int, time_limit: float) -> dict[int, str]:
    """Place what the optimiser can in the windows; answers the reasons of the rest by booking id."""
    todo = [m for m in meetings if m.booking.id in windows and m.candidates]
    reasons: dict[int, str] = {}
    if not todo:
        return reasons
    document, by_ident, names = _document(todo, windows, cal, granularity)
    solution = solve_prepared_document(document, time_limit=time_limit)
    for placement in sorted(solution.placements, key=lambda p: (p.start, p.meeting)):
        meeting = by_ident[placement.meeting]
        ends_at = placement.start + timedelta(minutes=meeting.duration)
        # A meeting with a room or a group: its citizens' meetings are checked here.
        if not placement.room or not placement.room.startswith("citizen"):
            busy = cal.citizen_busy(meeting.citizen_ids, placement.start, ends_at)
            if any(_overlaps(busy.get(c, ()), placement.start, ends_at) for c in meeting.citizen_ids):
                reasons[meeting.booking.id] = CITIZEN_BUSY_DA.format(
                    caseworkers=", ".join(names.get(c, c) for c in placement.caseworkers),
                    first=f"{windows[meeting.booking.id][0]:%d.%m.%Y}",
                    last=f"{windows[meeting.booking.id][1]:%d.%m.%Y}")
                continue
        caseworker_ids = tuple(database_id(c) for c in placement.caseworkers)
        cal.place(meeting, placement.start, caseworker_ids)
        plan.moves.append(Move(meeting.booking.id, placement.start, caseworker_ids,
                               meeting.booking.starts_at,
                               tuple(link.caseworker_id for link in meeting.booking.caseworker_links)))
    for item in solution.unplaced:
        meeting = by_ident[item.meeting]
        rooms = item.reason.params.get("rooms", [])
        if rooms and all(str(r).startswith("citizen") for r in rooms):
            first, last = windows[meeting.booking.id]
            reasons[meeting.booking.id] = CITIZEN_BUSY_DA.format(
                caseworkers=", ".join(names.get(c, c) for c in item.reason.params.get("caseworkers", [])),
                first=f"{first:%d.%m.%Y}", last=f"{last:%d.%m.%Y}")
        else:
            reasons[meeting.booking.id] = reason_text(item.reason, names)
    return reasons


def plan(job_centre_id: int, bookings: Sequence[Booking], *, now: datetime,
         time_limit: float | None = None) -> Plan:
    """The moves and the meetings left over, without changing anything (the dry run)."""
    started = clock_time.perf_counter()
    result = Plan()
    bookings = [b for b in bookings if b.job_centre_id == job_centre_id
                and b.status == BookingStatus.BOOKED and b.starts_at > now]
    if not bookings:
        return result
    granularity = granularity_setting()
    limit = TIME_LIMIT_SECONDS if time_limit is None else time_limit
    meetings, result.left = _meetings(job_centre_id, bookings, now)
    cal = _Calendar(meetings, now)
    rest = _same_time(meetings, cal, result)
    same_day = {m.booking.id: (m.booking.starts_at.date(), m.booking.starts_at.date()) for m in rest}
    reasons = _optimiser_pass(rest, same_day, cal, result, granularity, limit)
    moved = {move.booking_id for move in result.moves}
    rest = [m for m in rest if m.booking.id not in moved]
    tomorrow = now.date() + _DAY
    later = {m.booking.id: (max(m.first, tomorrow), m.last) for m in rest
             if m.last >= max(m.first, tomorrow)}
    reasons |= _optimiser_pass(rest, later, cal, result, granularity, limit)
    moved = {move.booking_id for move in result.moves}
    for meeting in rest:
        if meeting.booking.id in moved:
            continue
        callin_ids = tuple(c.id for c in meeting.callins)
        if not meeting.callins:
            reason = NOT_FROM_CALLIN_DA.format(last=f"{meeting.last:%d.%m.%Y}")
        elif meeting.booking.id not in later:
            reason = DEADLINE_PASSED_DA.format(deadline=f"{meeting.last:%d.%m.%Y}")
        elif not meeting.candidates:
            reason = "Ingen af indkaldelsens sagsbehandlere er stadig på teamet og kan modtage indkaldelser."
        else:
            reason = reasons.get(meeting.booking.id, DEFAULT_REASON_DA)
        result.left.append(Left(meeting.booking.id, reason, callin_ids))
    result.moves.sort(key=lambda move: (move.old_starts_at, move.booking_id))
    result.left.sort(key=lambda item: item.booking_id)
    result.seconds = round(clock_time.perf_counter() - started, 3)
    return result


def publish(job_centre_id: int, bookings: Sequence[Booking], planned: Plan, *, now: datetime,
            actor: Any = None) -> Plan:
    """Carry out `planned` (the dry run shown) in the caller's transaction; flush only.

    The plan must cover exactly the meetings still hit, each once; otherwise the calendar
    has changed since the dry run and nothing is done. Every move goes through the booking
    writer, so it is re-checked under lock and sends its move letter and invitation; a
    meeting that cannot be moved is cancelled with the reason and its call-ins wait again.
    """
    by_id = {b.id: b for b in bookings if b.job_centre_id == job_centre_id
             and b.status == BookingStatus.BOOKED and b.starts_at > now}
    planned_ids = [m.booking_id for m in planned.moves] + [item.booking_id for item in planned.left]
    if not by_id:
        raise DomainError.of("replan_nothing", code="replan_nothing")
    if sorted(planned_ids) != sorted(by_id) or len(set(planned_ids)) != len(planned_ids):
        raise DomainError.of("replan_changed", code="replan_changed")
    # What goes back to the waiting list first: its time may be where a move lands.
    for item in planned.left:
        if not item.to_waiting:
            continue
        booking = by_id[item.booking_id]
        callins = list(db.session.scalars(select(CallIn).where(CallIn.booking_id == booking.id)))
        cancel_booking(booking, now=now, reason=item.reason, actor=actor)
        for callin in callins:
            callin.status = CallInStatus.WAITING
            callin.booking_id = None
            callin.unplaced_reason = item.reason[:500]
    members = _team_members({b.team_id for b in by_id.values()}, job_centre_id)
    for move in planned.moves:
        booking = by_id[move.booking_id]
        allowed = {c.id for c in members.get(booking.team_id, [])} | {
            link.caseworker_id for link in booking.caseworker_links}
        if not move.caseworker_ids or not set(move.caseworker_ids) <= allowed:
            raise DomainError.of("replan_changed", code="replan_changed")
        changed = dict(caseworker_ids=list(move.caseworker_ids))
        if move.starts_at != booking.starts_at:
            changed["starts_at"] = move.starts_at
        try:
            move_booking(booking, now=now, actor=actor, **changed)
        except DomainError as error:
            raise DomainError(f"{texts('replan_changed').da} {error.message_da}",
                              f"{texts('replan_changed').en} {error.message_en}",
                              code="replan_changed") from error
    db.session.flush()
    return planned
