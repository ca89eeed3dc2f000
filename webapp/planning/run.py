"""The batch allocation: waiting list → optimiser instance → solution → re-checked bookings (R-3.2 to R-3.5).

One run for one job centre:

1. `prepare` reads the waiting call-ins and builds the optimiser's exchange document
   (`/work/shared/optimizer-format.md`): caseworkers' working time, breaks and busy time
   and the rooms' free time come from `webapp.calendar.availability`, closure days per
   meeting team through the team tree (R-1.3.2), group call-ins are merged into group
   meetings up to the room's seats.
2. `solve_prepared` runs `optimizer.solve` and refuses anything `optimizer.check` rejects.
3. `publish` books every placement through `webapp.booking.writer.create_booking`
   (lock, re-check, audit, `booking_changed` signal for the notifications of R-3.5) and
   updates the call-ins; a placement whose time a person took meanwhile is skipped and
   its call-ins stay waiting with the reason (R-3.3, R-3.4).

`run_allocation` ties these together under a per-job-centre lock and owns the
transactions: the read before solving is ended (so a long solve never holds a database
lock), and everything the run publishes — bookings, audit entries, outbox rows written
by signal receivers, call-in updates and the system log entry — commits together or
not at all (R-3.3).
"""

from __future__ import annotations

import fcntl
import re
import threading
import time as clock_time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

import optimizer
from webapp.clock import now_local
from webapp.domain.availability import from_utc
from webapp.domain.errors import Conflict, DomainError
from webapp.domain.intervals import Interval
from webapp.extensions import db
from webapp.models import (
    Booking,
    BookingOrigin,
    BookingStatus,
    CallIn,
    CallInStatus,
    CallInTemplate,
    Caseworker,
    JobCentre,
    LogLevel,
    MeetingForm,
    MembershipState,
    Room,
    SystemLogEntry,
    Team,
    TeamMembership,
)
from webapp.calendar import availability
from webapp.planning.reasons import REASON_LABELS_DA, reason_text
from webapp.booking.writer import (
    MeetingRequest,
    add_participant,
    booking_changed,
    create_booking,
    lock_resources,
)

LOG_CATEGORY = "allocation"
SCHEDULER_CATEGORY = "scheduler"
HORIZON_DAYS = 42
GRANULARITY_MINUTES = 15
# A room without a capacity seats everyone; the exchange format wants a number.
UNLIMITED_SEATS = 10_000
# First key of PostgreSQL's two-key advisory lock: "allocation of job centre <second key>".
ADVISORY_LOCK_NAMESPACE = 3_200_501
_DAY = timedelta(days=1)

Progress = Callable[[str, int, int], None]

class AllocationRunning(Conflict):
    code = "allocation_running"


class PlanningError(RuntimeError):
    """The optimiser's answer failed the independent check; nothing is published."""


# ---------------------------------------------------------------------------
# Building the instance
# ---------------------------------------------------------------------------

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


def _team_id(team_id: int) -> str:
    return f"team{team_id}"


def _db_id(exchange_id: str) -> int:
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


def _config(name: str, default: Any) -> Any:
    return current_app.config.get(name, default) if has_app_context() else default


def _candidates(callin: CallIn, team_members: dict[int, list[Caseworker]]) -> list[Caseworker]:
    """The call-in's caseworkers, or else the team's; only those who may receive call-ins (R-1.2.3)."""
    chosen = list(callin.caseworkers) or team_members.get(callin.team_id, [])
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
    horizon_days = horizon_days or int(_config("PLANNER_ALLOCATION_HORIZON_DAYS", HORIZON_DAYS))
    granularity = granularity_minutes or int(_config("PLANNER_ALLOCATION_GRANULARITY", GRANULARITY_MINUTES))
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
                                   "Ingen af indkaldelsens sagsbehandlere kan modtage indkaldelser.")
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
        "format": 1,
        "start_date": first_day.isoformat(),
        "end_date": last_day.isoformat(),
        "granularity_minutes": granularity,
        "teams": [{"id": _team_id(t), "closed_dates": sorted(
            d.isoformat() for d in availability.closed_dates(t, first_day, last_day))}
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
        "meetings": meetings,
    }
    names = {_cw_id(c.id): c.name for c in caseworkers.values()}
    names |= {_room_id(r.id): r.name for r in rooms.values()}
    names |= {_team_id(t.id): t.name for t in teams.values()}
    return Prepared(job_centre_id, now, document, meeting_callins, names, not_sent, len(callins), joins,
                    joins_weight)


