"""Creating, moving and cancelling bookings without ever double booking (R-2.4, R-4.4).

Every write that takes caseworker or room time goes through here, so one place holds
the concurrency rule, in pretix's manner: lock the resources late and once per
transaction, in sorted order (no deadlocks), then re-check free time under the lock,
then write. On PostgreSQL the lock is `SELECT ... FOR UPDATE` on the caseworker and
room rows and the exclusion constraints are the last guard; on SQLite a no-op
`UPDATE` takes the database's single write lock, which serialises writers.

Callers commit. Each change is sent as the `booking_changed` signal after flushing,
so every side effect (letters, invitations, receipts, deadlines, the out-of-slots check,
R-6.7) hangs off one seam; the audit entries are written here, next to the change. The locks are in
locks.py, the request and its check in checks.py, the signal in events.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, bindparam, func, insert, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from webapp.booking.checks import MeetingRequest, RaceLost, SlotTaken, check_free, seats_for
from webapp.booking.events import booking_changed
from webapp.booking.locks import lock_booking, lock_resources, release_expired_reservations
from webapp.domain.errors import Conflict, DomainError
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Booking,
    BookingCaseworker,
    BookingOrigin,
    BookingParticipant,
    BookingStatus,
    Caseworker,
    Citizen,
    MeetingForm,
    Room,
)
from webapp.storage import audit
from webapp.storage.sql import prepared, rows as sql_rows


def _flush_guarded(*, savepoint: bool = True) -> None:
    """Flush; a PostgreSQL exclusion violation (a lost race) becomes `SlotTaken`.

    With a savepoint the transaction goes on after it; without one (cheaper: half the
    flush's cost on the booking path) it is `RaceLost` and the transaction is over.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.flush()
        return
    try:
        if not savepoint:
            db.session.flush()
            return
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        if "no_overlap" in str(exc.orig):
            raise (SlotTaken if savepoint else RaceLost).of("slot_taken", field="starts_at") from None
        raise


_BOOKING_COLUMNS = [c for c in Booking.__table__.c if c.name not in ("id", "created_at")]


@prepared
def _booking_rows(ids: Any) -> Any:
    bookings = Booking.__table__
    links, seats = BookingCaseworker.__table__, BookingParticipant.__table__
    new = (insert(bookings).values({c.name: bindparam(c.name, type_=c.type)
                                    for c in _BOOKING_COLUMNS})
           .returning(bookings.c.id, bookings.c.created_at).cte("new"))
    caseworkers = (func.unnest(bindparam("caseworkers", type_=ARRAY(Integer)))
                   .table_valued("id").render_derived("caseworkers"))
    citizens = (func.unnest(bindparam("citizens", type_=ARRAY(Integer)))
                .table_valued("id").render_derived("citizens"))
    busy = (insert(links).from_select(
        ["booking_id", "caseworker_id", "starts_at", "busy_until", "blocking"],
        select(new.c.id, caseworkers.c.id, bindparam("starts_at", type_=DateTime()),
               bindparam("busy_until", type_=DateTime()), true())
        .select_from(new.join(caseworkers, true())))
        .cte("busy"))
    attending = (insert(seats).from_select(
        ["booking_id", "citizen_id"],
        select(new.c.id, citizens.c.id).select_from(new.join(citizens, true())))
        .returning(seats.c.id, seats.c.citizen_id, seats.c.created_at).cte("attending"))
    return (select(new.c.id, new.c.created_at, attending.c.id, attending.c.citizen_id,
                   attending.c.created_at)
            .select_from(new).outerjoin(attending, true()).add_cte(busy))


def _insert_booking(values: dict[str, Any], caseworkers: list[Caseworker], citizen_ids: list[int],
                    busy_until: datetime, *, savepoint: bool) -> Booking:
    """PostgreSQL: the booking, its caseworkers' time and its participants in one statement.

    The session then holds the three kinds of rows as if it had loaded them. Three
    inserts through the unit of work cost the booking path a fifth of its time.
    A lost race is `SlotTaken` (with a savepoint) or `RaceLost`, as `_flush_guarded`.
    """
    unknown = values.keys() - {column.key for column in _BOOKING_COLUMNS}
    if unknown:
        raise TypeError(f"not columns of a booking: {', '.join(sorted(unknown))}")
    for column in _BOOKING_COLUMNS:
        if values.get(column.key) is None and column.default is not None \
                and column.default.is_scalar:
            values[column.key] = column.default.arg
    params = {column.name: values.get(column.key) for column in _BOOKING_COLUMNS}
    params |= {"caseworkers": [cw.id for cw in caseworkers], "citizens": citizen_ids,
               "busy_until": busy_until}
    try:
        if savepoint:
            with db.session.begin_nested():
                rows = sql_rows(_booking_rows(), params).all()
        else:
            rows = sql_rows(_booking_rows(), params).all()
    except IntegrityError as exc:
        if "no_overlap" in str(exc.orig):
            raise (SlotTaken if savepoint else RaceLost).of("slot_taken", field="starts_at") from None
        raise
    booking_id, created_at = rows[0][0], rows[0][1]
    booking = Booking(id=booking_id, created_at=created_at,
                      **{column.key: values.get(column.key) for column in _BOOKING_COLUMNS})
    booking.caseworker_links = [
        BookingCaseworker(booking_id=booking_id, caseworker_id=cw.id, caseworker=cw,
                          starts_at=values["starts_at"], busy_until=busy_until, blocking=True)
        for cw in caseworkers]
    by_citizen = {citizen: (seat_id, seat_created) for _, _, seat_id, citizen, seat_created in rows
                  if seat_id is not None}
    booking.participants = [
        BookingParticipant(id=by_citizen[citizen][0], booking_id=booking_id, citizen_id=citizen,
                           reserved_until=None, created_at=by_citizen[citizen][1])
        for citizen in citizen_ids]
    for obj in (booking, *booking.caseworker_links, *booking.participants):
        make_transient_to_detached(obj)
    db.session.add(booking)
    return booking


# ---------------------------------------------------------------------------
# Use cases
# ---------------------------------------------------------------------------

def _actor_event(actor: Any, citizen_event: AuditEvent, job_centre_event: AuditEvent) -> AuditEvent:
    return citizen_event if getattr(actor, "role", None) == "citizen" else job_centre_event


def create_booking(req: MeetingRequest, *, now: datetime, actor: Any = None,
                   reserve_for: timedelta | None = None,
                   working_time_checked: bool = False, savepoint: bool = True,
                   hints: dict[str, Any] | None = None,
                   rebooked_from: Booking | None = None) -> Booking:
    """Book (or, with `reserve_for`, reserve) a meeting; raises unless everything is free.

    The participants are `req.citizen_ids`; a group meeting seats up to the room's
    capacity + overbooking (R-1.4.3). `working_time_checked`: see `check_free`.
    `savepoint=False` is for callers whose transaction is this booking alone: the check
    under the lock is what counts, and should the database's constraint still refuse the
    booking, `RaceLost` ends the transaction.
    """
    # Lock first, then check once: the check under the lock is the one that counts, and
    # a citizen who loses a race is told the time was taken.
    locked = lock_resources(req.caseworker_ids, [req.room_id])
    caseworkers = {cw.id: cw for cw in check_free(
        req, now=now, race=req.origin == BookingOrigin.SELF_BOOKED,
        working_time_checked=working_time_checked, locked=locked, release_expired=True)}
    room = db.session.get(Room, req.room_id) if req.room_id is not None else None
    values = dict(
        job_centre_id=req.job_centre_id, team_id=req.team_id,
        conversation_type_id=req.conversation_type_id, variant_id=req.variant_id,
        meeting_form=req.meeting_form, holding_form_id=req.holding_form_id, room_id=req.room_id,
        offer_id=req.offer_id, template_id=req.template_id, starts_at=req.starts_at,
        ends_at=req.ends_at, reporting_minutes=req.reporting_minutes,
        seats=seats_for(req.meeting_form, room) if req.meeting_form == MeetingForm.GROUP else None,
        status=BookingStatus.RESERVED if reserve_for else BookingStatus.BOOKED,
        expires_at=now + reserve_for if reserve_for else None,
        origin=req.origin, cancellable_until=req.cancellable_until,
        rebookable_until=req.rebookable_until, description=req.description,
        message_to_caseworkers=req.message_to_caseworkers,
        created_by_user_id=_staff_id(actor), **req.extra)
    if db.session.get_bind().dialect.name == "postgresql":
        booking = _insert_booking(values, [caseworkers[cw_id] for cw_id in
                                           dict.fromkeys(req.caseworker_ids)],
                                  list(dict.fromkeys(req.citizen_ids)), req.busy_until,
                                  savepoint=savepoint)
    else:
        booking = Booking(**values)
        for cw_id in dict.fromkeys(req.caseworker_ids):
            booking.caseworker_links.append(BookingCaseworker(
                caseworker_id=cw_id, caseworker=caseworkers[cw_id], starts_at=req.starts_at,
                busy_until=req.busy_until))
        for citizen_id in dict.fromkeys(req.citizen_ids):
            booking.participants.append(BookingParticipant(citizen_id=citizen_id))
        db.session.add(booking)
        _flush_guarded(savepoint=savepoint)
    if not reserve_for:
        _audit_created(booking, actor)
        if rebooked_from is not None:
            _audit_rebooked(booking, rebooked_from, actor)
        booking_changed.send(booking, change="created", now=now, actor=actor,
                             previous=_from(rebooked_from), hints=hints or {})
    return booking


def _from(rebooked_from: Booking | None) -> dict[str, int] | None:
    return {"from": rebooked_from.id} if rebooked_from is not None else None


REBOOKED_FROM = "Fra samtale nr. {number}"  # read back by `selfbooking.meetings.moved_to`


def _audit_rebooked(booking: Booking, source: Booking, actor: Any) -> None:
    """A citizen's group seat moved from `source` to `booking` (R-1.7.3, R-1.9.1)."""
    audit.record(AuditEvent.BOOKING_MOVED_BY_CITIZEN, actor=actor, booking_id=booking.id,
                 citizen_id=getattr(actor, "id", None), job_centre_id=booking.job_centre_id,
                 details=REBOOKED_FROM.format(number=source.id))


def _staff_id(actor: Any) -> int | None:
    return actor.id if actor is not None and getattr(actor, "role", None) != "citizen" else None


def _audit_created(booking: Booking, actor: Any) -> None:
    centre = booking.job_centre_id
    audit.record_now([
        {"event": AuditEvent.BOOKING_CREATED, "booking_id": booking.id, "obj": booking},
        *({"event": AuditEvent.CASEWORKER_ATTACHED, "booking_id": booking.id,
           "caseworker_id": link.caseworker_id, "job_centre_id": centre}
          for link in booking.caseworker_links),
        *({"event": AuditEvent.CITIZEN_ATTACHED, "booking_id": booking.id,
           "citizen_id": participant.citizen_id, "job_centre_id": centre}
          for participant in booking.participants),
    ], actor=actor)


def confirm_reservation(booking: Booking, *, now: datetime, actor: Any = None) -> Booking:
    """Turn a live reservation into a booking (R-4.7); an expired one is gone."""
    booking = lock_booking(booking.id)
    if booking.status != BookingStatus.RESERVED or booking.expires_at is None \
            or booking.expires_at <= now:
        raise SlotTaken("Reservationen er udløbet. Vælg en tid igen.",
                        "The reservation has expired. Please choose a time again.",
                        code="reservation_expired")
    booking.status = BookingStatus.BOOKED
    booking.expires_at = None
    db.session.flush()
    _audit_created(booking, actor)
    booking_changed.send(booking, change="created", now=now, actor=actor, previous=None,
                         hints={})
    return booking


def request_for(booking: Booking, **changes: Any) -> MeetingRequest:
    """The request that would book `booking` again, with some fields changed."""
    req = MeetingRequest(
        job_centre_id=booking.job_centre_id, team_id=booking.team_id,
        conversation_type_id=booking.conversation_type_id, holding_form_id=booking.holding_form_id,
        caseworker_ids=[link.caseworker_id for link in booking.caseworker_links],
        starts_at=booking.starts_at,
        duration_minutes=int((booking.ends_at - booking.starts_at).total_seconds() // 60),
        origin=booking.origin, citizen_ids=[p.citizen_id for p in booking.participants],
        reporting_minutes=booking.reporting_minutes, meeting_form=booking.meeting_form,
        variant_id=booking.variant_id, room_id=booking.room_id, offer_id=booking.offer_id,
        template_id=booking.template_id)
    for key, value in changes.items():
        setattr(req, key, value)
    return req


def move_booking(booking: Booking, *, now: datetime, actor: Any = None,
                 starts_at: datetime | None = None, caseworker_ids: Sequence[int] | None = None,
                 room_id: int | None | object = ..., duration_minutes: int | None = None,
                 terms: tuple[datetime | None, datetime | None] | None = None) -> Booking:
    """Move a live booking to another time, caseworker(s) or room, re-checked under lock.

    The citizen's deadlines to cancel and rebook move with the meeting (R-4.5, R-4.9): by the
    same shift as its start, keeping "until the start" and "N days before" as they were, unless
    the caller gives the new `terms` (cancellable until, rebookable until) itself.
    """
    if booking.status != BookingStatus.BOOKED:
        raise DomainError("Kun bookede samtaler kan flyttes.", "Only booked meetings can be moved.",
                          code="not_movable")
    changes: dict[str, Any] = {}
    if starts_at is not None:
        changes["starts_at"] = starts_at
    if caseworker_ids is not None:
        changes["caseworker_ids"] = list(caseworker_ids)
    if room_id is not ...:
        changes["room_id"] = room_id
    if duration_minutes is not None:
        changes["duration_minutes"] = duration_minutes
    req = request_for(booking, **changes)
    by_citizen = getattr(actor, "role", None) == "citizen"
    audit.record(_actor_event(actor, AuditEvent.BOOKING_BEING_MOVED_BY_CITIZEN,
                              AuditEvent.BOOKING_BEING_MOVED_BY_JOB_CENTRE),
                 actor=actor, booking_id=booking.id, job_centre_id=booking.job_centre_id)
    lock_resources(set(req.caseworker_ids) | {link.caseworker_id for link in booking.caseworker_links},
                   [req.room_id, booking.room_id])
    release_expired_reservations(now, caseworker_ids=req.caseworker_ids, room_id=req.room_id)
    booking = lock_booking(booking.id)
    check_free(req, now=now, ignore_booking_ids=[booking.id], race=by_citizen)
    previous = {"starts_at": booking.starts_at, "ends_at": booking.ends_at,
                "caseworker_ids": [link.caseworker_id for link in booking.caseworker_links],
                "room_id": booking.room_id}
    before = audit.snapshot(booking)
    if terms is None:
        shift = req.starts_at - booking.starts_at
        terms = tuple(None if moment is None else moment + shift  # type: ignore[assignment]
                      for moment in (booking.cancellable_until, booking.rebookable_until))
    booking.cancellable_until, booking.rebookable_until = terms
    booking.starts_at, booking.ends_at, booking.room_id = req.starts_at, req.ends_at, req.room_id
    old_ids = set(previous["caseworker_ids"])
    new_ids = list(dict.fromkeys(req.caseworker_ids))
    for link in list(booking.caseworker_links):
        if link.caseworker_id not in new_ids:
            booking.caseworker_links.remove(link)
            audit.record(AuditEvent.CASEWORKER_DETACHED, actor=actor, booking_id=booking.id,
                         caseworker_id=link.caseworker_id, job_centre_id=booking.job_centre_id)
        else:
            link.starts_at, link.busy_until = req.starts_at, req.busy_until
    for cw_id in new_ids:
        if cw_id not in old_ids:
            booking.caseworker_links.append(BookingCaseworker(
                caseworker_id=cw_id, starts_at=req.starts_at, busy_until=req.busy_until))
            audit.record(AuditEvent.CASEWORKER_ATTACHED, actor=actor, booking_id=booking.id,
                         caseworker_id=cw_id, job_centre_id=booking.job_centre_id)
    booking.ics_sequence += 1
    _flush_guarded()
    audit.record(AuditEvent.BOOKING_MOVED_BY_CITIZEN if by_citizen
                 else AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE,
                 actor=actor, booking_id=booking.id, obj=booking, before=before,
                 after=audit.snapshot(booking))
    booking_changed.send(booking, change="moved", now=now, actor=actor, previous=previous,
                         hints={})
    return booking


def reassign_caseworker(booking: Booking, old_caseworker_id: int, new_caseworker_id: int, *,
                        now: datetime, actor: Any = None) -> Booking:
    """Give one caseworker's part of a booking to another who is free then (R-1.2.8)."""
    ids = [new_caseworker_id if link.caseworker_id == old_caseworker_id else link.caseworker_id
           for link in booking.caseworker_links]
    if old_caseworker_id not in {link.caseworker_id for link in booking.caseworker_links}:
        raise DomainError("Sagsbehandleren er ikke på samtalen.",
                          "The caseworker is not on the meeting.", code="not_on_booking")
    return move_booking(booking, now=now, actor=actor, caseworker_ids=ids)


def cancel_booking(booking: Booking, *, now: datetime, reason: str | None = None,
                   actor: Any = None, rebooked_to: Booking | None = None) -> Booking:
    """Cancel a booking: its time is free again at once; kept for the record (R-1.9.1).

    `rebooked_to`: the last citizen left this group meeting for that one (R-1.7.3).
    """
    booking = lock_booking(booking.id)
    if booking.status == BookingStatus.CANCELLED:
        raise DomainError.of("already_cancelled", code="already_cancelled")
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = (reason or "").strip()[:500] or None
    booking.expires_at = None
    booking.ics_sequence += 1
    for link in booking.caseworker_links:
        link.blocking = False
    db.session.flush()
    audit.record(_actor_event(actor, AuditEvent.BOOKING_CANCELLED_BY_CITIZEN,
                              AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE),
                 actor=actor, booking_id=booking.id, job_centre_id=booking.job_centre_id,
                 details=booking.cancel_reason)
    booking_changed.send(booking, change="cancelled", now=now, actor=actor,
                         previous={"to": rebooked_to.id} if rebooked_to is not None else None,
                         hints={})
    return booking


def seats_left(booking: Booking, now: datetime | None = None) -> int | None:
    """Free seats of a group meeting; with `now`, a seat hold past its time is free (R-4.7)."""
    if booking.seats is None:
        return None
    query = select(func.count()).select_from(BookingParticipant).where(
        BookingParticipant.booking_id == booking.id)
    if now is not None:
        query = query.where(or_(BookingParticipant.reserved_until.is_(None),
                                BookingParticipant.reserved_until > now))
    return booking.seats - (db.session.scalar(query) or 0)


def add_participant(booking: Booking, citizen: Citizen, *, now: datetime,
                    actor: Any = None, rebooked_from: Booking | None = None) -> Booking:
    """Seat a citizen at a group meeting; the last seat goes to exactly one (R-4.4).

    `rebooked_from`: the group meeting the citizen is leaving for this one (R-1.7.3).
    """
    booking = lock_booking(booking.id)
    if booking.status != BookingStatus.BOOKED or booking.meeting_form != MeetingForm.GROUP:
        raise DomainError("Der kan ikke tilmeldes flere til denne samtale.",
                          "No more citizens can join this meeting.", code="not_joinable")
    if any(p.citizen_id == citizen.id for p in booking.participants):
        raise Conflict("Borgeren er allerede tilmeldt.", "The citizen is already attending.",
                       code="already_attending")
    left = seats_left(booking, now)
    if left is not None and left <= 0:
        raise SlotTaken.of("no_seats", code="no_seats")
    booking.participants.append(BookingParticipant(citizen_id=citizen.id))
    db.session.flush()
    audit.record(AuditEvent.CITIZEN_ATTACHED, actor=actor, booking_id=booking.id,
                 citizen_id=citizen.id, job_centre_id=booking.job_centre_id)
    if rebooked_from is not None:
        _audit_rebooked(booking, rebooked_from, actor)
    booking_changed.send(booking, change="participants", now=now, actor=actor,
                         previous={"added": citizen.id} | (_from(rebooked_from) or {}), hints={})
    return booking


def remove_participant(booking: Booking, citizen: Citizen, *, now: datetime,
                       actor: Any = None, reason: str | None = None,
                       rebooked_to: Booking | None = None) -> Booking:
    """Take a citizen off a meeting; the last one off cancels it.

    `rebooked_to`: the group meeting the citizen moved to (R-1.7.3).
    """
    booking = lock_booking(booking.id)
    participant = next((p for p in booking.participants if p.citizen_id == citizen.id), None)
    if participant is None:
        raise DomainError("Borgeren er ikke tilmeldt samtalen.",
                          "The citizen is not attending the meeting.", code="not_attending")
    if len(booking.participants) == 1:
        return cancel_booking(booking, now=now, reason=reason, actor=actor,
                              rebooked_to=rebooked_to)
    booking.participants.remove(participant)
    db.session.flush()
    audit.record(AuditEvent.CITIZEN_DETACHED, actor=actor, booking_id=booking.id,
                 citizen_id=citizen.id, job_centre_id=booking.job_centre_id, details=reason)
    previous: dict[str, int] = {"removed": citizen.id}
    if rebooked_to is not None:
        previous["to"] = rebooked_to.id
    booking_changed.send(booking, change="participants", now=now, actor=actor,
                         previous=previous, hints={})
    return booking
