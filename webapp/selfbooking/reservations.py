"""Citizen self-booking: slots of an offer, reserve → confirm, cancel, rebook (R-4.2 – R-4.7, R-1.7.3).

All writes go through `webapp.booking.writer` (locks, re-check under lock, the
exclusion constraints); this module adds the offer's rules on top: who may book what,
when, with whom, and until when they may cancel or rebook. A lost race always ends as
`SlotTaken` ("taken, choose another", HTTP 409). Callers commit, then call
`out_of_slots.refresh_out_of_slots` (R-4.6) after the commit.

A reservation (R-4.7) of an individual meeting, or of a new group meeting, is a booking
in status `reserved`; a reservation of a seat at an existing group meeting is a
participant row with `reserved_until`. Both are held for `hold` for that citizen only
and free themselves when they expire.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, delete, func, literal, null, or_, select

from webapp.config import setting
from webapp.domain.availability import offer_slots
from webapp.domain.errors import Conflict, DomainError, NotFound
from webapp.extensions import db
from webapp.models import (AuditEvent, Booking, BookingCaseworker, BookingOrigin,
                           BookingParticipant, BookingStatus, Caseworker, Citizen, DeadlineStatus,
                           MeetingForm, MembershipState, OnlineOffer, Room, SelfBookingDeadline,
                           TeamMembership, offer_caseworkers)
from webapp.storage import audit
from webapp.selfbooking import deadlines
from webapp.selfbooking import offers
from webapp.messaging import receipts
from webapp.domain.intervals import covers
from webapp.calendar.availability import (caseworker_busy, caseworkers_free,
                                          free_caseworkers_at,
                                          live_booking_filter, room_free)
from webapp.storage.sql import prepared, rows as sql_rows
from webapp.booking import terms as booking_terms
from webapp.booking.writer import (RaceLost, SlotTaken, add_participant, cancel_booking, confirm_reservation,
                                     create_booking, lock_booking, move_booking, MeetingRequest,
                                     remove_participant, seats_for)

GRANULARITY_MINUTES = 15

EXPIRED_DA = "Reservationen er udløbet eller findes ikke. Vælg en tid igen."
EXPIRED_EN = "The reservation has expired or does not exist. Please choose a time again."


@dataclass(frozen=True)
class Slot:
    """A bookable start: who is free then, or the group meeting to join and its seats left."""

    starts_at: datetime
    ends_at: datetime
    caseworker_ids: tuple[int, ...]
    session_id: int | None = None
    seats_left: int | None = None


@dataclass(frozen=True)
class Reservation:
    """A held slot (R-4.7); `id` is "b<booking id>" or "s<participant id>" (a group seat)."""

    id: str
    booking: Booking
    expires_at: datetime | None
    #: The offer's other caseworkers found free at the same start (individual meetings):
    #: the cheap first look of the out-of-slots check after the commit (R-4.6).
    others_free: tuple[int, ...] = ()
    #: The citizen's open deadlines of the offer's conversation type, found with their
    #: bookings in the offer (R-4.8); None when they were not looked up.
    open_deadlines: tuple[int, ...] | None = None


# ---------------------------------------------------------------------------
# Slots
# ---------------------------------------------------------------------------

@prepared
def _offer_memberships(ids: Any) -> Any:
    return (select(Caseworker.id, TeamMembership.team_id, TeamMembership.state)
            .join(offer_caseworkers, offer_caseworkers.c.caseworker_id == Caseworker.id)
            .outerjoin(TeamMembership, TeamMembership.caseworker_id == Caseworker.id)
            .where(offer_caseworkers.c.offer_id == bindparam("offer", type_=Integer()),
                   Caseworker.can_be_assigned_callins)
            .order_by(Caseworker.name, Caseworker.id))


def bookable_caseworker_ids(offer: OnlineOffer) -> list[int]:
    """The offer's caseworkers who take new self-bookings, ordered by name.

    A caseworker closed in the offer's team with "keep meetings" (R-1.2.8), or with no
    active team at all, keeps their meetings but gets no new ones; one who may not be
    assigned call-ins exists only for imported appointments and gets none (R-1.2.3).
    One query of plain rows: this runs on every booking.
    """
    active: set[int] = set()
    closed: set[int] = set()
    ids: list[int] = []
    for cw, team_id, state in sql_rows(_offer_memberships(), {"offer": offer.id}):
        if not ids or ids[-1] != cw:
            ids.append(cw)
        if state == MembershipState.ACTIVE:
            active.add(cw)
        elif team_id == offer.team_id:
            closed.add(cw)
    return [cw for cw in ids if cw in active and cw not in closed]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _live_seat_counts(booking_ids: Collection[int], now: datetime) -> dict[int, int]:
    """Participants per booking: attending ones and seat holds not yet expired."""
    if not booking_ids:
        return {}
    rows = db.session.execute(
        select(BookingParticipant.booking_id, func.count())
        .where(BookingParticipant.booking_id.in_(booking_ids),
               or_(BookingParticipant.reserved_until.is_(None),
                   BookingParticipant.reserved_until > now))
        .group_by(BookingParticipant.booking_id))
    return {booking_id: count for booking_id, count in rows}


def _group_sessions(offer: OnlineOffer, first: date, last: date, now: datetime,
                    ignore_booking_ids: Collection[int]) -> list[Slot]:
    """Existing group meetings of the offer in [first, last] that still have a seat."""
    query = select(Booking).where(
        Booking.offer_id == offer.id, Booking.meeting_form == MeetingForm.GROUP,
        Booking.status == BookingStatus.BOOKED, Booking.starts_at >= _day_start(first),
        Booking.starts_at < _day_start(last + timedelta(days=1)),
        Booking.starts_at >= _day_start(now.date() + timedelta(days=1)))
    if ignore_booking_ids:
        query = query.where(Booking.id.not_in(ignore_booking_ids))
    sessions = db.session.scalars(query.order_by(Booking.starts_at)).all()
    counts = _live_seat_counts([s.id for s in sessions], now)
    out = []
    for session in sessions:
        left = None if session.seats is None else session.seats - counts.get(session.id, 0)
        if left is None or left > 0:
            ids = db.session.scalars(select(BookingCaseworker.caseworker_id).where(
                BookingCaseworker.booking_id == session.id)).all()
            out.append(Slot(session.starts_at, session.ends_at, tuple(sorted(ids)),
                            session_id=session.id, seats_left=left))
    return out


def list_slots(offer: OnlineOffer, *, now: datetime, first: date | None = None,
               last: date | None = None, caseworker_id: int | None = None,
               ignore_booking_ids: Collection[int] = ()) -> list[Slot]:
    """Bookable slots of the offer from tomorrow on up to its end date (R-4.2, R-4.3).

    Free time comes from the availability service (R-2.2). Individual meetings list the
    caseworkers free at each start (the citizen may pick one where the offer allows it);
    group meetings list existing meetings with seats left plus new starts where every
    caseworker and the room are free. `first`/`last` narrow the window.
    """
    span = offers.window(offer, now.date())
    if span is None:
        return []
    first = max(span[0], first or span[0])
    last = min(span[1], last or span[1])
    if first > last:
        return []
    group = offer.meeting_form == MeetingForm.GROUP
    ids = bookable_caseworker_ids(offer)
    if group and len(ids) != len(offer.caseworkers):
        ids = []        # a group meeting needs all of them
    if caseworker_id is not None and not group:
        ids = [caseworker_id] if caseworker_id in ids else []
    slots: list[Slot] = []
    if group:
        slots += _group_sessions(offer, first, last, now, ignore_booking_ids)
    if ids:
        free = caseworkers_free(ids, first, last, team_id=offer.team_id, now=now,
                                ignore_booking_ids=ignore_booking_ids)
        room = room_free(offer.room_id, first, last, now=now,
                         ignore_booking_ids=ignore_booking_ids) if offer.room_id else None
        duration = timedelta(minutes=offer.duration_minutes)
        starts = offer_slots(free, duration=duration,
                             reporting=timedelta(minutes=offer.reporting_minutes or 0),
                             granularity_minutes=GRANULARITY_MINUTES, today=now.date(),
                             room_free=room, group=group)
        seats = None
        if group:
            seats = seats_for(MeetingForm.GROUP, db.session.get(Room, offer.room_id)
                              if offer.room_id else None)
        slots += [Slot(start, start + duration, who, seats_left=seats) for start, who in starts]
    slots.sort(key=lambda s: (s.starts_at, s.session_id is None))
    return slots


def has_free_slot(offer: OnlineOffer, *, now: datetime, near: datetime | None = None,
                  caseworker_id: int | None = None, others_free: Iterable[int] = ()) -> bool:
    """Whether any slot is left (R-4.6).

    Cheap places are tried first: `near` itself for `others_free` (caseworkers whose
    working time was found to cover that start moments ago: only their bookings are
    looked up), the day of `near` for `caseworker_id` alone, then that day for everyone;
    only when all are full is the whole window computed.
    """
    span = offers.window(offer, now.date())
    if span is None:
        return False
    if near is not None and span[0] <= near.date() <= span[1]:
        others = list(others_free)
        if others and offer.meeting_form == MeetingForm.INDIVIDUAL:
            busy_until = near + timedelta(minutes=offer.duration_minutes
                                          + (offer.reporting_minutes or 0))
            busy = caseworker_busy(others, near, busy_until, now=now)
            if any(not busy.get(cw) for cw in others):
                return True
        day = near.date()
        if caseworker_id is not None and offer.meeting_form == MeetingForm.INDIVIDUAL and \
                list_slots(offer, now=now, first=day, last=day, caseworker_id=caseworker_id):
            return True
        if list_slots(offer, now=now, first=day, last=day):
            return True
    return bool(list_slots(offer, now=now))


# ---------------------------------------------------------------------------
# Shared checks
# ---------------------------------------------------------------------------

def terms_for(offer: OnlineOffer, starts_at: datetime) -> tuple[datetime | None, datetime | None]:
    """(cancellable until, rebookable until) of a meeting at `starts_at` (R-4.5, R-4.9).

    The rule is `booking.terms.limits`, shared with call-ins and the batch.
    """
    return booking_terms.limits(starts_at=starts_at, accept_cancellation=offer.accept_cancellation,
                                accept_rebooking=offer.accept_rebooking,
                                rebooking_until_days=offer.rebooking_until_days)


def _check_start(offer: OnlineOffer, starts_at: datetime, today: date) -> None:
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is not None:
        raise DomainError("Ugyldigt tidspunkt.", "Invalid time.", field="starts_at",
                          code="starts_at_invalid")
    if starts_at.date() <= today:
        raise DomainError.of("too_soon", field="starts_at", code="too_soon")
    span = offers.window(offer, today)
    if span is None or not span[0] <= starts_at.date() <= span[1]:
        raise DomainError("Tidspunktet ligger uden for tilbuddets periode.",
                          "The time is outside the offer's period.", field="starts_at",
                          code="outside_offer")


def _request(offer: OnlineOffer, citizen: Citizen, starts_at: datetime,
             caseworker_ids: Sequence[int]) -> MeetingRequest:
    cancellable, rebookable = terms_for(offer, starts_at)
    return MeetingRequest(
        job_centre_id=offer.job_centre_id, team_id=offer.team_id,
        conversation_type_id=offer.conversation_type_id, holding_form_id=offer.holding_form_id,
        caseworker_ids=list(caseworker_ids), starts_at=starts_at,
        duration_minutes=offer.duration_minutes, origin=BookingOrigin.SELF_BOOKED,
        citizen_ids=[citizen.id], reporting_minutes=offer.reporting_minutes or 0,
        meeting_form=offer.meeting_form, variant_id=offer.variant_id, room_id=offer.room_id,
        offer_id=offer.id, template_id=offer.template_id, description=offer.description,
        cancellable_until=cancellable, rebookable_until=rebookable)


def _choose_caseworkers(offer: OnlineOffer, slot_ids: Sequence[int],
                        caseworker_id: int | None) -> list[int]:
    """Those to try at a start: the citizen's pick, or when the planner chooses (R-4.3) the
    caseworkers free at it, fewest meetings that day first, as `_slots_at` orders them."""
    if caseworker_id is None:
        return list(slot_ids)
    if not offer.citizen_chooses_caseworker:
        raise DomainError.of("caseworker_choice_not_allowed", field="caseworker_id",
                             code="caseworker_choice_not_allowed")
    if caseworker_id not in {c.id for c in offer.caseworkers}:
        raise DomainError("Sagsbehandleren hører ikke til tilbuddet.",
                          "The caseworker is not part of the offer.", field="caseworker_id",
                          code="unknown_caseworker")
    if caseworker_id not in slot_ids:
        raise SlotTaken("Sagsbehandleren er ikke ledig på det tidspunkt. Vælg en anden tid.",
                        "The caseworker is not free at that time. Please choose another.",
                        field="starts_at")
    return [caseworker_id]


def _attending(booking: Booking, citizen_id: int) -> BookingParticipant | None:
    return next((p for p in booking.participants
                 if p.citizen_id == citizen_id and p.reserved_until is None), None)


def live_bookings_of(citizen: Citizen, now: datetime, *, offer_id: int | None = None,
                     include_past: bool = False) -> list[Booking]:
    """The citizen's booked meetings (not reservations), soonest first."""
    query = (select(Booking).join(BookingParticipant, BookingParticipant.booking_id == Booking.id)
             .where(BookingParticipant.citizen_id == citizen.id,
                    BookingParticipant.reserved_until.is_(None),
                    Booking.status == BookingStatus.BOOKED))
    if not include_past:
        query = query.where(Booking.ends_at > now)
    if offer_id is not None:
        query = query.where(Booking.offer_id == offer_id)
    return list(db.session.scalars(query.order_by(Booking.starts_at)))


