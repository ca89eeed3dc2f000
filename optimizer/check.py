"""Independent feasibility check of a solution against its instance (the format's rules 1-5)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from optimizer.model import REASON_PARAMS, Instance, Meeting, Placement, Solution
from optimizer.quality import quality


@dataclass(frozen=True)
class Violation:
    code: str
    meeting: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.meeting}: {self.message}"


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return not self.violations

    def codes(self) -> set[str]:
        return {v.code for v in self.violations}


def _at(day: datetime, hhmm_minutes: int) -> datetime:
    midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(minutes=hhmm_minutes)


def _overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


Add = Callable[[Violation], None]
# caseworker id or "room <id>" -> (start, end, meeting) of each placement that takes it
Taken = dict[str, list[tuple[datetime, datetime, str]]]


def check(instance: Instance, solution: Solution) -> CheckReport:
    """Return every violation of the feasibility rules plus the solution's figures."""
    report = CheckReport()
    add = report.violations.append
    meetings: dict[str, Meeting] = {m.id: m for m in instance.meetings}
    _check_lists(meetings, solution, add)

    # Busy lists of caseworkers and rooms, to be checked against placements below.
    cw_taken: Taken = defaultdict(list)
    room_taken: Taken = defaultdict(list)
    citizen_taken: Taken = defaultdict(list)
    placed_once: set[str] = set()
    for p in solution.placements:
        meeting = meetings.get(p.meeting)
        if meeting is None or p.meeting in placed_once:
            continue
        placed_once.add(p.meeting)
        _check_dates(instance, meeting, p, add)
        _check_caseworkers(instance, meeting, p, add, cw_taken)
        _check_room(instance, meeting, p, add, room_taken)
        _check_citizens(instance, meeting, p, add, citizen_taken)

    # Rules 3 to 5: no two placements share a caseworker, a room or a citizen at the same time.
    for owner, taken in (list(cw_taken.items()) + [(f"room {r}", t) for r, t in room_taken.items()]
                         + [(f"citizen {z}", t) for z, t in citizen_taken.items()]):
        _check_overlaps(owner, taken, add)
    report.figures = _figures(instance, meetings, placed_once, solution, add)
    report.figures.update(quality(instance, solution))
    return report


def _check_lists(meetings: dict[str, Meeting], solution: Solution, add: Add) -> None:
    """Rule 1: each meeting exactly once, in one of the two lists."""
    seen: dict[str, str] = {}
    for p in solution.placements:
        if p.meeting not in meetings:
            add(Violation("unknown", p.meeting, "placement of a meeting not in the instance"))
        elif p.meeting in seen:
            add(Violation("duplicate", p.meeting, "placed more than once"))
        seen.setdefault(p.meeting, "placed")
    for u in solution.unplaced:
        if u.meeting not in meetings:
            add(Violation("unknown", u.meeting, "unplaced entry for a meeting not in the instance"))
        elif u.meeting in seen:
            add(Violation("duplicate", u.meeting, f"listed again as unplaced (already {seen[u.meeting]})"))
        if u.reason.code not in REASON_PARAMS:
            add(Violation("reason", u.meeting, f"unplaced without a known reason code ({u.reason.code!r})"))
        elif u.reason.missing_params():
            missing = ", ".join(u.reason.missing_params())
            add(Violation("reason", u.meeting, f"reason {u.reason.code} lacks {missing}"))
        seen.setdefault(u.meeting, "unplaced")
    for ident in meetings:
        if ident not in seen:
            add(Violation("missing", ident, "neither placed nor listed as unplaced"))


def _check_dates(instance: Instance, meeting: Meeting, p: Placement, add: Add) -> None:
    """Rule 2: grid, dates, horizon, closure."""
    start, day, grid = p.start, p.start.date(), instance.granularity_minutes
    if start.second or start.microsecond or (start.hour * 60 + start.minute) % grid:
        add(Violation("grid", p.meeting, f"start {start:%H:%M} is not on the {grid}-minute grid"))
    if day < meeting.earliest_date:
        add(Violation("earliest", p.meeting, f"{day} is before the earliest date {meeting.earliest_date}"))
    if day > meeting.deadline_date:
        add(Violation("deadline", p.meeting, f"{day} is after the deadline {meeting.deadline_date}"))
    if day < instance.start_date or day > instance.end_date:
        add(Violation("horizon", p.meeting, f"{day} is outside the planning horizon"))
    if day in instance.teams[meeting.team].closed_dates:
        add(Violation("closed", p.meeting, f"{day} is a closed date of team {meeting.team}"))


