"""The figures of the overview per job centre or team (R-6.10), each from a few bulk queries.

A team's figures include its sub-teams, as its closure days reach them. Three figures:

- capacity against booked time per week for the coming weeks: capacity is the caseworkers'
  working time net of breaks, closure days (national and local, inherited down the team
  tree, through `calendar.closed_days`) and absences; booked is the time of their booked
  meetings, reporting time included, whatever team the meeting belongs to;
- the waiting list: how many wait, how long they have waited (in buckets of days) and how
  many are near or past their deadline, as the waiting list marks them (R-6.2);
- the past weeks' meetings by the week they were (to be) held: how many were self-booked,
  called in or received from the case system, and how many were cancelled by the citizen
  or by the job centre (told apart by the audit trail's cancellation event, R-1.9.1).

Weeks are ISO weeks (Monday to Sunday); the current week is the first of the coming weeks
and the last of the past ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, exists, func, select

from webapp.calendar.closed_days import subtree_ids
from webapp.calendar import availability
from webapp.calendar.availability import weekly_schedules
from webapp.calendar.closed_days import closed_dates_of_teams
from webapp.callins import worklist
from webapp.domain.availability import team_free_intervals
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, Booking, BookingCaseworker,
                           BookingOrigin, BookingStatus, CallIn, CallInStatus, MembershipState,
                           Team, TeamMembership)
from webapp.storage.sql import dialect, in_ids

WEEKS = 8
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)

# Days waited, as the overview groups them: (first, last) day, None = no upper end.
AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 7), (8, 14), (15, 30), (31, 60), (61, None))


@dataclass(frozen=True)
class CapacityWeek:
    monday: date
    capacity_minutes: int
    booked_minutes: int

    @property
    def week(self) -> int:
        return self.monday.isocalendar().week

    @property
    def utilisation(self) -> int | None:
        """Booked time as a whole percentage of capacity; None when there is no capacity."""
        if self.capacity_minutes <= 0:
            return None
        return round(100 * self.booked_minutes / self.capacity_minutes)


@dataclass(frozen=True)
class AgeBucket:
    first_day: int
    last_day: int | None
    count: int


@dataclass(frozen=True)
class WaitingFigures:
    waiting: int
    buckets: list[AgeBucket]
    deadline_near: int
    overdue: int
    oldest_days: int | None
    warning_days: int


@dataclass(frozen=True)
class BookingWeek:
    monday: date
    self_booked: int
    called_in: int
    imported: int
    cancelled_by_citizen: int
    cancelled_by_job_centre: int

    @property
    def week(self) -> int:
        return self.monday.isocalendar().week

    @property
    def held(self) -> int:
        """Meetings of the week that were not cancelled."""
        return self.self_booked + self.called_in + self.imported

    @property
    def self_booked_share(self) -> int | None:
        """Self-booked meetings as a whole percentage of the week's meetings not cancelled."""
        return round(100 * self.self_booked / self.held) if self.held else None

    @property
    def cancelled(self) -> int:
        return self.cancelled_by_citizen + self.cancelled_by_job_centre


@dataclass(frozen=True)
class Overview:
    capacity: list[CapacityWeek]
    waiting: WaitingFigures
    bookings: list[BookingWeek]
    caseworkers: int


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def scope_team_ids(job_centre_id: int, team_id: int | None) -> list[int]:
    """The teams the figures count: the job centre's all, or the team and every team below it.

    A team of another job centre, or none at all, is refused with `unknown_team` (the page
    answers 404), so a foreign id shows nothing of the other job centre.
    """
    if team_id is None:
        return sorted(db.session.scalars(select(Team.id).where(Team.job_centre_id == job_centre_id)))
    team = db.session.get(Team, team_id)
    if team is None or team.job_centre_id != job_centre_id:
        raise DomainError.of("overview_unknown_team", field="team", code="unknown_team")
    return sorted(subtree_ids(team))