@prepared
def _own_rows(ids: Any) -> Any:
    citizen = bindparam("citizen", type_=Integer())
    mine = (select(literal(0).label("kind"), Booking.id, Booking.status, Booking.ends_at,
                   BookingParticipant.id.label("seat"), BookingParticipant.reserved_until)
            .join(BookingParticipant, BookingParticipant.booking_id == Booking.id)
            .where(BookingParticipant.citizen_id == citizen,
                   Booking.offer_id == bindparam("offer", type_=Integer()),
                   Booking.status != BookingStatus.CANCELLED))
    deadline = select(literal(1), SelfBookingDeadline.id, null(), null(), null(), null()).where(
        SelfBookingDeadline.citizen_id == citizen,
        SelfBookingDeadline.conversation_type_id == bindparam("type", type_=Integer()),
        SelfBookingDeadline.status == DeadlineStatus.OPEN)
    return mine.union_all(deadline)


def _clear_own_holds(citizen: Citizen, offer: OnlineOffer, now: datetime) -> tuple[int, ...]:
    """One booking per offer: refuse a second; a new pick lets go of the citizen's holds.

    One query finds the citizen's live meeting, held reservations and held group seats
    in the offer, usually none, and their open deadlines of the offer's type (R-4.8),
    which it returns.
    """
    found = sql_rows(_own_rows(), {"citizen": citizen.id, "offer": offer.id,
                                   "type": offer.conversation_type_id}).all()
    rows = [row[1:] for row in found if row[0] == 0]
    if any(status == BookingStatus.BOOKED and held is None and ends_at > now
           for _, status, ends_at, _, held in rows):
        raise Conflict("Du har allerede booket en samtale i dette tilbud. Du kan ombooke den.",
                       "You have already booked a meeting in this offer. You can rebook it.",
                       code="already_booked")
    reserved = {booking_id for booking_id, status, *_ in rows if status == BookingStatus.RESERVED}
    seats = [seat_id for booking_id, status, _, seat_id, held in rows
             if status == BookingStatus.BOOKED and held is not None]
    for booking_id in reserved:
        db.session.delete(db.session.get(Booking, booking_id))
    if seats:
        db.session.execute(delete(BookingParticipant).where(BookingParticipant.id.in_(seats)))
    if reserved or seats:
        db.session.flush()
        db.session.expire_all()
    return tuple(row[1] for row in found if row[0] == 1)


