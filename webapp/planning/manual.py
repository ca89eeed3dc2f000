"""*Planlæg nu* from the workspace: what a run will plan, and what it placed (R-8.5, R-3.3).

The optimiser plans a job centre's whole waiting list in one run (the teams share rooms and
caseworkers), so a run started from one team's list plans every team's call-ins. The
confirmation says so with the figures from `plan_scope`; the result page reads the run's
system log entry, which keeps the numbers of the meetings it booked (`plan_outcome`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from webapp.config import setting
from webapp.extensions import db
from webapp.models import (Booking, BookingCaseworker, CallIn, CallInStatus, JobCentre,
                           SystemLogEntry, Team)
from webapp.planning.status import LOG_CATEGORY


def manual_time_limit() -> float:
    """The optimiser's time limit in seconds for a run a person starts and waits for
    (PLANNER_ADMIN_TIME_LIMIT): the admin's planning page and the workspace's *Planlæg nu*."""
    return float(setting("PLANNER_ADMIN_TIME_LIMIT"))


@dataclass
class TeamWaiting:
    team_id: int
    name: str
    waiting: int
    yours: bool


@dataclass
class PlanScope:
    """What *Planlæg nu* will plan: the job centre's whole waiting list, team by team."""

    job_centre: str
    teams: list[TeamWaiting] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        return sum(t.waiting for t in self.teams)

    @property
    def yours(self) -> int:
        return sum(t.waiting for t in self.teams if t.yours)

    @property
    def others(self) -> int:
        return self.waiting - self.yours


def plan_scope(job_centre_id: int, own_team_ids: Collection[int]) -> PlanScope:
    """The waiting call-ins of the job centre by team, the user's own teams first."""
    job_centre = db.session.get(JobCentre, job_centre_id)
    rows = db.session.execute(
        select(Team.id, Team.name, func.count(CallIn.id))
        .join(CallIn, CallIn.team_id == Team.id)
        .where(CallIn.job_centre_id == job_centre_id, CallIn.status == CallInStatus.WAITING)
        .group_by(Team.id, Team.name)).all()
    teams = [TeamWaiting(team_id, name, count, team_id in own_team_ids) for team_id, name, count in rows]
    teams.sort(key=lambda t: (not t.yours, t.name.lower()))
    return PlanScope(job_centre.name if job_centre else "", teams)


@dataclass
class PlanOutcome:
    """One published run: its figures and the meetings it booked, in time order."""

    run: SystemLogEntry
    bookings: list[Booking]

    @property
    def figures(self) -> dict[str, Any]:
        return self.run.figures or {}

    @property
    def placed(self) -> int:
        return int(self.figures.get("placed") or 0)

    @property
    def waiting(self) -> int:
        return int(self.figures.get("waiting") or 0)

    @property
    def joined(self) -> int:
        return int(self.figures.get("joined") or 0)

    @property
    def unplaced(self) -> int:
        return int(self.figures.get("unplaced") or 0)

    @property
    def unplaced_by_reason(self) -> dict[str, int]:
        return dict(self.figures.get("unplaced_by_reason") or {})


def plan_outcome(job_centre_id: int, run_id: int) -> PlanOutcome | None:
    """The run `run_id` of the job centre, or None for another job centre's or no run."""
    run = db.session.get(SystemLogEntry, run_id)
    if run is None or run.category != LOG_CATEGORY or run.job_centre_id != job_centre_id:
        return None
    ids = [int(i) for i in (run.figures or {}).get("booking_ids") or []]
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.id.in_(ids or [0]), Booking.job_centre_id == job_centre_id)
        .options(selectinload(Booking.caseworker_links).selectinload(BookingCaseworker.caseworker),
                 selectinload(Booking.team), selectinload(Booking.room),
                 selectinload(Booking.conversation_type))
        .order_by(Booking.starts_at, Booking.id)))
    return PlanOutcome(run, bookings)