def _members(job_centre_id: int, team_ids: Collection[int]) -> dict[int, frozenset[int]]:
    """The caseworkers active in any of the teams, each with all their active teams.

    All their teams, not only those in scope: a caseworker's time is closed on the closure
    days of each of her teams, as free time counts it (`calendar.availability`).
    """
    if not team_ids:
        return {}
    in_scope = (select(TeamMembership.caseworker_id)
                .where(in_ids(TeamMembership.team_id, team_ids),
                       TeamMembership.state == MembershipState.ACTIVE))
    teams: dict[int, set[int]] = defaultdict(set)
    for caseworker, team in db.session.execute(
            select(TeamMembership.caseworker_id, TeamMembership.team_id)
            .join(Team, Team.id == TeamMembership.team_id)
            .where(TeamMembership.caseworker_id.in_(in_scope),
                   TeamMembership.state == MembershipState.ACTIVE,
                   Team.job_centre_id == job_centre_id)):
        teams[caseworker].add(team)
    return {caseworker: frozenset(ids) for caseworker, ids in teams.items()}


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _minutes_between(start: Any, end: Any) -> Any:
    """SQL: the minutes from `start` to `end`, in the current database's own date arithmetic."""
    if dialect() == "postgresql":
        return func.extract("epoch", end - start) / 60
    return (func.julianday(end) - func.julianday(start)) * 1440


def _week_of(column: Any, mondays: list[date]) -> Any:
    """SQL: the index in `mondays` of the week a time falls in (the query keeps it in range)."""
    return case(*[(column < datetime.combine(monday + _WEEK, datetime.min.time()), index)
                  for index, monday in enumerate(mondays[:-1])], else_=len(mondays) - 1)


def capacity_by_week(job_centre_id: int, team_id: int | None, today: date, *,
                     weeks: int = WEEKS) -> list[CapacityWeek]:
    """Capacity and booked time of the scope's caseworkers per week, this week first (R-6.10)."""
    members = _members(job_centre_id, scope_team_ids(job_centre_id, team_id))
    return _capacity(members, monday_of(today), weeks)


def _capacity(members: dict[int, frozenset[int]], first_monday: date,
              weeks: int) -> list[CapacityWeek]:
    mondays = [first_monday + n * _WEEK for n in range(weeks)]
    first_day, last_day = mondays[0], mondays[-1] + 6 * _DAY
    start = datetime.combine(first_day, datetime.min.time())
    end = datetime.combine(last_day + _DAY, datetime.min.time())
    capacity: dict[date, int] = defaultdict(int)
    booked: dict[date, int] = defaultdict(int)
    ids = sorted(members)
    if ids:
        schedules = weekly_schedules(ids)
        absences = availability.absent_time(ids, start, end)
        # Caseworkers of the same teams share their closed days: one query per set of teams.
        by_teams: dict[frozenset[int], list[int]] = defaultdict(list)
        for caseworker in ids:
            by_teams[members[caseworker]].append(caseworker)
        for team_set, group in by_teams.items():
            closed = closed_dates_of_teams(sorted(team_set), first_day, last_day)
            free = team_free_intervals({cw: schedules[cw] for cw in group}, first_day, last_day,
                                       closed, absences)
            for intervals in free.values():
                for i_start, i_end in intervals:
                    # Working time never crosses midnight: the start's week is the interval's.
                    capacity[monday_of(i_start.date())] += _minutes(i_start, i_end)
        # The week is computed in a subquery and grouped outside it: PostgreSQL does not take
        # two renderings of one expression with bound parameters as the same group.
        rows = (select(_week_of(BookingCaseworker.starts_at, mondays).label("week"),
                       _minutes_between(BookingCaseworker.starts_at,
                                        BookingCaseworker.busy_until).label("minutes"))
                .join(Booking, Booking.id == BookingCaseworker.booking_id)
                .where(in_ids(BookingCaseworker.caseworker_id, ids), BookingCaseworker.blocking,
                       Booking.status == BookingStatus.BOOKED,
                       BookingCaseworker.starts_at >= start, BookingCaseworker.starts_at < end)
                .subquery())
        for index, minutes in db.session.execute(
                select(rows.c.week, func.sum(rows.c.minutes)).group_by(rows.c.week)):
            booked[mondays[index]] += round(minutes or 0)
    return [CapacityWeek(monday, capacity[monday], booked[monday]) for monday in mondays]


def waiting_figures(job_centre_id: int, team_id: int | None, today: date, *,
                    warning_days: int | None = None) -> WaitingFigures:
    """The waiting call-ins of the scope: how many, days waited in buckets, deadlines (R-6.10)."""
    return _waiting(job_centre_id, scope_team_ids(job_centre_id, team_id), today,
                    worklist.deadline_warning_days() if warning_days is None else warning_days)