def release_expired_seat_holds(now: datetime, *, booking_id: int | None = None) -> int:
    """Delete seat holds past their time (R-4.7); the scheduler calls it with the others."""
    query = delete(BookingParticipant).where(BookingParticipant.reserved_until.is_not(None),
                                             BookingParticipant.reserved_until <= now)
    if booking_id is not None:
        query = query.where(BookingParticipant.booking_id == booking_id)
    result = db.session.execute(query.execution_options(synchronize_session=False))
    return result.rowcount or 0


# ---------------------------------------------------------------------------
# Reserve, confirm, book
# ---------------------------------------------------------------------------

def _slots_at(offer: OnlineOffer, starts_at: datetime, *, now: datetime,
              ignore_booking_ids: Collection[int] = ()) -> list[Slot]:
    """The offer's slots at exactly `starts_at`.

    Individual meetings ask only who of the offer's caseworkers is free for that one
    meeting (cheaper than the day's whole slot list); the start must lie on the grid.
    Group meetings use the day's list, which also holds the existing meetings.
    """
    if offer.meeting_form == MeetingForm.GROUP:
        day = starts_at.date()
        return [s for s in list_slots(offer, now=now, first=day, last=day,
                                      ignore_booking_ids=ignore_booking_ids)
                if s.starts_at == starts_at]
    minutes = starts_at.hour * 60 + starts_at.minute
    if starts_at.second or starts_at.microsecond or minutes % GRANULARITY_MINUTES:
        return []
    ends_at = starts_at + timedelta(minutes=offer.duration_minutes)
    busy_until = ends_at + timedelta(minutes=offer.reporting_minutes or 0)
    free = free_caseworkers_at(bookable_caseworker_ids(offer), starts_at, busy_until,
                               team_id=offer.team_id, now=now,
                               ignore_booking_ids=ignore_booking_ids, by_day_load=True)
    if not free:
        return []
    if offer.room_id is not None:
        room = room_free(offer.room_id, starts_at.date(), ends_at.date(), now=now,
                         ignore_booking_ids=ignore_booking_ids)
        if not covers(room, starts_at, ends_at):
            return []
    return [Slot(starts_at, ends_at, tuple(free))]


