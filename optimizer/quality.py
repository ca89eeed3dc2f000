"""The later goals of R-3.2, measured on a solution: load balance and compact days.

- Load balance: a caseworker's booked share is the minutes this solution books them (meeting
  plus reporting time) over their free minutes in the instance (working time less breaks and
  busy time). A team's caseworkers are those its meetings may take; its spread is the largest
  share less the smallest. Reported: the mean spread over teams and the largest.
- Compactness: per caseworker-day with a placement, the idle minutes between a placement and
  the next taken time (another placement or a busy interval) of that day, breaks excluded.
  Reported: idle minutes and gaps per such caseworker-day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from optimizer.model import Instance, Meeting, Solution

Span = tuple[datetime, datetime, bool]  # start, end, whether it is a placement of this solution


def _free_minutes(instance: Instance, ident: str) -> float:
    caseworker = instance.caseworkers[ident]
    total = 0.0
    for offset in range(instance.days):
        day = instance.start_date + timedelta(days=offset)
        hours = caseworker.working_time.get(day.weekday())
        if hours is not None:
            total += hours[1] - hours[0] - sum(b - a for a, b in caseworker.breaks.get(day.weekday(), ()))
    start = datetime.combine(instance.start_date, datetime.min.time())
    end = start + timedelta(days=instance.days)
    for a, b in caseworker.busy:
        a, b = max(a, start), min(b, end)
        if b > a:
            total -= (b - a).total_seconds() / 60
    return max(total, 0.0)


def load_balance(instance: Instance, solution: Solution) -> dict[str, float]:
    """Spread of booked share between the caseworkers of each team (0: perfectly even)."""
    meetings: dict[str, Meeting] = {m.id: m for m in instance.meetings}
    booked: dict[str, float] = defaultdict(float)
    for p in solution.placements:
        meeting = meetings.get(p.meeting)
        if meeting is not None:
            for name in p.caseworkers:
                booked[name] += meeting.occupied_minutes
    teams: dict[str, set[str]] = defaultdict(set)
    for m in instance.meetings:
        teams[m.team].update(m.caseworkers)
    free = {c: _free_minutes(instance, c) for names in teams.values() for c in names}
    spreads = []
    for names in teams.values():
        shares = [booked[c] / free[c] for c in names if free[c] > 0]
        if len(shares) > 1:
            spreads.append(max(shares) - min(shares))
    if not spreads:
        return {"mean_spread": 0.0, "max_spread": 0.0}
    return {"mean_spread": round(sum(spreads) / len(spreads), 4), "max_spread": round(max(spreads), 4)}


def _break_minutes(instance: Instance, ident: str, a: datetime, b: datetime) -> float:
    midnight = datetime.combine(a.date(), datetime.min.time())
    minutes = 0.0
    for start, end in instance.caseworkers[ident].breaks.get(a.weekday(), ()):
        lo, hi = max(a, midnight + timedelta(minutes=start)), min(b, midnight + timedelta(minutes=end))
        if hi > lo:
            minutes += (hi - lo).total_seconds() / 60
    return minutes


def compactness(instance: Instance, solution: Solution) -> dict[str, float]:
    """Idle time between a placement and the next taken time of its caseworker-day."""
    meetings: dict[str, Meeting] = {m.id: m for m in instance.meetings}
    days: dict[tuple[str, date], list[Span]] = defaultdict(list)
    for p in solution.placements:
        meeting = meetings.get(p.meeting)
        if meeting is None:
            continue
        end = p.start + timedelta(minutes=meeting.occupied_minutes)
        for name in p.caseworkers:
            days[(name, p.start.date())].append((p.start, end, True))
    for (name, day), spans in days.items():
        spans.extend((a, b, False) for a, b in instance.caseworkers[name].busy if a.date() == day)
    idle, gaps = 0.0, 0
    for (name, _day), spans in days.items():
        spans.sort()
        for (_a, end, placed), (start, _b, next_placed) in zip(spans, spans[1:]):
            if (placed or next_placed) and start > end:
                minutes = (start - end).total_seconds() / 60 - _break_minutes(instance, name, end, start)
                if minutes > 0:
                    idle += minutes
                    gaps += 1
    n = max(len(days), 1)
    return {"caseworker_days": len(days), "idle_minutes_per_day": round(idle / n, 2),
            "gaps_per_day": round(gaps / n, 3)}


def quality(instance: Instance, solution: Solution) -> dict[str, Any]:
    """Both figures, for `stats` and for `check`."""
    return {"load_balance": load_balance(instance, solution), "compactness": compactness(instance, solution)}