def _check_caseworkers(instance: Instance, meeting: Meeting, p: Placement, add: Add, cw_taken: Taken) -> None:
    """Rule 3: the right caseworkers, each in working time and free of breaks and busy times."""
    names = list(p.caseworkers)
    if meeting.kind == "individual":
        if len(names) != 1 or names[0] not in meeting.caseworkers:
            add(Violation("caseworkers", p.meeting, f"needs exactly one of {', '.join(meeting.caseworkers)}"))
    elif len(names) != len(set(names)) or set(names) != set(meeting.caseworkers):
        add(Violation("caseworkers", p.meeting, f"needs all of {', '.join(meeting.caseworkers)}"))
    start = p.start
    end = start + timedelta(minutes=meeting.duration_minutes + meeting.reporting_minutes)
    for name in dict.fromkeys(names):
        caseworker = instance.caseworkers.get(name)
        if caseworker is None:
            add(Violation("caseworkers", p.meeting, f"unknown caseworker {name}"))
            continue
        hours = caseworker.working_time.get(start.weekday())
        if hours is None or not (_at(start, hours[0]) <= start and end <= _at(start, hours[1])):
            add(Violation("working-time", p.meeting,
                          f"{start:%Y-%m-%d %H:%M}-{end:%H:%M} is outside the working time of {name}"))
        for b_start, b_end in caseworker.breaks.get(start.weekday(), ()):
            if _overlaps(start, end, _at(start, b_start), _at(start, b_end)):
                add(Violation("break", p.meeting, f"overlaps a break of {name}"))
        for b_start, b_end in caseworker.busy:
            if _overlaps(start, end, b_start, b_end):
                add(Violation("busy", p.meeting,
                              f"overlaps a busy time of {name} ({b_start:%Y-%m-%d %H:%M})"))
        cw_taken[name].append((start, end, p.meeting))


def _check_room(instance: Instance, meeting: Meeting, p: Placement, add: Add, room_taken: Taken) -> None:
    """Rule 4: one of the meeting's rooms, large enough and free, or none when it lists none."""
    if not meeting.rooms:
        if p.room is not None:
            add(Violation("room", p.meeting, "has a room but the meeting lists none"))
        return
    if p.room is None or p.room not in meeting.rooms:
        add(Violation("room", p.meeting, f"needs one of the rooms {', '.join(meeting.rooms)}"))
        return
    room = instance.rooms[p.room]
    if room.seats < meeting.participants:
        add(Violation("seats", p.meeting,
                      f"room {room.id} seats {room.seats}, {meeting.participants} participants"))
    room_end = p.start + timedelta(minutes=meeting.duration_minutes)
    for b_start, b_end in room.busy:
        if _overlaps(p.start, room_end, b_start, b_end):
            add(Violation("busy", p.meeting, f"overlaps a busy time of room {room.id}"))
    room_taken[room.id].append((p.start, room_end, p.meeting))


def _check_citizens(instance: Instance, meeting: Meeting, p: Placement, add: Add, citizen_taken: Taken) -> None:
    """Rule 5 (R-3.6): [start, start + duration) overlaps no busy time of the meeting's citizens
    (their own meetings) and no other placement of the same citizen."""
    end = p.start + timedelta(minutes=meeting.duration_minutes)
    for ident in meeting.citizens:
        for b_start, b_end in instance.citizens[ident].busy:
            if _overlaps(p.start, end, b_start, b_end):
                add(Violation("citizen", p.meeting,
                              f"overlaps a meeting of citizen {ident} ({b_start:%Y-%m-%d %H:%M})"))
        citizen_taken[ident].append((p.start, end, p.meeting))


def _check_overlaps(owner: str, taken: list[tuple[datetime, datetime, str]], add: Add) -> None:
    taken.sort()
    latest_end, latest_meeting = None, None
    for start, end, ident in taken:
        if latest_end is not None and start < latest_end:
            add(Violation("overlap", ident, f"overlaps {latest_meeting} for {owner}"))
        if latest_end is None or end > latest_end:
            latest_end, latest_meeting = end, ident


def _figures(instance: Instance, meetings: dict[str, Meeting], placed_once: set[str], solution: Solution,
             add: Add) -> dict[str, Any]:
    """Counts and the ratio to the stated bound, which no solution may exceed."""
    weighted = sum(meetings[m].priority for m in placed_once)
    total = sum(m.priority for m in instance.meetings)
    figures: dict[str, Any] = {
        "meetings": len(meetings),
        "placed": len(placed_once),
        "unplaced": len(meetings) - len(placed_once),
        "weighted_placed": weighted,
        "weighted_total": total,
    }
    bound = solution.stats.get("upper_bound")
    if isinstance(bound, (int, float)) and not isinstance(bound, bool):
        figures["upper_bound"] = bound
        figures["ratio"] = weighted / bound if bound > 0 else 1.0
        if weighted > bound + 1e-6:
            add(Violation("bound", "-", f"weighted placed {weighted} exceeds the stated upper bound {bound}"))
    return figures
