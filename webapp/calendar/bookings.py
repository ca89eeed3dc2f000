"""The meetings a week calendar shows: live bookings of some caseworkers in a span of days (R-2.1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Booking, BookingCaseworker, BookingStatus, Caseworker


def bookings_of(caseworker_ids: Sequence[int], first: date, last: date) -> list[tuple[Booking, int]]:
    """(booking, caseworker id) for each booked or held meeting of the caseworkers from first to
    last, both included, in time order; a meeting with two of them comes once per caseworker."""
    window = (datetime.combine(first, datetime.min.time()),
              datetime.combine(last + timedelta(days=1), datetime.min.time()))
    return [(booking, cw_id) for booking, cw_id in db.session.execute(
        select(Booking, BookingCaseworker.caseworker_id)
        .join(BookingCaseworker, BookingCaseworker.booking_id == Booking.id)
        .where(BookingCaseworker.caseworker_id.in_(caseworker_ids),
               Booking.status.in_([BookingStatus.BOOKED, BookingStatus.RESERVED]),
               Booking.starts_at < window[1], Booking.ends_at > window[0])
        .order_by(Booking.starts_at))]


def initials(caseworker_ids: Sequence[int]) -> dict[int, str]:
    return dict(db.session.execute(select(Caseworker.id, Caseworker.initials)
                                   .where(Caseworker.id.in_(caseworker_ids))).all())