def build_instance(job_centre_id: int, *, now: datetime, horizon_days: int | None = None) -> dict[str, Any]:
    """The optimiser's exchange document for the job centre's waiting list (R-3.2)."""
    return prepare(job_centre_id, now=now, horizon_days=horizon_days).document


def solve_prepared(prepared: Prepared, *, time_limit: float | None = None) -> optimizer.Solution:
    """Solve, then let the independent checker have the last word (R-3.2)."""
    instance = optimizer.parse_instance(prepared.document)
    if not instance.meetings:
        return optimizer.Solution([], [], {"placed": 0, "weighted_placed": 0, "upper_bound": 0,
                                           "seconds": 0.0, "solver": "none (nothing waiting)"})
    solution = optimizer.solve(instance, time_limit=time_limit)
    report = optimizer.check(instance, solution)
    if not report.feasible:
        raise PlanningError("the optimiser's solution failed the check: "
                            + "; ".join(str(v) for v in report.violations[:5]))
    return solution


# ---------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------

@dataclass
class Published:
    booking_ids: list[int] = field(default_factory=list)
    placed_callins: int = 0
    placed_meetings: int = 0
    joined: int = 0  # call-ins seated at existing group meetings
    weighted: float = 0.0  # placed call-ins weighted by priority
    taken_meanwhile: int = 0
    # call-in id -> (code, Danish reason) for everything left waiting
    unplaced: dict[int, tuple[str, str]] = field(default_factory=dict)


def _terms(template: CallInTemplate | None, starts_at: datetime) -> dict[str, datetime | None]:
    """Cancel/rebook limits of the booking from its template (R-4.9)."""
    if template is None:
        return {}
    notice = timedelta(days=template.rebooking_until_days or 0)
    return {"cancellable_until": starts_at - notice if template.accept_cancellation else None,
            "rebookable_until": starts_at - notice if template.accept_rebooking else None}


def _waiting_under_lock(callin_ids: list[int]) -> list[CallIn]:
    """The call-ins still waiting, re-read (and on PostgreSQL locked): a person may have acted."""
    query = (select(CallIn).where(CallIn.id.in_(callin_ids)).order_by(CallIn.id)
             .execution_options(populate_existing=True))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=CallIn)
    return [c for c in db.session.scalars(query)
            if c.status == CallInStatus.WAITING and c.booking_id is None]


def _request(callins: list[CallIn], placement: optimizer.model.Placement,
             template: CallInTemplate | None) -> MeetingRequest:
    head = callins[0]
    return MeetingRequest(
        job_centre_id=head.job_centre_id, team_id=head.team_id,
        conversation_type_id=head.conversation_type_id, holding_form_id=head.holding_form_id,
        caseworker_ids=[_db_id(c) for c in placement.caseworkers], starts_at=placement.start,
        duration_minutes=head.duration_minutes, origin=BookingOrigin.CALLED_IN,
        citizen_ids=[c.citizen_id for c in callins], reporting_minutes=head.reporting_minutes,
        meeting_form=head.meeting_form, variant_id=head.variant_id,
        room_id=_db_id(placement.room) if placement.room else None, template_id=head.template_id,
        description=head.description,
        message_to_caseworkers=template.message_to_caseworkers if template is not None else None,
        **_terms(template, placement.start))