def _take_seat(citizen: Citizen, session_id: int, *, now: datetime,
               hold: timedelta | None) -> Reservation:
    """A seat at an existing group meeting, counted under the meeting's row lock (R-2.4)."""
    booking = lock_booking(session_id)
    if (booking.status != BookingStatus.BOOKED or booking.meeting_form != MeetingForm.GROUP
            or booking.starts_at.date() <= now.date()):
        raise SlotTaken("Der kan ikke tilmeldes flere til denne samtale. Vælg en anden tid.",
                        "No more citizens can join this meeting. Please choose another time.",
                        code="no_seats")
    if release_expired_seat_holds(now, booking_id=booking.id):
        db.session.expire(booking, ["participants"])
    if any(p.citizen_id == citizen.id for p in booking.participants):
        raise Conflict("Du er allerede tilmeldt denne samtale.",
                       "You are already attending this meeting.", code="already_attending")
    if booking.seats is not None and len(booking.participants) >= booking.seats:
        raise SlotTaken.of("no_seats", code="no_seats")
    if hold is None:
        add_participant(booking, citizen, now=now, actor=citizen)
        return Reservation(f"b{booking.id}", booking, None)
    seat = BookingParticipant(citizen_id=citizen.id, reserved_until=now + hold)
    booking.participants.append(seat)
    db.session.flush()
    return Reservation(f"s{seat.id}", booking, seat.reserved_until)


