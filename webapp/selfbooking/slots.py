"""The slots of an online offer a citizen can pick: free caseworker and room time cut to the offer's rules (R-4.2, R-4.3)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, func, or_, select

from webapp.booking.checks import seats_for
from webapp.calendar.availability import caseworker_busy, caseworkers_free, free_caseworkers_at, room_free
from webapp.domain.availability import offer_slots
from webapp.domain.intervals import covers
from webapp.extensions import db
from webapp.models import (Booking, BookingCaseworker, BookingParticipant, BookingStatus, Caseworker, MeetingForm, MembershipState,
                           OnlineOffer, Room, TeamMembership, offer_caseworkers)
from webapp.selfbooking import offers
from webapp.storage.sql import prepared, rows as sql_rows

GRANULARITY_MINUTES = 15


@dataclass(frozen=True)
class Slot:
    """A bookable start: who is free then, or the group meeting to join and its seats left."""

    starts_at: datetime
    ends_at: datetime
    caseworker_ids: tuple[int, ...]
    session_id: int | None = None
    seats_left: int | None = None


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


def group_sessions(offer: OnlineOffer, first: date, last: date, now: datetime,
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
        slots += group_sessions(offer, first, last, now, ignore_booking_ids)
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


def slots_at(offer: OnlineOffer, starts_at: datetime, *, now: datetime,
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