def publish(prepared: Prepared, solution: optimizer.Solution, *, now: datetime, actor: Any = None,
            progress: Progress | None = None) -> Published:
    """Book the solution's placements and update the waiting list; flush only, the caller commits.

    Each placement goes through `create_booking`, which locks the caseworkers and the room,
    re-checks their free time against the database as it is now and writes the booking,
    its audit entries and the `booking_changed` signal (R-3.5). A clash with a booking a
    person made during the run is skipped: their booking wins and the call-ins stay
    waiting with the reason (R-3.3). Any other error propagates, so the caller rolls the
    whole run back.
    """
    result = Published(unplaced=dict(prepared.not_sent))
    for item in solution.unplaced:
        code, reason = str(item.reason.code), reason_text(item.reason, prepared.names)
        for callin_id in prepared.meetings.get(item.meeting, []):
            result.unplaced[callin_id] = (code, reason)

    placements = sorted(solution.placements, key=lambda p: (p.start, p.meeting))
    all_callins = {c.id: c for c in db.session.scalars(
        select(CallIn).where(CallIn.id.in_([i for ids in prepared.meetings.values() for i in ids])))}
    template_ids = {c.template_id for c in all_callins.values() if c.template_id is not None}
    templates = {t.id: t for t in db.session.scalars(
        select(CallInTemplate).where(CallInTemplate.id.in_(template_ids)))}
    # Lock every caseworker and room of the run once, in sorted order, before the first
    # booking (pretix's manner): no deadlock with people booking meanwhile, and on SQLite
    # it takes the single write lock up front instead of upgrading a read lock later.
    lock_resources({_db_id(c) for p in placements for c in p.caseworkers},
                   {_db_id(p.room) for p in placements if p.room})

    created: list[Any] = []

    def remember(sender: Any, **_: Any) -> None:
        created.append(sender)

    booking_changed.connect(remember)
    try:
        for callin_id, booking_id in sorted(prepared.joins.items()):
            _join(callin_id, booking_id, now=now, actor=actor, result=result, created=created)
        for index, placement in enumerate(placements, start=1):
            callin_ids = prepared.meetings[placement.meeting]
            callins = _waiting_under_lock(callin_ids)
            if callins:
                _check_window(placement, callins)
                head = callins[0]
                request = _request(callins, placement, templates.get(head.template_id))
                before = len(created)
                try:
                    booking = create_booking(request, now=now, actor=actor)
                except DomainError as error:
                    if len(created) != before:
                        raise  # the booking exists already: never leave it half done
                    if error.code == "citizen_busy":
                        # The optimiser does not see the citizens' own meetings; the
                        # booking service does. The next run tries another time.
                        code = "citizen_busy"
                        reason = (f"Tiden {placement.start:%d.%m.%Y %H:%M} passer ikke borgeren: "
                                  f"{error.message_da}")
                    else:
                        code = "taken_meanwhile"
                        reason = (f"Tiden {placement.start:%d.%m.%Y %H:%M} blev optaget, mens "
                                  f"planlægningen kørte: {error.message_da}")
                        result.taken_meanwhile += 1
                    for callin in callins:
                        result.unplaced[callin.id] = (code, reason)
                else:
                    for callin in callins:
                        callin.status = CallInStatus.PLACED
                        callin.booking_id = booking.id
                        callin.unplaced_reason = None
                        result.unplaced.pop(callin.id, None)
                    result.booking_ids.append(booking.id)
                    result.placed_meetings += 1
                    result.placed_callins += len(callins)
                    result.weighted += sum(c.priority for c in callins)
            if progress is not None:
                progress("publish", index, len(placements))
    finally:
        booking_changed.disconnect(remember)

    for callin_id, (_code, reason) in result.unplaced.items():
        callin = all_callins.get(callin_id) or db.session.get(CallIn, callin_id)
        if callin is not None and callin.status == CallInStatus.WAITING and callin.booking_id is None:
            callin.unplaced_reason = reason[:500]
    db.session.flush()
    return result