def _waiting(job_centre_id: int, team_ids: list[int], today: date,
             warning_days: int) -> WaitingFigures:
    counts = [0] * len(AGE_BUCKETS)
    near = overdue = waiting = 0
    oldest: int | None = None
    rows = db.session.execute(select(CallIn.created_at, CallIn.deadline_date).where(
        CallIn.job_centre_id == job_centre_id, in_ids(CallIn.team_id, team_ids),
        CallIn.status == CallInStatus.WAITING)) if team_ids else []
    for created_at, deadline in rows:
        waiting += 1
        days = worklist.days_waited(created_at, today)
        oldest = days if oldest is None else max(oldest, days)
        counts[_bucket(days)] += 1
        is_near, is_overdue = worklist.deadline_marks(deadline, today, warning_days)
        near += is_near
        overdue += is_overdue
    return WaitingFigures(
        waiting=waiting, deadline_near=near, overdue=overdue, oldest_days=oldest,
        warning_days=warning_days,
        buckets=[AgeBucket(first, last, n) for (first, last), n in zip(AGE_BUCKETS, counts)])


def _bucket(days: int) -> int:
    for index, (_first, last) in enumerate(AGE_BUCKETS):
        if last is None or days <= last:
            return index
    return len(AGE_BUCKETS) - 1


def bookings_by_week(job_centre_id: int, team_id: int | None, today: date, *,
                     weeks: int = WEEKS) -> list[BookingWeek]:
    """The scope's meetings of the past weeks by origin and cancellation, oldest week first (R-6.10).

    A meeting counts in the week it starts; the current week is the last and counts its
    meetings to the end of the week. Reservations not yet confirmed are no meetings.
    """
    return _bookings(job_centre_id, scope_team_ids(job_centre_id, team_id), today, weeks)


def _bookings(job_centre_id: int, team_ids: list[int], today: date, weeks: int) -> list[BookingWeek]:
    mondays = [monday_of(today) - n * _WEEK for n in reversed(range(weeks))]
    start = datetime.combine(mondays[0], datetime.min.time())
    end = datetime.combine(mondays[-1] + _WEEK, datetime.min.time())
    # Cancelled by the citizen: the audit trail's event says so; its booking_id is indexed.
    by_citizen = exists().where(AuditEntry.booking_id == Booking.id,
                                AuditEntry.event == AuditEvent.BOOKING_CANCELLED_BY_CITIZEN)
    counts: dict[date, dict[str, int]] = {monday: defaultdict(int) for monday in mondays}
    if team_ids:
        # Counted by the database: a large job centre has tens of thousands of meetings.
        rows = (select(_week_of(Booking.starts_at, mondays).label("week"), Booking.status,
                       Booking.origin, by_citizen.label("by_citizen"))
                .where(Booking.job_centre_id == job_centre_id, in_ids(Booking.team_id, team_ids),
                       Booking.status.in_((BookingStatus.BOOKED, BookingStatus.CANCELLED)),
                       Booking.starts_at >= start, Booking.starts_at < end)
                .subquery())
        for index, status, origin, cancelled_by_citizen, n in db.session.execute(
                select(rows.c.week, rows.c.status, rows.c.origin, rows.c.by_citizen, func.count())
                .group_by(rows.c.week, rows.c.status, rows.c.origin, rows.c.by_citizen)):
            counts_of_week = counts[mondays[index]]
            if status == BookingStatus.CANCELLED:
                counts_of_week["citizen" if cancelled_by_citizen else "job_centre"] += n
            else:
                counts_of_week[BookingOrigin(origin).value] += n
    return [BookingWeek(
        monday, self_booked=c[BookingOrigin.SELF_BOOKED.value],
        called_in=c[BookingOrigin.CALLED_IN.value], imported=c[BookingOrigin.IMPORTED.value],
        cancelled_by_citizen=c["citizen"], cancelled_by_job_centre=c["job_centre"])
        for monday, c in counts.items()]


def overview(job_centre_id: int, team_id: int | None, today: date, *,
             warning_days: int | None = None) -> Overview:
    """All three figures of the scope (R-6.10); `unknown_team` for a team outside the job centre."""
    team_ids = scope_team_ids(job_centre_id, team_id)
    members = _members(job_centre_id, team_ids)
    return Overview(
        capacity=_capacity(members, monday_of(today), WEEKS),
        waiting=_waiting(job_centre_id, team_ids, today,
                         worklist.deadline_warning_days() if warning_days is None else warning_days),
        bookings=_bookings(job_centre_id, team_ids, today, WEEKS),
        caseworkers=len(members))