def _take(citizen: Citizen, offer: OnlineOffer, starts_at: datetime, *, now: datetime,
          caseworker_id: int | None, session_id: int | None,
          hold: timedelta | None) -> Reservation:
    today = now.date()
    open_deadlines = _clear_own_holds(citizen, offer, now)
    if session_id is not None:
        session = db.session.get(Booking, session_id) if valid_id(session_id) else None
        if session is None or session.offer_id != offer.id:
            raise NotFound.of("meeting_not_found", field="session_id", code="session_not_found")
        return _take_seat(citizen, session.id, now=now, hold=hold)
    _check_start(offer, starts_at, today)
    day = starts_at.date()
    matches = _slots_at(offer, starts_at, now=now)
    if offer.meeting_form == MeetingForm.GROUP:
        for slot in (s for s in matches if s.session_id is None):
            try:
                booking = create_booking(_request(offer, citizen, starts_at, slot.caseworker_ids),
                                         now=now, actor=citizen, reserve_for=hold)
            except Conflict:
                break
            return Reservation(f"b{booking.id}", booking, booking.expires_at)
        # Someone opened a meeting at that time first: join it instead.
        sessions = [s.session_id for s in _group_sessions(offer, day, day, now, ())
                    if s.starts_at == starts_at]
        if sessions:
            return _take_seat(citizen, sessions[0], now=now, hold=hold)
        raise SlotTaken.of("slot_taken", field="starts_at")
    if not matches:
        if caseworker_id is not None:
            _choose_caseworkers(offer, (), caseworker_id)
        raise SlotTaken.of("slot_taken", field="starts_at")
    last_error: Conflict | None = None
    free = matches[0].caseworker_ids
    for cw in _choose_caseworkers(offer, free, caseworker_id):
        try:
            # _slots_at has just checked closure days, working time and breaks. The
            # transaction is this booking alone: the caller commits or rolls back.
            booking = create_booking(_request(offer, citizen, starts_at, [cw]), now=now,
                                     actor=citizen, reserve_for=hold, working_time_checked=True,
                                     savepoint=False)
        except RaceLost:
            raise
        except Conflict as error:
            last_error = error
            continue
        return Reservation(f"b{booking.id}", booking, booking.expires_at,
                           others_free=tuple(other for other in free if other != cw),
                           open_deadlines=open_deadlines)
    if isinstance(last_error, SlotTaken):
        raise last_error
    raise SlotTaken.of("slot_taken", field="starts_at")


def reserve(citizen: Citizen, offer: OnlineOffer, starts_at: datetime | None, *, now: datetime,
            caseworker_id: int | None = None, session_id: int | None = None,
            hold: timedelta | None = None) -> Reservation:
    """Hold a slot for this citizen only, for `hold` or the configured time (R-4.7); confirm it
    with `confirm`."""
    return _take(citizen, offer, starts_at, now=now, caseworker_id=caseworker_id,  # type: ignore[arg-type]
                 session_id=session_id, hold=hold or reservation_hold())