def _join(callin_id: int, booking_id: int, *, now: datetime, actor: Any, result: Published,
          created: list[Any]) -> None:
    """Seat a waiting group call-in at an existing group meeting; the seat is counted under lock."""
    callins = _waiting_under_lock([callin_id])
    booking = db.session.get(Booking, booking_id)
    if not callins or booking is None:
        return
    callin = callins[0]
    before = len(created)
    try:
        add_participant(booking, callin.citizen, now=now, actor=actor)
    except DomainError as error:
        if len(created) != before:
            raise
        result.taken_meanwhile += 1
        result.unplaced[callin.id] = ("taken_meanwhile", (
            f"Pladsen på fællesmødet {booking.starts_at:%d.%m.%Y %H:%M} blev taget, mens "
            f"planlægningen kørte: {error.message_da}"))
        return
    callin.status = CallInStatus.PLACED
    callin.booking_id = booking.id
    callin.unplaced_reason = None
    result.placed_callins += 1
    result.weighted += callin.priority
    result.joined += 1
    result.unplaced.pop(callin.id, None)


def _check_window(placement: optimizer.model.Placement, callins: list[CallIn]) -> None:
    """Never after the deadline, never before the earliest date (R-3.2); the checker agrees."""
    day = placement.start.date()
    for callin in callins:
        if not callin.earliest_date <= day <= callin.deadline_date:
            raise PlanningError(f"placement of {placement.meeting} on {day} lies outside call-in "
                                f"{callin.id}'s window {callin.earliest_date}..{callin.deadline_date}")


# ---------------------------------------------------------------------------
# One allocation per job centre at a time
# ---------------------------------------------------------------------------

_local_locks: dict[tuple[str, int], threading.Lock] = defaultdict(threading.Lock)


