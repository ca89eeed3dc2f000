"""Helpers for the allocation tests: call-ins on the waiting list and overlap checks."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (Booking, BookingCaseworker, BookingStatus, CallIn, CallInStatus,
                           Caseworker, Citizen, ConversationType, HoldingForm, MeetingForm, Team)


def make_callin(team: Team, citizen: Citizen, caseworkers: list[Caseworker], *, earliest: date,
                deadline: date, minutes: int = 30, reporting: int = 0, priority: int = 1,
                group: bool = False, room_id: int | None = None, commit: bool = True,
                **kw: Any) -> CallIn:
    """A call-in waiting for the optimiser (automatic distribution, R-3.1)."""
    callin = CallIn(
        job_centre_id=team.job_centre_id, team_id=team.id, citizen_id=citizen.id,
        conversation_type_id=db.session.scalars(select(ConversationType.id)).first(),
        holding_form_id=db.session.scalars(select(HoldingForm.id)).first(),
        meeting_form=MeetingForm.GROUP if group else MeetingForm.INDIVIDUAL, room_id=room_id,
        duration_minutes=minutes, reporting_minutes=reporting, earliest_date=earliest,
        deadline_date=deadline, priority=priority, status=CallInStatus.WAITING, **kw)
    callin.caseworkers = list(caseworkers)
    db.session.add(callin)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return callin


def assert_no_overlaps(job_centre_id: int | None = None) -> None:
    """No caseworker and no room holds two live bookings at once (R-2.4)."""
    query = (select(BookingCaseworker.caseworker_id, BookingCaseworker.starts_at,
                    BookingCaseworker.busy_until)
             .join(Booking, Booking.id == BookingCaseworker.booking_id)
             .where(BookingCaseworker.blocking, Booking.status != BookingStatus.CANCELLED))
    if job_centre_id is not None:
        query = query.where(Booking.job_centre_id == job_centre_id)
    per_caseworker: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for cw, start, end in db.session.execute(query):
        per_caseworker[cw].append((start, end))
    rooms: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for room, start, end in db.session.execute(
            select(Booking.room_id, Booking.starts_at, Booking.ends_at)
            .where(Booking.room_id.is_not(None), Booking.status != BookingStatus.CANCELLED)):
        rooms[room].append((start, end))
    for what, table in (("caseworker", per_caseworker), ("room", rooms)):
        for key, intervals in table.items():
            intervals.sort()
            for (_, end), (start, _) in zip(intervals, intervals[1:]):
                assert start >= end, f"{what} {key}: a booking ends {end} after the next starts {start}"