def reservation_hold() -> timedelta:
    """How long a reserved slot is held for its citizen (R-4.7): PLANNER_RESERVATION_MINUTES."""
    return timedelta(minutes=int(setting("PLANNER_RESERVATION_MINUTES")))


def book(citizen: Citizen, offer: OnlineOffer, starts_at: datetime | None, *, now: datetime,
         caseworker_id: int | None = None, session_id: int | None = None) -> Booking:
    """Reserve and confirm in one step, for portals that do not hold slots."""
    return book_slot(citizen, offer, starts_at, now=now, caseworker_id=caseworker_id,
                     session_id=session_id).booking


def book_slot(citizen: Citizen, offer: OnlineOffer, starts_at: datetime | None, *,
              now: datetime, caseworker_id: int | None = None,
              session_id: int | None = None) -> Reservation:
    """`book`, keeping what the out-of-slots check after the commit can use."""
    taken = _take(citizen, offer, starts_at, now=now, caseworker_id=caseworker_id,  # type: ignore[arg-type]
                  session_id=session_id, hold=None)
    deadlines.fulfil(taken.booking, citizen, today=now.date(), new=True,
                     open_deadlines=taken.open_deadlines)
    return taken


MAX_ID = 2**31 - 1


def valid_id(value: object) -> bool:
    """A plausible row id: an int the database's integer columns can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _parse_reservation_id(reservation_id: str) -> tuple[str, int] | None:
    if (isinstance(reservation_id, str) and 1 < len(reservation_id) < 13
            and reservation_id[0] in "bs" and reservation_id[1:].isascii()
            and reservation_id[1:].isdigit() and valid_id(int(reservation_id[1:]))):
        return reservation_id[0], int(reservation_id[1:])
    return None


def find_reservation(citizen: Citizen, reservation_id: str, now: datetime) -> Reservation:
    """The citizen's live reservation; anything else is "expired or does not exist" (409)."""
    parsed = _parse_reservation_id(reservation_id)
    if parsed is not None:
        kind, number = parsed
        if kind == "b":
            booking = db.session.get(Booking, number)
            if (booking is not None and booking.status == BookingStatus.RESERVED
                    and booking.expires_at is not None and booking.expires_at > now
                    and any(p.citizen_id == citizen.id for p in booking.participants)):
                return Reservation(reservation_id, booking, booking.expires_at)
        else:
            seat = db.session.get(BookingParticipant, number)
            if (seat is not None and seat.citizen_id == citizen.id
                    and seat.reserved_until is not None and seat.reserved_until > now):
                return Reservation(reservation_id, seat.booking, seat.reserved_until)
    raise SlotTaken(EXPIRED_DA, EXPIRED_EN, code="reservation_expired")


def confirm(citizen: Citizen, reservation_id: str, *, now: datetime) -> Booking:
    """Turn the citizen's reservation into a booking (R-4.7); an expired one is gone (409)."""
    parsed = _parse_reservation_id(reservation_id)
    if parsed is None:
        raise SlotTaken(EXPIRED_DA, EXPIRED_EN, code="reservation_expired")
    kind, number = parsed
    if kind == "b":
        booking = db.session.get(Booking, number)
        if booking is None or not any(p.citizen_id == citizen.id for p in booking.participants):
            raise SlotTaken(EXPIRED_DA, EXPIRED_EN, code="reservation_expired")
        booking = confirm_reservation(booking, now=now, actor=citizen)
    else:
        seat = db.session.get(BookingParticipant, number)
        if seat is None or seat.citizen_id != citizen.id:
            raise SlotTaken(EXPIRED_DA, EXPIRED_EN, code="reservation_expired")
        booking = lock_booking(seat.booking_id)
        held = db.session.scalars(select(BookingParticipant).where(
            BookingParticipant.id == number, BookingParticipant.reserved_until > now)
            .execution_options(populate_existing=True)).one_or_none()
        if held is None or booking.status != BookingStatus.BOOKED:
            raise SlotTaken(EXPIRED_DA, EXPIRED_EN, code="reservation_expired")
        # The held seat becomes the attending one: under the same lock nobody can take it.
        db.session.delete(held)
        db.session.flush()
        db.session.expire(booking, ["participants"])
        booking = add_participant(booking, citizen, now=now, actor=citizen)
    deadlines.fulfil(booking, citizen, today=now.date())
    return booking


