"""Citizen self-booking: reserve a slot of an offer, confirm it, or book at once (R-4.3, R-4.4, R-4.7).

All writes go through `webapp.booking.writer` (locks, re-check under lock, the
exclusion constraints); this module adds the offer's rules on top: who may book what,
when, with whom, and until when they may cancel or rebook. A lost race always ends as
`SlotTaken` ("taken, choose another", HTTP 409). Callers commit. The deadline (R-4.8) and
the out-of-slots check after the commit (R-4.6) follow from the booking-change event
(`selfbooking/listeners.py`); what this module found out on the way goes to them as hints.

A reservation (R-4.7) of an individual meeting, or of a new group meeting, is a booking
in status `reserved`; a reservation of a seat at an existing group meeting is a
participant row with `reserved_until`. Both are held for `hold` for that citizen only
and free themselves when they expire.

The slots a citizen picks from are in slots.py; seeing, cancelling and rebooking the
citizen's own meetings in meetings.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, delete, literal, null, select

from webapp.config import setting
from webapp.domain.errors import Conflict, DomainError, NotFound
from webapp.extensions import db
from webapp.models import (Booking, BookingOrigin,
                           BookingParticipant, BookingStatus, Citizen, DeadlineStatus,
                           MeetingForm, OnlineOffer, SelfBookingDeadline)
from webapp.selfbooking import offers
from webapp.storage.sql import prepared, rows as sql_rows
from webapp.selfbooking.slots import group_sessions, slots_at
from webapp.booking import terms as booking_terms
from webapp.booking.writer import (RaceLost, SlotTaken, add_participant, confirm_reservation,
                                     create_booking, lock_booking, MeetingRequest)

GRANULARITY_MINUTES = 15

EXPIRED_DA = "Reservationen er udløbet eller findes ikke. Vælg en tid igen."
EXPIRED_EN = "The reservation has expired or does not exist. Please choose a time again."


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
# Shared checks
# ---------------------------------------------------------------------------

def terms_for(offer: OnlineOffer, starts_at: datetime) -> tuple[datetime | None, datetime | None]:
    """(cancellable until, rebookable until) of a meeting at `starts_at` (R-4.5, R-4.9).

    The rule is `booking.terms.limits`, shared with call-ins and the batch.
    """
    return booking_terms.limits(starts_at=starts_at, accept_cancellation=offer.accept_cancellation,
                                accept_rebooking=offer.accept_rebooking,
                                rebooking_until_days=offer.rebooking_until_days)


def check_start(offer: OnlineOffer, starts_at: datetime, today: date) -> None:
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


def meeting_request(offer: OnlineOffer, citizen: Citizen, starts_at: datetime,
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


def choose_caseworkers(offer: OnlineOffer, slot_ids: Sequence[int],
                        caseworker_id: int | None) -> list[int]:
    """Those to try at a start: the citizen's pick, or when the planner chooses (R-4.3) the
    caseworkers free at it, fewest meetings that day first, as `slots_at` orders them."""
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


def attending(booking: Booking, citizen_id: int) -> BookingParticipant | None:
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

def take_seat(citizen: Citizen, session_id: int, *, now: datetime,
               hold: timedelta | None, rebooked_from: Booking | None = None) -> Reservation:
    """A seat at an existing group meeting, counted under the meeting's row lock (R-2.4).

    `rebooked_from`: the citizen's group meeting this seat replaces (R-1.7.3).
    """
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
        add_participant(booking, citizen, now=now, actor=citizen, rebooked_from=rebooked_from)
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
        return take_seat(citizen, session.id, now=now, hold=hold)
    check_start(offer, starts_at, today)
    day = starts_at.date()
    matches = slots_at(offer, starts_at, now=now)
    if offer.meeting_form == MeetingForm.GROUP:
        for slot in (s for s in matches if s.session_id is None):
            try:
                booking = create_booking(meeting_request(offer, citizen, starts_at, slot.caseworker_ids),
                                         now=now, actor=citizen, reserve_for=hold,
                                         hints={"open_deadlines": open_deadlines})
            except Conflict:
                break
            return Reservation(f"b{booking.id}", booking, booking.expires_at)
        # Someone opened a meeting at that time first: join it instead.
        sessions = [s.session_id for s in group_sessions(offer, day, day, now, ())
                    if s.starts_at == starts_at]
        if sessions:
            return take_seat(citizen, sessions[0], now=now, hold=hold)
        raise SlotTaken.of("slot_taken", field="starts_at")
    if not matches:
        if caseworker_id is not None:
            choose_caseworkers(offer, (), caseworker_id)
        raise SlotTaken.of("slot_taken", field="starts_at")
    last_error: Conflict | None = None
    free = matches[0].caseworker_ids
    for cw in choose_caseworkers(offer, free, caseworker_id):
        try:
            # slots_at has just checked closure days, working time and breaks. The
            # transaction is this booking alone: the caller commits or rolls back.
            others_free = tuple(other for other in free if other != cw)
            booking = create_booking(meeting_request(offer, citizen, starts_at, [cw]), now=now,
                                     actor=citizen, reserve_for=hold, working_time_checked=True,
                                     savepoint=False, hints={"others_free": others_free,
                                                             "open_deadlines": open_deadlines})
        except RaceLost:
            raise
        except Conflict as error:
            last_error = error
            continue
        return Reservation(f"b{booking.id}", booking, booking.expires_at,
                           others_free=others_free, open_deadlines=open_deadlines)
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
    """`book`, keeping what was found on the way (the colleagues free at that start)."""
    return _take(citizen, offer, starts_at, now=now, caseworker_id=caseworker_id,  # type: ignore[arg-type]
                 session_id=session_id, hold=None)


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


__all__ = ["Reservation", "book", "book_slot", "confirm", "find_reservation", "live_bookings_of", "release",
           "release_expired_seat_holds", "reservation_hold", "reserve", "terms_for", "valid_id"]
