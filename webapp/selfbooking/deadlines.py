"""Mandatory self-booking deadlines (R-4.8).

A caseworker (or the inbound integration) gives a citizen a deadline to self-book a
conversation of a type, at least 8 days ahead. A booking of that type that starts on or
before the deadline fulfils it, whoever booked it (the citizen, a caseworker, the batch or
the case system). The database holds the two invariants (one open deadline per citizen and
type; one booking fulfils at most one deadline), this module keeps the link right as
bookings are made, moved and cancelled, and lists the passed ones. The booking-change
event calls it for every writer (`selfbooking/listeners.py`, R-6.7).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Integer, bindparam, select, update
from sqlalchemy.orm import joinedload

from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (Booking, BookingParticipant, BookingStatus, Citizen,
                           ConversationType, DeadlineStatus, SelfBookingDeadline)
from webapp.storage.sql import prepared

MIN_NOTICE_DAYS = 8


def open_deadlines(citizen: Citizen) -> list[SelfBookingDeadline]:
    return list(db.session.scalars(select(SelfBookingDeadline).where(
        SelfBookingDeadline.citizen_id == citizen.id,
        SelfBookingDeadline.status == DeadlineStatus.OPEN)
        .order_by(SelfBookingDeadline.deadline_date)))


def _fulfilling_booking(citizen_id: int, conversation_type_id: int, deadline_date: date,
                        today: date) -> Booking | None:
    """A live future booking of the type, on or before the deadline, not tied to a deadline."""
    taken = select(SelfBookingDeadline.booking_id).where(SelfBookingDeadline.booking_id.is_not(None))
    return db.session.scalars(
        select(Booking).join(BookingParticipant, BookingParticipant.booking_id == Booking.id)
        .where(BookingParticipant.citizen_id == citizen_id,
               BookingParticipant.reserved_until.is_(None),
               Booking.status == BookingStatus.BOOKED,
               Booking.conversation_type_id == conversation_type_id,
               Booking.starts_at >= datetime.combine(today, time.min),
               Booking.starts_at < datetime.combine(deadline_date + timedelta(days=1), time.min),
               Booking.id.not_in(taken))
        .order_by(Booking.starts_at).limit(1)).first()


def create_deadline(citizen: Citizen, conversation_type_id: int, deadline_date: date, *,
                    today: date, actor: Any = None) -> SelfBookingDeadline:
    """Give the citizen a deadline (R-4.8); fulfilled at once by a fitting booking they hold."""
    if not isinstance(deadline_date, date):
        raise DomainError("Angiv en frist.", "Enter a deadline.", field="deadline_date",
                          code="deadline_missing")
    if deadline_date < today + timedelta(days=MIN_NOTICE_DAYS):
        raise DomainError(f"Fristen skal ligge mindst {MIN_NOTICE_DAYS} dage ude i fremtiden "
                          f"(tidligst {today + timedelta(days=MIN_NOTICE_DAYS):%d.%m.%Y}).",
                          f"The deadline must be at least {MIN_NOTICE_DAYS} days ahead "
                          f"(on {today + timedelta(days=MIN_NOTICE_DAYS):%Y-%m-%d} at the earliest).",
                          field="deadline_date", code="deadline_too_soon")
    if db.session.get(ConversationType, conversation_type_id) is None:
        raise DomainError.of("conversation_type_missing", field="conversation_type_id",
                             code="conversation_type_missing")
    if db.session.scalar(select(SelfBookingDeadline.id).where(
            SelfBookingDeadline.citizen_id == citizen.id,
            SelfBookingDeadline.conversation_type_id == conversation_type_id,
            SelfBookingDeadline.status == DeadlineStatus.OPEN)) is not None:
        raise DomainError("Borgeren har allerede en åben frist for den samtaletype.",
                          "The citizen already has an open deadline for that conversation type.",
                          field="conversation_type_id", code="deadline_exists")
    deadline = SelfBookingDeadline(
        job_centre_id=citizen.job_centre_id, citizen_id=citizen.id,
        conversation_type_id=conversation_type_id, deadline_date=deadline_date,
        status=DeadlineStatus.OPEN,
        created_by_user_id=actor.id if getattr(actor, "role", "citizen") != "citizen" else None)
    booking = _fulfilling_booking(citizen.id, conversation_type_id, deadline_date, today)
    if booking is not None:
        deadline.status, deadline.booking_id = DeadlineStatus.FULFILLED, booking.id
    db.session.add(deadline)
    db.session.flush()
    return deadline


@prepared
def _open_deadline(ids: Any) -> Any:
    # Built once: every self-booking asks.
    return select(SelfBookingDeadline).where(
        SelfBookingDeadline.citizen_id == bindparam("citizen", type_=Integer()),
        SelfBookingDeadline.conversation_type_id == bindparam("type", type_=Integer()),
        SelfBookingDeadline.status == DeadlineStatus.OPEN,
        SelfBookingDeadline.deadline_date >= bindparam("day", type_=Date()))


def fulfil(booking: Booking, citizen_id: int, *, today: date, new: bool = False,
           open_deadlines: Collection[int] | None = None) -> SelfBookingDeadline | None:
    """A booking fulfils the citizen's open deadline of its type, if it is in time.

    `new`: the booking was created in this transaction, so no deadline points at it yet.
    `open_deadlines`: the citizen's open deadlines of the type, when the caller found them
    already in this transaction; none means there is nothing to look up.
    """
    if booking.status != BookingStatus.BOOKED or booking.starts_at.date() < today:
        return None
    if open_deadlines is not None and not open_deadlines:
        return None
    if not new and db.session.scalar(select(SelfBookingDeadline.id).where(
            SelfBookingDeadline.booking_id == booking.id)) is not None:
        return None
    deadline = db.session.scalars(_open_deadline(), {
        "citizen": citizen_id, "type": booking.conversation_type_id,
        "day": booking.starts_at.date()}).first()
    if deadline is None:
        return None
    deadline.status, deadline.booking_id = DeadlineStatus.FULFILLED, booking.id
    db.session.flush()
    return deadline


def _reopen(deadline: SelfBookingDeadline, citizen_id: int, today: date) -> None:
    deadline.booking_id = None
    if deadline.deadline_date < today:
        deadline.status = DeadlineStatus.PASSED
        db.session.flush()
        return
    other_open = db.session.scalar(select(SelfBookingDeadline.id).where(
        SelfBookingDeadline.citizen_id == citizen_id,
        SelfBookingDeadline.conversation_type_id == deadline.conversation_type_id,
        SelfBookingDeadline.status == DeadlineStatus.OPEN,
        SelfBookingDeadline.id != deadline.id))
    deadline.status = DeadlineStatus.CANCELLED if other_open else DeadlineStatus.OPEN
    db.session.flush()
    if deadline.status == DeadlineStatus.OPEN:
        # Another booking of the type in time may fulfil it straight away.
        booking = _fulfilling_booking(citizen_id, deadline.conversation_type_id,
                                      deadline.deadline_date, today)
        if booking is not None:
            deadline.status, deadline.booking_id = DeadlineStatus.FULFILLED, booking.id
            db.session.flush()


def _deadline_of(booking_id: int, citizen_id: int) -> SelfBookingDeadline | None:
    return db.session.scalars(select(SelfBookingDeadline).where(
        SelfBookingDeadline.booking_id == booking_id,
        SelfBookingDeadline.citizen_id == citizen_id)).first()


def release(booking: Booking, citizen_id: int, *, today: date) -> None:
    """The citizen left the booking, or it was cancelled: its deadline is open again (or passed)."""
    deadline = _deadline_of(booking.id, citizen_id)
    if deadline is not None:
        _reopen(deadline, citizen_id, today)


def after_move(booking: Booking, citizen_id: int, *, today: date) -> None:
    """A moved booking keeps its deadline only while it is still in time."""
    deadline = _deadline_of(booking.id, citizen_id)
    if deadline is None:
        fulfil(booking, citizen_id, today=today)
    elif booking.starts_at.date() > deadline.deadline_date:
        _reopen(deadline, citizen_id, today)


def transfer(old_booking_id: int, new: Booking, citizen_id: int, *, today: date) -> None:
    """A group seat moved to another meeting: the deadline follows at once if still in time,
    never open in between, never two rows for one booking."""
    deadline = _deadline_of(old_booking_id, citizen_id)
    if deadline is None:
        fulfil(new, citizen_id, today=today)
        return
    if new.status == BookingStatus.BOOKED and new.starts_at.date() <= deadline.deadline_date \
            and db.session.scalar(select(SelfBookingDeadline.id).where(
                SelfBookingDeadline.booking_id == new.id)) is None:
        deadline.booking_id = new.id
        db.session.flush()
    else:
        _reopen(deadline, citizen_id, today)


def mark_passed(today: date) -> int:
    """Open deadlines whose day is over become passed (run daily)."""
    result = db.session.execute(
        update(SelfBookingDeadline).where(SelfBookingDeadline.status == DeadlineStatus.OPEN,
                                          SelfBookingDeadline.deadline_date < today)
        .values(status=DeadlineStatus.PASSED).execution_options(synchronize_session=False))
    return result.rowcount or 0


def passed_unfulfilled(job_centre_id: int | None, today: date) -> list[SelfBookingDeadline]:
    """Deadlines that passed without a booking, newest first, for the caseworker (R-4.8)."""
    query = (select(SelfBookingDeadline)
             .options(joinedload(SelfBookingDeadline.citizen),
                      joinedload(SelfBookingDeadline.conversation_type))
             .where(SelfBookingDeadline.deadline_date < today,
                    SelfBookingDeadline.status.in_([DeadlineStatus.OPEN, DeadlineStatus.PASSED]))
             .order_by(SelfBookingDeadline.deadline_date.desc(), SelfBookingDeadline.id))
    if job_centre_id is not None:
        query = query.where(SelfBookingDeadline.job_centre_id == job_centre_id)
    return list(db.session.scalars(query))