def release(citizen: Citizen, reservation_id: str, *, now: datetime) -> None:
    """Let go of a reservation before it expires."""
    reservation = find_reservation(citizen, reservation_id, now)
    if reservation_id.startswith("b"):
        db.session.delete(reservation.booking)
    else:
        db.session.execute(delete(BookingParticipant).where(
            BookingParticipant.id == int(reservation_id[1:])))
    db.session.flush()
    db.session.expire_all()


# ---------------------------------------------------------------------------
# The citizen's own meetings: see, cancel, rebook
# ---------------------------------------------------------------------------

def booking_for_citizen(citizen: Citizen, booking_id: object) -> Booking:
    """A meeting the citizen attends; 404 for anything else (R-0.1)."""
    booking = db.session.get(Booking, booking_id) if valid_id(booking_id) else None
    if (booking is None or booking.job_centre_id != citizen.job_centre_id
            or booking.status == BookingStatus.RESERVED or _attending(booking, citizen.id) is None):
        raise NotFound.of("meeting_not_found", code="booking_not_found")
    return booking


def see_booking(citizen: Citizen, booking: Booking) -> None:
    """R-1.9.1: "booking seen by citizen"."""
    audit.record(AuditEvent.BOOKING_SEEN_BY_CITIZEN, actor=citizen, booking_id=booking.id,
                 citizen_id=citizen.id, job_centre_id=booking.job_centre_id)


def can_cancel(booking: Booking, now: datetime) -> bool:
    return booking_terms.terms_for(booking, now).can_cancel_online


def can_rebook(booking: Booking, now: datetime) -> bool:
    return booking_terms.terms_for(booking, now).can_rebook_online


def terms_text(booking: Booking, now: datetime, language: str,
               when: Callable[[datetime], str]) -> list[str]:
    """The booking's terms as the citizen reads them on every page and e-mail (R-4.9)."""
    return booking_terms.sentences(booking_terms.terms_for(booking, now), language, when)


def cancel(citizen: Citizen, booking: Booking, *, now: datetime, reason: str | None = None) -> Booking:
    """Cancel where and until when the offer allows (R-4.5); a group seat is given up."""
    booking_terms.check_cancel(booking, now)
    reason = (reason or "").strip()[:500] or "Aflyst af borgeren"
    if booking.meeting_form == MeetingForm.GROUP:
        booking = remove_participant(booking, citizen, now=now, actor=citizen, reason=reason)
    else:
        booking = cancel_booking(booking, now=now, reason=reason, actor=citizen)
    deadlines.release(booking, citizen, today=now.date())
    return booking


def _rebook_checks(booking: Booking, now: datetime) -> OnlineOffer:
    booking_terms.check_rebook(booking, now)
    offer = db.session.get(OnlineOffer, booking.offer_id)
    assert offer is not None  # check_rebook refuses a booking without an open offer
    return offer


def rebook_slots(citizen: Citizen, booking: Booking, *, now: datetime, first: date | None = None,
                 last: date | None = None) -> list[Slot]:
    """Where the meeting may be moved: its offer's slots, its own time left out."""
    offer = _rebook_checks(booking, now)
    slots = list_slots(offer, now=now, first=first, last=last, ignore_booking_ids=[booking.id])
    return [s for s in slots if not (s.starts_at == booking.starts_at and s.session_id is None)]


def _check_same_group_kind(source: Booking, target: Booking) -> None:
    """R-1.7.3: a group meeting only to another with the same team, type and variant."""
    if (target.meeting_form != MeetingForm.GROUP or target.team_id != source.team_id
            or target.conversation_type_id != source.conversation_type_id
            or target.variant_id != source.variant_id):
        raise DomainError("Et fællesmøde kan kun ombookes til et andet fællesmøde med samme team, "
                          "samtaletype og variant.",
                          "A group meeting can only be rebooked to another group meeting with the "
                          "same team, conversation type and variant.", field="session_id",
                          code="rebooking_other_kind")


