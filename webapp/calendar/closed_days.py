"""Closed days: the national ones and each team's own, inherited down the team tree (R-1.3.1, R-1.3.2).

The one owner of the idea: free time, the clash check, the optimiser's input, the
workspace calendar and the admin's team calendar all ask here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, null, select

from webapp.extensions import db
from webapp.models import LocalClosureDay, NationalClosureDay, Team
from webapp.models.closures import local_closure_day_teams
from webapp.storage.sql import prepared, rows as sql_rows

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Closure:
    """A closure from first_day to last_day; `team` names the team it was set on, None for a national day."""

    first_day: date
    last_day: date
    name: str
    team: str | None = None


def each_day(first_day: date, last_day: date) -> Iterator[date]:
    """Every day from first_day to last_day, both included."""
    day = first_day
    while day <= last_day:
        yield day
        day += _DAY


def team_chain_ids(team_ids: Iterable[int]) -> set[int]:
    """The given teams and all their ancestors: local closure days are inherited downwards."""
    parents = dict(db.session.execute(select(Team.id, Team.parent_id)).all())
    chain: set[int] = set()
    for team_id in team_ids:
        node: int | None = team_id
        while node is not None and node not in chain:
            chain.add(node)
            node = parents.get(node)
    return chain


def subtree_ids(team: Team) -> set[int]:
    """The team and every team below it: a closure set on a team closes them all (R-1.3.2)."""
    found = {team.id}
    frontier = [team.id]
    while frontier:
        frontier = list(db.session.scalars(select(Team.id).where(Team.parent_id.in_(frontier))))
        frontier = [i for i in frontier if i not in found]
        found.update(frontier)
    return found


def _spans(teams: Any, first_day: Any, last_day: Any, *, named: bool = False) -> Any:
    """National closure days plus the local ones of `teams` and their ancestors (R-1.3.2).

    One query: the ancestors come from a recursive CTE (UNION, so even a broken tree
    ends), the national days ride along as one-day spans. A local closure day may belong
    to several teams: it counts when one of them is in the chain. `named` adds the
    closure's name, the name of the team of the chain it was set on (NULL for a national
    day), the closure's id and that team's id (one row per team of the chain it is on).
    """
    chain = select(Team.id, Team.parent_id).where(teams).cte("team_chain", recursive=True)
    chain = chain.union(select(Team.id, Team.parent_id).join(chain, Team.id == chain.c.parent_id))
    link = local_closure_day_teams
    local = select(LocalClosureDay.first_day, LocalClosureDay.last_day).where(
        LocalClosureDay.first_day <= last_day, LocalClosureDay.last_day >= first_day)
    national = select(NationalClosureDay.day, NationalClosureDay.day).where(
        NationalClosureDay.day.between(first_day, last_day))
    if named:
        local = (local.add_columns(LocalClosureDay.name, Team.name, LocalClosureDay.id, Team.id)
                 .join(link, link.c.closure_id == LocalClosureDay.id)
                 .join(Team, Team.id == link.c.team_id)
                 .where(link.c.team_id.in_(select(chain.c.id))))
        national = national.add_columns(NationalClosureDay.name, null(), null(), null())
    else:
        local = local.where(LocalClosureDay.id.in_(
            select(link.c.closure_id).where(link.c.team_id.in_(select(chain.c.id)))))
    return national.union_all(local)


@prepared
def _spans_of_teams(ids: Any) -> Any:
    return _spans(ids(Team.id, "teams"), bindparam("first", type_=Date()), bindparam("last", type_=Date()))


def _dates(spans: Iterable[tuple[date, date]], first_day: date, last_day: date) -> set[date]:
    return {day for start, end in spans for day in each_day(max(start, first_day), min(end, last_day))}


def closed_dates_of_teams(team_ids: Any, first_day: date, last_day: date) -> set[date]:
    """National closure days plus the local ones of the teams and their ancestors (R-1.3.2).

    `team_ids` is a list or a subquery of team ids.
    """
    if isinstance(team_ids, (list, tuple, set, frozenset)):
        rows = sql_rows(_spans_of_teams(), {"teams": list(team_ids), "first": first_day, "last": last_day})
    else:
        rows = db.session.execute(_spans(Team.id.in_(team_ids), first_day, last_day))
    return _dates(rows, first_day, last_day)


def closed_dates(team_id: int, first_day: date, last_day: date) -> set[date]:
    """National closure days plus the local ones of the team and its ancestors (R-1.3.2)."""
    return closed_dates_of_teams([team_id], first_day, last_day)


def closures(team_ids: Iterable[int], first_day: date, last_day: date) -> list[Closure]:
    """The closures in the range with their names, for the calendars: national ones first.

    A local closure day on several teams of the chain is listed once, named after one of
    the asked teams where it is set on one, else after a team above them it is set on.
    """
    asked = set(team_ids)
    query = _spans(Team.id.in_(list(asked)), first_day, last_day, named=True)
    found: list[Closure] = []
    local: dict[int, tuple[bool, Closure]] = {}
    for start, end, name, team, closure_id, team_id in db.session.execute(query):
        closure = Closure(start, end, name, team)
        if closure_id is None:
            found.append(closure)
            continue
        own = team_id in asked
        if closure_id not in local or (own and not local[closure_id][0]):
            local[closure_id] = (own, closure)
    found += [closure for _own, closure in local.values()]
    # National days first, so theirs is the name a day shows.
    return sorted(found, key=lambda c: (c.team is not None, c.first_day, c.last_day, c.name))


def closed_days(team_ids: Iterable[int], first_day: date, last_day: date) -> dict[date, str]:
    """Every closed day of the teams in the range with what it is called: a national day's name,
    or a local one's with the team it was set on (R-1.3.2, R-1.3.4)."""
    days: dict[date, str] = {}
    for closure in closures(team_ids, first_day, last_day):
        label = closure.name if closure.team is None else f"{closure.name} ({closure.team})"
        for day in each_day(max(closure.first_day, first_day), min(closure.last_day, last_day)):
            days.setdefault(day, label)
    return days
