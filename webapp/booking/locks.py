"""Locks on caseworkers, rooms and bookings, taken late and in sorted order, and expired holds let go (R-2.4, R-4.7).

On PostgreSQL the lock is `SELECT ... FOR UPDATE` on the caseworker and room rows; on
SQLite a no-op `UPDATE` takes the database's single write lock, which serialises writers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, inspect, or_, select, update

from webapp.domain.errors import Conflict
from webapp.extensions import db
from webapp.models import Booking, BookingCaseworker, BookingParticipant, BookingStatus, Caseworker, Room
from webapp.storage.sql import in_ids, prepared


@prepared
def _lock_caseworkers(ids: Any) -> Any:
    return (select(Caseworker).where(ids(Caseworker.id, "ids")).order_by(Caseworker.id)
            .with_for_update())


def lock_resources(caseworker_ids: Iterable[int] = (),
                   room_ids: Iterable[int | None] = ()) -> list[Caseworker]:
    """Serialise writers of these caseworkers' and rooms' time until the transaction ends.

    On PostgreSQL the locked caseworkers come back (the caller holds them, so the session
    finds them again without a query); SQLite locks with an UPDATE and returns none.
    """
    cw_ids = sorted({int(i) for i in caseworker_ids})
    r_ids = sorted({int(i) for i in room_ids if i is not None})
    session = db.session
    locked: list[Caseworker] = []
    if session.get_bind().dialect.name == "postgresql":
        if cw_ids:
            locked = list(session.scalars(_lock_caseworkers(), {"ids": cw_ids}))
        if r_ids:
            session.execute(select(Room.id).where(Room.id.in_(r_ids))
                            .order_by(Room.id).with_for_update())
    else:
        # SQLite has one writer at a time; the first write of a transaction waits for it.
        if cw_ids:
            session.execute(update(Caseworker).where(Caseworker.id.in_(cw_ids))
                            .values(id=Caseworker.id).execution_options(synchronize_session=False))
        elif r_ids:
            session.execute(update(Room).where(Room.id.in_(r_ids))
                            .values(id=Room.id).execution_options(synchronize_session=False))
    return locked


def lock_booking(booking_id: int) -> Booking:
    """The booking row under lock (group seats are counted under it, R-2.4)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        booking = session.scalars(select(Booking).where(Booking.id == booking_id)
                                  .with_for_update(of=Booking)
                                  .execution_options(populate_existing=True)).one_or_none()
    else:
        session.execute(update(Booking).where(Booking.id == booking_id)
                        .values(id=Booking.id).execution_options(synchronize_session=False))
        booking = session.scalars(select(Booking).where(Booking.id == booking_id)
                                  .execution_options(populate_existing=True)).one_or_none()
    if booking is None:
        raise Conflict("Samtalen findes ikke længere.", "The meeting no longer exists.",
                       code="booking_gone")
    return booking


def release_expired_reservations(now: datetime, *, caseworker_ids: Collection[int] = (),
                                 room_id: int | None = None) -> int:
    """Delete reservations past their expiry (R-4.7); all, or those holding these resources.

    Called under the resources' lock before booking, and hourly by the scheduler, so an
    expired hold never blocks anyone (the exclusion constraints see only live rows).
    """
    query = select(Booking.id).where(Booking.status == BookingStatus.RESERVED,
                                     Booking.expires_at <= now)
    if caseworker_ids or room_id is not None:
        holds = []
        if caseworker_ids:
            holds.append(Booking.id.in_(select(BookingCaseworker.booking_id).where(
                in_ids(BookingCaseworker.caseworker_id, caseworker_ids))))
        if room_id is not None:
            holds.append(Booking.room_id == room_id)
        query = query.where(or_(*holds))
    return delete_reservations(list(db.session.scalars(query)))


def delete_reservations(ids: Collection[int]) -> int:
    """Delete these reservations with their rows; the session forgets them."""
    ids = list(ids)
    if ids:
        db.session.execute(delete(BookingParticipant).where(BookingParticipant.booking_id.in_(ids)))
        db.session.execute(delete(BookingCaseworker).where(BookingCaseworker.booking_id.in_(ids)))
        db.session.execute(delete(Booking).where(Booking.id.in_(ids)))
        gone = set(ids)
        for key, obj in list(db.session.identity_map.items()):
            if (key[0] is Booking and key[1][0] in gone) or (
                    isinstance(obj, BookingCaseworker | BookingParticipant)
                    and inspect(obj).dict.get("booking_id") in gone):
                db.session.expunge(obj)
        db.session.expire_all()
    return len(ids)
