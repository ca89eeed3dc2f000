"""Closure days as the admin keeps them: checked on save, and the bookings they fall on (R-1.3.x).

Which days are closed for a team, inherited down the tree, is `webapp.calendar.closed_days`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from webapp.domain import bounds
from webapp.domain.contact import check_date_range
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (Booking, BookingStatus, LocalClosureDay, NationalClosureDay, Team)
from webapp.calendar.closed_days import subtree_ids


def validate_local_closure(closure: LocalClosureDay) -> None:
    """R-1.3.2: one or more teams, name, from date, to date."""
    closure.name = (closure.name or "").strip()
    if not closure.teams:
        raise DomainError.of("closure_teams_missing", field="teams", code="closure_teams_missing")
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
    if any(team.job_centre_id != closure.job_centre_id for team in closure.teams):
        raise DomainError.of("team_other_job_centre", field="teams", code="team_other_job_centre")


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


def colliding_bookings(first_day: date, last_day: date,
                       teams: Iterable[Team] | None = None) -> list[Booking]:
    """R-1.3.4: bookings on the closed days, of the teams and the teams below them (all when None).

    A local closure's team tree lies within its job centre, so are its bookings. With no teams
    (a national closure day, which closes every job centre) the bookings of all job centres:
    only support, who is national, is shown them (`NationalClosureDayView`).
    """
    stmt = (select(Booking).where(
        Booking.starts_at >= datetime.combine(first_day, time.min),
        Booking.starts_at < datetime.combine(last_day + timedelta(days=1), time.min),
        Booking.status != BookingStatus.CANCELLED).order_by(Booking.starts_at))
    if teams is not None:
        reached: set[int] = set()
        for team in teams:
            reached |= subtree_ids(team)
        stmt = stmt.where(Booking.team_id.in_(reached))
    return list(db.session.scalars(stmt))