@contextmanager
def allocation_lock(job_centre_id: int) -> Iterator[bool]:
    """Yield True while this process holds the job centre's allocation lock, else False.

    PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of
    its own, held from reading the waiting list to the commit. Another process (a second
    scheduler, `flask allocate`, the admin button) gets False at once instead of waiting.
    The server drops the lock when the connection dies, so a crashed run never blocks the
    next one. A transaction-level `pg_advisory_xact_lock` would not do: the solve happens
    between two transactions, and the lock must cover it.

    SQLite: the same guarantee from an exclusive `flock` on a file next to the database
    file; the operating system drops it when the process dies. The database's own single
    write lock is no substitute: holding it through a solve would stop every other writer.
    An in-memory database lives in one process, so a process-local lock suffices there.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        connection = engine.connect()
        keys = {"ns": ADVISORY_LOCK_NAMESPACE, "id": job_centre_id}
        try:
            acquired = bool(connection.execute(text("SELECT pg_try_advisory_lock(:ns, :id)"), keys).scalar())
            connection.commit()
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), keys)
                    connection.commit()
        except BaseException:
            connection.invalidate()  # closing the session releases the lock for sure
            raise
        finally:
            connection.close()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        lock = _local_locks[(str(engine.url), job_centre_id)]
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
        return
    path = Path(f"{database}.allocation-{job_centre_id}.lock")
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

@dataclass
class AllocationResult:
    job_centre_id: int
    job_centre: str
    status: str  # "published", "dry_run" or "skipped"
    waiting: int = 0
    meetings: int = 0
    placed: int = 0  # call-ins placed (or, in a dry run, that would be)
    placed_meetings: int = 0
    joined: int = 0  # call-ins seated at existing group meetings (not in placed_meetings)
    weighted_placed: float = 0.0
    upper_bound: float | None = None
    unplaced_by_reason: dict[str, int] = field(default_factory=dict)  # Danish label -> call-ins
    unplaced: dict[int, str] = field(default_factory=dict)  # call-in id -> Danish reason
    taken_meanwhile: int = 0
    seconds: float = 0.0
    solve_seconds: float = 0.0
    solver: str = ""
    booking_ids: list[int] = field(default_factory=list)
    log_entry_id: int | None = None
    dry_run: bool = False
    message: str = ""

    def figures(self, trigger: str, run_key: str | None) -> dict[str, Any]:
        return {
            "job_centre": self.job_centre, "trigger": trigger, "run_key": run_key,
            "waiting": self.waiting, "meetings": self.meetings, "placed": self.placed,
            "placed_meetings": self.placed_meetings, "joined": self.joined,
            "weighted_placed": self.weighted_placed,
            "upper_bound": self.upper_bound, "unplaced": len(self.unplaced),
            "unplaced_by_reason": self.unplaced_by_reason, "taken_meanwhile": self.taken_meanwhile,
            "seconds": self.seconds, "solve_seconds": self.solve_seconds, "solver": self.solver,
            "booking_ids": self.booking_ids,
        }


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 3)


def _summary_da(result: AllocationResult) -> str:
    if not result.waiting:
        return f"Planlægning for {result.job_centre}: ingen ventende indkaldelser ({result.seconds:.1f} s)."
    bound = "" if result.upper_bound is None else f", øvre grænse {result.upper_bound}"
    meanwhile = (f", {result.taken_meanwhile} tider taget af andre under kørslen"
                 if result.taken_meanwhile else "")
    joined = f" og {result.joined} på eksisterende fællesmøder" if result.joined else ""
    return (f"Planlægning for {result.job_centre}: {result.placed} af {result.waiting} ventende "
            f"indkaldelser placeret i {result.placed_meetings} nye samtaler{joined}{bound}{meanwhile} "
            f"({result.seconds:.1f} s).")


def _already_ran(job_centre_id: int, run_key: str) -> bool:
    recent = db.session.scalars(
        select(SystemLogEntry).where(SystemLogEntry.category == LOG_CATEGORY,
                                     SystemLogEntry.job_centre_id == job_centre_id,
                                     SystemLogEntry.level == LogLevel.INFO)
        .order_by(SystemLogEntry.id.desc()).limit(50))
    return any((entry.figures or {}).get("run_key") == run_key for entry in recent)


def _session_is_clean() -> bool:
    session = db.session
    return not (session.new or session.dirty or session.deleted)


def run_allocation(job_centre_id: int, *, now: datetime, dry_run: bool = False,
                   time_limit: float | None = None, actor: Any = None,
                   progress: Progress | None = None, trigger: str = "manual",
                   run_key: str | None = None, horizon_days: int | None = None) -> AllocationResult:
    """Place the job centre's waiting list now; all placements commit together or none (R-3.3).

    Commits its own transactions, so call it with nothing pending in the session. Raises
    `AllocationRunning` when another run holds the job centre. With `run_key`, a run that
    finds a published run with the same key (e.g. tonight's) does nothing ("skipped").
    Every published run writes a system log entry with its figures (R-1.10.1); a run that
    fails is rolled back, logged as an error, and the error is raised again.
    """
    if not _session_is_clean():
        raise RuntimeError("run_allocation commits its own transactions: commit or roll back first")
    started = clock_time.perf_counter()
    job_centre = db.session.get(JobCentre, job_centre_id)
    if job_centre is None:
        raise DomainError("Jobcentret findes ikke.", "The job centre does not exist.", code="not_found")
    name = job_centre.name
    result = AllocationResult(job_centre_id, name, "dry_run" if dry_run else "published", dry_run=dry_run)
    if time_limit is None:
        time_limit = _config("PLANNER_ALLOCATION_TIME_LIMIT", None)
    with allocation_lock(job_centre_id) as acquired:
        if not acquired:
            raise AllocationRunning(f"Der kører allerede en planlægning for {name}.",
                                    f"An allocation for {name} is already running.")
        try:
            if run_key is not None and _already_ran(job_centre_id, run_key):
                db.session.rollback()
                result.status = "skipped"
                result.message = f"Planlægningen {run_key} for {name} er allerede kørt."
                return result
            if progress is not None:
                progress("build", 0, 1)
            prepared = prepare(job_centre_id, now=now, horizon_days=horizon_days)
            # End the read: a long solve must not hold a lock (SQLite) or a snapshot.
            db.session.rollback()
            if progress is not None:
                progress("build", 1, 1)
                progress("solve", 0, 1)
            solution = solve_prepared(prepared, time_limit=time_limit)
            if progress is not None:
                progress("solve", 1, 1)
            stats = solution.stats
            result.waiting = prepared.waiting
            result.meetings = len(prepared.document["meetings"])
            bound = stats.get("upper_bound")
            # Seats at existing group meetings come on top of what the optimiser can place.
            result.upper_bound = None if bound is None else _number(float(bound) + prepared.joins_weight)
            result.solve_seconds = round(float(stats.get("seconds", 0.0)), 3)
            result.solver = str(stats.get("solver", ""))
            if dry_run:
                _dry_run_figures(result, prepared, solution)
            else:
                published = publish(prepared, solution, now=now, actor=actor, progress=progress)
                _published_figures(result, published)
            result.seconds = round(clock_time.perf_counter() - started, 3)
            result.message = _summary_da(result)
            if dry_run:
                db.session.rollback()
                return result
            entry = SystemLogEntry(occurred_at=now, level=LogLevel.INFO, category=LOG_CATEGORY,
                                   message=result.message,
                                   figures=result.figures(trigger, run_key), job_centre_id=job_centre_id)
            db.session.add(entry)
            db.session.flush()
            result.log_entry_id = entry.id
            db.session.commit()
            return result
        except Exception as error:
            db.session.rollback()
            if not dry_run:
                _log_failure(job_centre_id, name, error, trigger, run_key, now,
                             round(clock_time.perf_counter() - started, 3))
            raise


def _count_reasons(unplaced: Mapping[int, tuple[str, str]]) -> dict[str, int]:
    counts = Counter(REASON_LABELS_DA.get(code, code) for code, _ in unplaced.values())
    return dict(counts.most_common())


def _dry_run_figures(result: AllocationResult, prepared: Prepared, solution: optimizer.Solution) -> None:
    unplaced = dict(prepared.not_sent)
    for item in solution.unplaced:
        code_reason = (str(item.reason.code), reason_text(item.reason, prepared.names))
        for callin_id in prepared.meetings.get(item.meeting, []):
            unplaced[callin_id] = code_reason
    weights = {m["id"]: m["priority"] for m in prepared.document["meetings"]}
    result.placed_meetings = len(solution.placements)
    result.joined = len(prepared.joins)
    result.placed = sum(len(prepared.meetings[p.meeting]) for p in solution.placements) + result.joined
    result.weighted_placed = _number(sum(weights[p.meeting] for p in solution.placements) + prepared.joins_weight) or 0
    result.unplaced = {i: reason for i, (_c, reason) in unplaced.items()}
    result.unplaced_by_reason = _count_reasons(unplaced)


def _published_figures(result: AllocationResult, published: Published) -> None:
    result.placed = published.placed_callins
    result.placed_meetings = published.placed_meetings
    result.joined = published.joined
    result.booking_ids = published.booking_ids
    result.taken_meanwhile = published.taken_meanwhile
    result.weighted_placed = _number(published.weighted) or 0
    result.unplaced = {i: reason for i, (_c, reason) in published.unplaced.items()}
    result.unplaced_by_reason = _count_reasons(published.unplaced)


def _log_failure(job_centre_id: int, name: str, error: Exception, trigger: str,
                 run_key: str | None, now: datetime, seconds: float) -> None:
    message = (f"Planlægningen for {name} fejlede og blev rullet tilbage; intet er offentliggjort: "
               f"{type(error).__name__}: {error}")
    try:
        db.session.add(SystemLogEntry(occurred_at=now, level=LogLevel.ERROR, category=LOG_CATEGORY, message=message[:4000],
                                      figures={"job_centre": name, "trigger": trigger, "run_key": run_key,
                                               "error": type(error).__name__, "seconds": seconds},
                                      job_centre_id=job_centre_id))
        db.session.commit()
    except Exception:  # the database itself may be what failed; the caller sees the first error
        db.session.rollback()


# ---------------------------------------------------------------------------
# For the About page and the admin
# ---------------------------------------------------------------------------

def recent_runs(job_centre_id: int | None, limit: int = 20) -> list[SystemLogEntry]:
    """Latest allocation runs (all job centres when `job_centre_id` is None)."""
    query = select(SystemLogEntry).where(SystemLogEntry.category == LOG_CATEGORY)
    if job_centre_id is not None:
        query = query.where(SystemLogEntry.job_centre_id == job_centre_id)
    return list(db.session.scalars(query.order_by(SystemLogEntry.id.desc()).limit(limit)))


def last_run(job_centre_id: int | None = None) -> SystemLogEntry | None:
    """The latest allocation run of the job centre (or of any), failed ones included."""
    runs = recent_runs(job_centre_id, limit=1)
    return runs[0] if runs else None


@dataclass
class SchedulerStatus:
    running: bool
    message_da: str
    started_at: datetime | None = None
    jobs: list[tuple[str, datetime | None]] = field(default_factory=list)


def scheduler_status(*, now: datetime | None = None) -> SchedulerStatus:
    """Whether the scheduler process is up, from its log entries and its job store (R-1.12.1).

    `flask scheduler run` logs when it starts and stops; a process that died without
    stopping leaves its jobs overdue in the job store, which counts as not running.
    """
    now = now or now_local()
    latest = db.session.scalar(select(SystemLogEntry).where(SystemLogEntry.category == SCHEDULER_CATEGORY)
                               .order_by(SystemLogEntry.id.desc()).limit(1))
    jobs: list[tuple[str, datetime | None]] = []
    if sa_inspect(db.engine).has_table("apscheduler_jobs"):
        for job_id, next_run in db.session.execute(text("SELECT id, next_run_time FROM apscheduler_jobs ORDER BY id")):
            when = None if next_run is None else from_utc(datetime.fromtimestamp(float(next_run), UTC))
            jobs.append((job_id, when))
    started = latest is not None and (latest.figures or {}).get("state") == "started"
    overdue = any(when is not None and when < now - timedelta(minutes=15) for _id, when in jobs)
    if latest is None:
        return SchedulerStatus(False, "Ikke startet (start det med flask scheduler run).", jobs=jobs)
    if started and not overdue:
        return SchedulerStatus(True, f"Kører (startet {latest.occurred_at:%d.%m.%Y %H:%M}).",
                               latest.occurred_at, jobs)
    if started:
        return SchedulerStatus(False, "Svarer ikke: jobbene er forsinket. Start flask scheduler run igen.",
                               latest.occurred_at, jobs)
    return SchedulerStatus(False, f"Stoppet {latest.occurred_at:%d.%m.%Y %H:%M}.", latest.occurred_at, jobs)


def job_centre_ids() -> list[int]:
    return list(db.session.scalars(select(JobCentre.id).order_by(JobCentre.id)))


__all__ = [
    "AllocationResult", "AllocationRunning", "PlanningError", "Prepared", "Published", "REASON_LABELS_DA",
    "SchedulerStatus", "allocation_lock", "build_instance", "job_centre_ids", "last_run", "prepare",
    "publish", "recent_runs", "run_allocation", "scheduler_status", "solve_prepared", "reason_text",
]
