"""Closure days as the admin keeps them: checked on save, and the bookings they fall on (R-1.3.x).

Which days are closed for a team, inherited down the tree, is `webapp.calendar.closed_days`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from webapp.domain import bounds
from webapp.domain.contact import check_date_range
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (Booking, BookingStatus, LocalClosureDay, NationalClosureDay, Team)
from webapp.calendar.closed_days import subtree_ids


def validate_local_closure(closure: LocalClosureDay) -> None:
    """R-1.3.2: team, name, from date, to date."""
    closure.name = (closure.name or "").strip()
    if closure.team is None:
        raise DomainError("Vælg det team, lukkedagen gælder for.",
                          "Choose the team the closure day applies to.", field="team")
    if not closure.name:
        raise DomainError("Giv lukkedagen et sigende navn.", "Give the closure day a name.",
                          field="name")
    if closure.first_day is None:
        raise DomainError("Angiv fra-datoen.", "Enter the from date.", field="first_day")
    if closure.last_day is None:
        closure.last_day = closure.first_day
    bounds.check_date(closure.first_day, "Fra dato", "From date", field="first_day")
    bounds.check_date(closure.last_day, "Til dato", "To date", field="last_day")
    check_date_range(closure.first_day, closure.last_day, field="last_day")
    if closure.team.job_centre_id != closure.job_centre_id:
        raise DomainError("Teamet hører til et andet jobcenter.",
                          "The team belongs to another job centre.", field="team")


def validate_national_closure(closure: NationalClosureDay) -> None:
    closure.name = (closure.name or "").strip()
    if not closure.name:
        raise DomainError("Giv lukkedagen et navn.", "Give the closure day a name.", field="name")
    if closure.day is None:
        raise DomainError("Angiv datoen.", "Enter the date.", field="day")
    bounds.check_date(closure.day, "Dato", "Date", field="day")
    if db.session.scalar(select(NationalClosureDay.id).where(
            NationalClosureDay.day == closure.day, NationalClosureDay.id != (closure.id or 0))):
        raise DomainError(f"{closure.day:%d.%m.%Y} er allerede en national lukkedag.",
                          f"{closure.day:%d.%m.%Y} is already a national closure day.",
                          field="day", code="duplicate_day")


def colliding_bookings(first_day: date, last_day: date, team: Team | None = None) -> list[Booking]:
    """R-1.3.4: bookings on the closed days, of the team and the teams below it (all when None).

    A local closure's team tree lies within its job centre, so are its bookings. With no team
    (a national closure day, which closes every job centre) the bookings of all job centres:
    only support, who is national, is shown them (`NationalClosureDayView`).
    """
    stmt = (select(Booking).where(
        Booking.starts_at >= datetime.combine(first_day, time.min),
        Booking.starts_at < datetime.combine(last_day + timedelta(days=1), time.min),
        Booking.status != BookingStatus.CANCELLED).order_by(Booking.starts_at))
    if team is not None:
        stmt = stmt.where(Booking.team_id.in_(subtree_ids(team)))
    return list(db.session.scalars(stmt))
