"""The waiting list as the workspace shows it: filtered, sorted, days waited, deadlines near (R-6.2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from webapp.config import setting
from webapp.domain.bounds import INT_MAX
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import CallIn, CallInStatus, Caseworker, callin_caseworkers

# What the list may be sorted by: the column and whether the newest/latest comes first.
SORTS = {
    "deadline": (CallIn.deadline_date, False),
    "days_waited": (CallIn.created_at, False),  # the oldest call-in has waited longest
    "priority": (CallIn.priority, True),
    "team": (CallIn.team_id, False),
    "type": (CallIn.conversation_type_id, False),
}
STATUSES = {"waiting": (CallInStatus.WAITING,), "placed": (CallInStatus.PLACED,),
            "withdrawn": (CallInStatus.CANCELLED,),
            "all": (CallInStatus.WAITING, CallInStatus.PLACED, CallInStatus.CANCELLED)}
MAX_DAYS = 3650


@dataclass(frozen=True)
class Filters:
    """The waiting list's filters and sort order, checked; None is "any"."""

    status: str = "waiting"
    team_id: int | None = None
    caseworker_id: int | None = None
    conversation_type_id: int | None = None
    deadline_by: date | None = None
    min_days_waited: int | None = None
    sort: str = "deadline"


@dataclass(frozen=True)
class Row:
    callin: CallIn
    days_waited: int
    deadline_near: bool
    overdue: bool


def _whole(raw: str, name: str, da: str, en: str) -> int:
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > INT_MAX:
        raise DomainError(f"{da} skal være et helt tal.", f"{en} must be a whole number.",
                          field=name, code="not_a_number")
    return int(text)


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Filters from the page's query string; a bad value is a Danish error naming the field."""
    status = args.get("status") or "waiting"
    if status not in STATUSES:
        raise DomainError("Vælg en status fra listen.", "Choose a status from the list.",
                          field="status", code="invalid_choice")
    sort = args.get("sort") or "deadline"
    if sort not in SORTS:
        raise DomainError("Vælg en sortering fra listen.", "Choose a sort order from the list.",
                          field="sort", code="invalid_choice")
    ids = {}
    for name, da, en in (("team", "Team", "Team"), ("caseworker", "Vejleder", "Caseworker"),
                         ("type", "Samtaletype", "Conversation type")):
        ids[name] = _whole(args[name], name, da, en) if args.get(name) else None
    deadline_by = None
    if args.get("deadline_by"):
        try:
            deadline_by = date.fromisoformat(args["deadline_by"].strip())
        except ValueError:
            raise DomainError("Skriv fristen som åååå-mm-dd.", "Enter the deadline as yyyy-mm-dd.",
                              field="deadline_by", code="date_format") from None
    days = None
    if args.get("min_days"):
        days = _whole(args["min_days"], "min_days", "Dage ventet", "Days waited")
        if days > MAX_DAYS:
            raise DomainError(f"Dage ventet kan højst være {MAX_DAYS}.",
                              f"Days waited can be at most {MAX_DAYS}.", field="min_days",
                              code="out_of_range")
    return Filters(status=status, team_id=ids["team"], caseworker_id=ids["caseworker"],
                   conversation_type_id=ids["type"], deadline_by=deadline_by,
                   min_days_waited=days, sort=sort)


def deadline_warning_days() -> int:
    """How many days before its deadline a waiting call-in is marked (R-6.2)."""
    return int(setting("PLANNER_DEADLINE_WARNING_DAYS"))


def callin_rows(job_centre_id: int, team_ids: Sequence[int], filters: Filters, *, today: date,
                warning_days: int) -> list[Row]:
    """The job centre's call-ins of the given teams that pass the filters, sorted (R-6.2).

    A team or caseworker filter outside `team_ids` or the job centre is refused rather than
    showing an empty list, so a mistyped link does not look like "nobody is waiting".
    """
    if filters.team_id is not None and filters.team_id not in team_ids:
        raise DomainError("Teamet findes ikke blandt dine teams.", "The team is not one of your teams.",
                          field="team", code="unknown_team")
    if filters.caseworker_id is not None:
        caseworker = db.session.get(Caseworker, filters.caseworker_id)
        if caseworker is None or caseworker.job_centre_id != job_centre_id:
            raise DomainError("Vejlederen findes ikke i jobcentret.",
                              "The caseworker does not exist in the job centre.",
                              field="caseworker", code="unknown_caseworker")
    column, descending = SORTS[filters.sort]
    query = (select(CallIn).where(CallIn.job_centre_id == job_centre_id,
                                  CallIn.team_id.in_(list(team_ids)),
                                  CallIn.status.in_(STATUSES[filters.status]))
             .order_by(column.desc() if descending else column, CallIn.deadline_date, CallIn.id))
    if filters.team_id is not None:
        query = query.where(CallIn.team_id == filters.team_id)
    if filters.caseworker_id is not None:
        query = query.where(CallIn.id.in_(select(callin_caseworkers.c.callin_id).where(
            callin_caseworkers.c.caseworker_id == filters.caseworker_id)))
    if filters.conversation_type_id is not None:
        query = query.where(CallIn.conversation_type_id == filters.conversation_type_id)
    if filters.deadline_by is not None:
        query = query.where(CallIn.deadline_date <= filters.deadline_by)
    if filters.min_days_waited is not None:
        # Waited at least n days: created before the start of the day n-1 days ago.
        cutoff = today - timedelta(days=filters.min_days_waited - 1)
        query = query.where(CallIn.created_at < datetime.combine(cutoff, datetime.min.time()))
    rows = []
    for c in db.session.scalars(query):
        near, overdue = deadline_marks(c.deadline_date, today, warning_days)
        waiting = c.status == CallInStatus.WAITING
        rows.append(Row(callin=c, days_waited=days_waited(c.created_at, today),
                        deadline_near=near and waiting, overdue=overdue and waiting))
    return rows


def days_waited(created_at: datetime | date, today: date) -> int:
    """Whole days a call-in has waited since the day it was made (R-6.2)."""
    return max((today - _day(created_at)).days, 0)


def deadline_marks(deadline: date, today: date, warning_days: int) -> tuple[bool, bool]:
    """(near, overdue) of a waiting call-in's deadline: near is within `warning_days` (R-6.2)."""
    return today <= deadline <= today + timedelta(days=warning_days), deadline < today


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