def rebook(citizen: Citizen, booking: Booking, starts_at: datetime | None, *, now: datetime,
           caseworker_id: int | None = None, session_id: int | None = None) -> Booking:
    """Move the citizen's meeting to another slot of its offer, under the offer's limits (R-4.5).

    An individual meeting is moved (same booking, re-checked under lock); a group seat
    moves to another group meeting of the same team, type and variant (R-1.7.3).
    """
    offer = _rebook_checks(booking, now)
    today = now.date()
    if booking.meeting_form == MeetingForm.GROUP:
        return _rebook_group(citizen, booking, offer, starts_at, now=now, session_id=session_id)
    if session_id is not None:
        raise DomainError("Et individuelt møde kan ikke flyttes ind i et fællesmøde.",
                          "An individual meeting cannot be moved into a group meeting.",
                          field="session_id", code="rebooking_other_kind")
    _check_start(offer, starts_at, today)  # type: ignore[arg-type]
    assert starts_at is not None
    current = [link.caseworker_id for link in booking.caseworker_links]
    if starts_at == booking.starts_at and (caseworker_id is None or caseworker_id in current):
        raise DomainError.of("same_time", field="starts_at", code="same_time")
    matches = _slots_at(offer, starts_at, now=now, ignore_booking_ids=[booking.id])
    candidates = _choose_caseworkers(offer, matches[0].caseworker_ids if matches else (),
                                     caseworker_id)
    if not candidates:
        raise SlotTaken.of("slot_taken", field="starts_at")
    # The receipt is written from the booking as moved, so its new limits go first.
    booking.cancellable_until, booking.rebookable_until = terms_for(offer, starts_at)
    last_error: Conflict | None = None
    for cw in candidates:
        try:
            booking = move_booking(booking, now=now, actor=citizen, starts_at=starts_at,
                                   caseworker_ids=[cw])
        except Conflict as error:
            last_error = error
            continue
        deadlines.after_move(booking, citizen, today=today)
        return booking
    raise last_error if isinstance(last_error, SlotTaken) else SlotTaken.of("slot_taken", field="starts_at")


def _rebook_group(citizen: Citizen, booking: Booking, offer: OnlineOffer,
                  starts_at: datetime | None, *, now: datetime,
                  session_id: int | None) -> Booking:
    target: Booking | None = None
    if session_id is not None:
        target = db.session.get(Booking, session_id) if valid_id(session_id) else None
        if target is None or target.job_centre_id != booking.job_centre_id:
            raise NotFound.of("meeting_not_found", field="session_id", code="session_not_found")
        if target.id == booking.id:
            raise DomainError("Vælg en anden samtale end den, du har.",
                              "Choose another meeting than the one you have.",
                              field="session_id", code="same_time")
        _check_same_group_kind(booking, target)
    else:
        _check_start(offer, starts_at, now.date())  # type: ignore[arg-type]
        if starts_at == booking.starts_at:
            raise DomainError.of("same_time", field="starts_at", code="same_time")
    with receipts.suppressed():
        if target is not None:
            taken = _take_seat(citizen, target.id, now=now, hold=None)
        else:
            taken = _take_new_group(citizen, offer, starts_at, now=now)  # type: ignore[arg-type]
        new_booking = taken.booking
        remove_participant(booking, citizen, now=now, actor=citizen, reason="Ombooket af borgeren")
    audit.record(AuditEvent.BOOKING_MOVED_BY_CITIZEN, actor=citizen, booking_id=new_booking.id,
                 citizen_id=citizen.id, job_centre_id=new_booking.job_centre_id,
                 details=f"Fra samtale nr. {booking.id}")
    deadlines.transfer(booking, new_booking, citizen, today=now.date())
    receipts.enqueue_receipt(new_booking, citizen, "rebooked", now=now)
    return new_booking


def _take_new_group(citizen: Citizen, offer: OnlineOffer, starts_at: datetime, *,
                    now: datetime) -> Reservation:
    """A seat at `starts_at` in the offer: an existing meeting then, or a new one."""
    day = starts_at.date()
    for slot in list_slots(offer, now=now, first=day, last=day):
        if slot.starts_at != starts_at:
            continue
        if slot.session_id is not None:
            return _take_seat(citizen, slot.session_id, now=now, hold=None)
        try:
            booking = create_booking(_request(offer, citizen, starts_at, slot.caseworker_ids),
                                     now=now, actor=citizen)
        except Conflict:
            break
        return Reservation(f"b{booking.id}", booking, None)
    raise SlotTaken.of("slot_taken", field="starts_at")


def caseworker_names(ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Caseworker.id, Caseworker.name).where(
        Caseworker.id.in_(list(ids)))).all())


__all__ = ["Reservation", "Slot", "SlotTaken", "book", "booking_for_citizen", "can_cancel",
           "can_rebook", "cancel", "caseworker_names", "confirm", "find_reservation",
           "has_free_slot", "list_slots", "live_booking_filter", "live_bookings_of", "rebook",
           "rebook_slots", "release", "release_expired_seat_holds", "reservation_hold", "reserve",
           "see_booking",
           "terms_for", "terms_text"]
