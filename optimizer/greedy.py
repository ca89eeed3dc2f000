"""Minute-level calendars of caseworkers, rooms and citizens, and the first-fit greedy floor over a few cheap orders."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from optimizer.model import MINUTES_PER_DAY, Instance

DAY = MINUTES_PER_DAY


@dataclass
class MeetingData:
    """A meeting in index form: caseworkers and rooms are row numbers of the calendars."""

    index: int
    id: str
    kind: str
    cws: tuple[int, ...]
    rooms: tuple[int, ...]  # rooms with enough seats
    length: int  # duration + reporting: time the caseworkers are taken
    duration: int  # time the room is taken
    days: np.ndarray  # open days of the window, as day numbers of the horizon
    priority: float
    deadline: int  # day number (may lie outside the horizon)
    earliest: int
    citizens: tuple[int, ...] = ()  # rows of the citizens' calendars, taken for `duration` (R-3.6)

    def options(self) -> list[tuple[tuple[int, ...], int]]:
        """Caseworker sets and rooms (-1: none) the meeting may take, in the listed order."""
        teams = [(c,) for c in self.cws] if self.kind == "individual" else [self.cws]
        rooms = list(self.rooms) if self.rooms else [-1]
        return [(t, r) for t in teams for r in rooms]


@dataclass
class Problem:
    """Static part: free minutes of every caseworker and room before any placement."""

    granularity: int
    start_date: date
    n_days: int
    cw_ids: list[str]
    room_ids: list[str]
    cw_free: np.ndarray  # bool (n_cw, n_days * 1440)
    room_free: np.ndarray  # bool (n_room, n_days * 1440)
    meetings: list[MeetingData]
    unusable: dict[int, str] = field(default_factory=dict)  # meeting index -> why no start exists at all
    # Citizens that constrain anything (busy time, or several meetings), like rooms that every
    # option of their meetings takes.
    cz_ids: list[str] = field(default_factory=list)
    cz_free: np.ndarray | None = None  # bool (n_cz, n_days * 1440)

    def __post_init__(self) -> None:
        if self.cz_free is None:
            self.cz_free = np.ones((len(self.cz_ids), self.n_days * DAY), dtype=bool)

    def start_of(self, day: int, minute: int) -> datetime:
        return datetime.combine(self.start_date + timedelta(days=day), datetime.min.time()) + timedelta(
            minutes=minute
        )

    def subproblem(self, meeting_indices: list[int]) -> tuple[Problem, list[int], list[int]]:
        """The part of the problem these meetings touch; returns it with the global cw and room rows."""
        cws = sorted({c for i in meeting_indices for c in self.meetings[i].cws})
        rooms = sorted({r for i in meeting_indices for r in self.meetings[i].rooms})
        czs = sorted({z for i in meeting_indices for z in self.meetings[i].citizens})
        cw_local = {c: k for k, c in enumerate(cws)}
        room_local = {r: k for k, r in enumerate(rooms)}
        cz_local = {z: k for k, z in enumerate(czs)}
        meetings = []
        for k, i in enumerate(meeting_indices):
            m = self.meetings[i]
            meetings.append(
                MeetingData(
                    k, m.id, m.kind, tuple(cw_local[c] for c in m.cws), tuple(room_local[r] for r in m.rooms),
                    m.length, m.duration, m.days, m.priority, m.deadline, m.earliest,
                    tuple(cz_local[z] for z in m.citizens),
                )
            )
        sub = Problem(
            self.granularity, self.start_date, self.n_days, [self.cw_ids[c] for c in cws],
            [self.room_ids[r] for r in rooms], self.cw_free[cws], self.room_free[rooms], meetings,
            cz_ids=[self.cz_ids[z] for z in czs], cz_free=self.cz_free[czs],
        )
        return sub, cws, rooms


def _minute(instance: Instance, moment: datetime) -> int:
    delta = moment - datetime.combine(instance.start_date, datetime.min.time())
    return int(delta.total_seconds() // 60)


def _block(row: np.ndarray, start: int, end: int) -> None:
    start, end = max(start, 0), min(end, row.shape[0])
    if start < end:
        row[start:end] = False


def build_problem(instance: Instance) -> Problem:
    """Turn an instance into free-minute arrays and index-form meetings (R-2.1)."""
    n_days = instance.days
    horizon = n_days * DAY
    cw_ids = list(instance.caseworkers)
    room_ids = list(instance.rooms)
    cw_free = np.zeros((len(cw_ids), horizon), dtype=bool)
    weekdays = [(instance.start_date + timedelta(days=d)).weekday() for d in range(n_days)]
    for k, ident in enumerate(cw_ids):
        caseworker = instance.caseworkers[ident]
        row = cw_free[k]
        for d, weekday in enumerate(weekdays):
            hours = caseworker.working_time.get(weekday)
            if hours is None:
                continue
            row[d * DAY + hours[0] : d * DAY + hours[1]] = True
            for a, b in caseworker.breaks.get(weekday, ()):
                row[d * DAY + a : d * DAY + b] = False
        for a, b in caseworker.busy:
            _block(row, _minute(instance, a), _minute(instance, b))
    room_free = np.ones((len(room_ids), horizon), dtype=bool)
    for k, ident in enumerate(room_ids):
        for a, b in instance.rooms[ident].busy:
            _block(room_free[k], _minute(instance, a), _minute(instance, b))

    cz_ids, cz_free = _citizens(instance, horizon)
    cw_index = {c: k for k, c in enumerate(cw_ids)}
    room_index = {r: k for k, r in enumerate(room_ids)}
    cz_index = {z: k for k, z in enumerate(cz_ids)}
    meetings = []
    unusable: dict[int, str] = {}
    for i, m in enumerate(instance.meetings):
        closed = instance.teams[m.team].closed_dates
        first = (m.earliest_date - instance.start_date).days
        last = (m.deadline_date - instance.start_date).days
        days = [
            d for d in range(max(first, 0), min(last, n_days - 1) + 1)
            if instance.start_date + timedelta(days=d) not in closed
        ]
        rooms = tuple(room_index[r] for r in m.rooms if instance.rooms[r].seats >= m.participants)
        meetings.append(
            MeetingData(
                i, m.id, m.kind, tuple(cw_index[c] for c in m.caseworkers), rooms, m.occupied_minutes,
                m.duration_minutes, np.array(days, dtype=np.int64), m.priority, last, first,
                tuple(cz_index[z] for z in m.citizens if z in cz_index),
            )
        )
        if not days or (m.rooms and not rooms):
            unusable[i] = "no open day or no room large enough"
    return Problem(instance.granularity_minutes, instance.start_date, n_days, cw_ids, room_ids, cw_free, room_free,
                   meetings, unusable, cz_ids, cz_free)


def _citizens(instance: Instance, horizon: int) -> tuple[list[str], np.ndarray]:
    """Calendars of the citizens that constrain anything: busy time within the horizon, or
    more than one meeting. A citizen of one meeting and no busy time needs no row (R-3.6)."""
    count: dict[str, int] = {}
    for m in instance.meetings:
        for z in m.citizens:
            count[z] = count.get(z, 0) + 1
    rows: list[str] = []
    blocked: list[list[tuple[int, int]]] = []
    for ident, n in count.items():
        busy = [(max(_minute(instance, a), 0), min(_minute(instance, b), horizon))
                for a, b in instance.citizens[ident].busy]
        busy = [(a, b) for a, b in busy if a < b]
        if n > 1 or busy:
            rows.append(ident)
            blocked.append(busy)
    free = np.ones((len(rows), horizon), dtype=bool)
    for k, busy in enumerate(blocked):
        for a, b in busy:
            free[k, a:b] = False
    return rows, free


def _prefix(free: np.ndarray, n_days: int) -> np.ndarray:
    """Per-day prefix sums of free minutes: cs[r, d, t] = free minutes in [0, t) of day d."""
    n = free.shape[0]
    cs = np.zeros((n, n_days, DAY + 1), dtype=np.int16)
    if n and n_days:
        np.cumsum(free.reshape(n, n_days, DAY), axis=2, out=cs[:, :, 1:])
    return cs


class Schedule:
    """Dynamic calendars: what is still free, who holds each minute, and the placements so far."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        n_days = problem.n_days
        self.cw_free = problem.cw_free.reshape(len(problem.cw_ids), n_days, DAY).copy()
        self.room_free = problem.room_free.reshape(len(problem.room_ids), n_days, DAY).copy()
        self.cz_free = problem.cz_free.reshape(len(problem.cz_ids), n_days, DAY).copy()
        self.cw_cs = _prefix(problem.cw_free, n_days)
        self.room_cs = _prefix(problem.room_free, n_days)
        self.cz_cs = _prefix(problem.cz_free, n_days)
        self.cw_owner = np.full(self.cw_free.shape, -1, dtype=np.int32)
        self.room_owner = np.full(self.room_free.shape, -1, dtype=np.int32)
        self.cz_owner = np.full(self.cz_free.shape, -1, dtype=np.int32)
        self.cw_load = np.zeros(len(problem.cw_ids), dtype=np.int64)
        # meeting index -> (caseworkers, room or -1, day, minute of day)
        self.placed: dict[int, tuple[tuple[int, ...], int, int, int]] = {}
        self._grids: dict[int, np.ndarray] = {}

    # --- queries ----------------------------------------------------------------

    def grid(self, length: int) -> np.ndarray:
        """Grid minutes at which something of this length can start and still end the same day."""
        grid = self._grids.get(length)
        if grid is None:
            grid = np.arange(0, DAY - length + 1, self.problem.granularity, dtype=np.int64)
            self._grids[length] = grid
        return grid

    def masks(self, m: MeetingData, days: np.ndarray | None = None) -> list[tuple[tuple[int, ...], int, np.ndarray]]:
        """For each option of the meeting, a (days x grid) boolean array of starts free right now."""
        days = m.days if days is None else days
        grid = self.grid(m.length)
        cw_ok = {}
        for c in m.cws:
            cs = self.cw_cs[c][days]
            cw_ok[c] = (cs[:, grid + m.length] - cs[:, grid]) == m.length
        room_ok = {}
        for r in m.rooms:
            cs = self.room_cs[r][days]
            room_ok[r] = (cs[:, grid + m.duration] - cs[:, grid]) == m.duration
        citizens_ok = None
        for z in m.citizens:
            cs = self.cz_cs[z][days]
            ok = (cs[:, grid + m.duration] - cs[:, grid]) == m.duration
            citizens_ok = ok if citizens_ok is None else citizens_ok & ok
        result = []
        for team, room in m.options():
            mask = cw_ok[team[0]]
            for c in team[1:]:
                mask = mask & cw_ok[c]
            if citizens_ok is not None:
                mask = mask & citizens_ok
            if room >= 0:
                mask = mask & room_ok[room]
            result.append((team, room, mask))
        return result

    def is_free(self, team: tuple[int, ...], room: int, day: int, minute: int, m: MeetingData) -> bool:
        for c in team:
            if not self.cw_free[c, day, minute : minute + m.length].all():
                return False
        for z in m.citizens:
            if not self.cz_free[z, day, minute : minute + m.duration].all():
                return False
        return room < 0 or bool(self.room_free[room, day, minute : minute + m.duration].all())

    def blockers(self, team: tuple[int, ...], room: int, day: int, minute: int, m: MeetingData) -> set[int]:
        """Meetings placed in the way of this start (static busy time is never in the way here)."""
        found: set[int] = set()
        for c in team:
            found.update(np.unique(self.cw_owner[c, day, minute : minute + m.length]).tolist())
        if room >= 0:
            found.update(np.unique(self.room_owner[room, day, minute : minute + m.duration]).tolist())
        for z in m.citizens:
            found.update(np.unique(self.cz_owner[z, day, minute : minute + m.duration]).tolist())
        found.discard(-1)
        return found

    # --- changes ----------------------------------------------------------------

    def _mark(self, m: MeetingData, team: tuple[int, ...], room: int, day: int, minute: int, take: bool) -> None:
        end = minute + m.length
        for c in team:
            self.cw_free[c, day, minute:end] = not take
            self.cw_owner[c, day, minute:end] = m.index if take else -1
            np.cumsum(self.cw_free[c, day], out=self.cw_cs[c, day, 1:])
            self.cw_load[c] += m.length if take else -m.length
        if room >= 0:
            room_end = minute + m.duration
            self.room_free[room, day, minute:room_end] = not take
            self.room_owner[room, day, minute:room_end] = m.index if take else -1
            np.cumsum(self.room_free[room, day], out=self.room_cs[room, day, 1:])
        for z in m.citizens:
            self.cz_free[z, day, minute : minute + m.duration] = not take
            self.cz_owner[z, day, minute : minute + m.duration] = m.index if take else -1
            np.cumsum(self.cz_free[z, day], out=self.cz_cs[z, day, 1:])

    def place(self, m: MeetingData, team: tuple[int, ...], room: int, day: int, minute: int) -> None:
        self._mark(m, team, room, day, minute, True)
        self.placed[m.index] = (team, room, day, minute)

    def remove(self, m: MeetingData) -> tuple[tuple[int, ...], int, int, int]:
        where = self.placed.pop(m.index)
        self._mark(m, where[0], where[1], where[2], where[3], False)
        return where

    # --- first fit ----------------------------------------------------------------

    def first_fit(self, m: MeetingData, balance: bool = False) -> tuple[tuple[int, ...], int, int, int] | None:
        """Earliest free start of the meeting; with `balance`, ties on the day go to the least-loaded caseworkers."""
        if not len(m.days):
            return None
        best = None
        best_key = None
        for team, room, mask in self.masks(m):
            day_has = mask.any(axis=1)
            if not day_has.any():
                continue
            row = int(day_has.argmax())
            col = int(mask[row].argmax())
            if balance:
                key = (row, int(self.cw_load[list(team)].sum()), col)
            else:
                key = (row, col)
            if best_key is None or key < best_key:
                best_key = key
                best = (team, room, int(m.days[row]), int(self.grid(m.length)[col]))
        return best

    def fit(self, m: MeetingData, balance: bool = False) -> bool:
        spot = self.first_fit(m, balance)
        if spot is None:
            return False
        self.place(m, *spot)
        return True


def edf_order(meetings: list[MeetingData]) -> list[MeetingData]:
    return sorted(meetings, key=lambda m: (m.deadline, m.earliest, m.index))


def priority_edf_key(m: MeetingData) -> tuple:
    """Earliest deadline first, ties to the higher priority, then the earlier first day."""
    return (m.deadline, -m.priority, m.earliest, m.index)


# The cheap orders the floor tries (R-3.2: the weighted count is what counts). The first is the
# one the floor is never below; the others win where priorities or tight windows matter more
# than deadlines: priority first, the fewest open days first, priority per minute taken.
FLOOR_ORDERS: dict[str, Callable[[MeetingData], tuple]] = {
    "edf+priority": priority_edf_key,
    "priority+edf": lambda m: (-m.priority, m.deadline, m.earliest, m.index),
    "fewest-days": lambda m: (len(m.days), -m.priority, m.deadline, m.index),
    "priority-per-minute": lambda m: (-m.priority / m.length, m.deadline, m.earliest, m.index),
}


def greedy(problem: Problem, schedule: Schedule | None = None,
           key: Callable[[MeetingData], tuple] | None = None, deadline: float | None = None) -> Schedule | None:
    """Each meeting in turn at its earliest free start: by default earliest deadline first (the
    plain baseline); `key` gives another order. None when `deadline` (time.time()) passes first."""
    schedule = schedule or Schedule(problem)
    ordered = edf_order(problem.meetings) if key is None else sorted(problem.meetings, key=key)
    for number, m in enumerate(ordered):
        if deadline is not None and number % 32 == 0 and time.time() >= deadline:
            return None
        if m.index not in schedule.placed and m.index not in problem.unusable:
            schedule.fit(m)
    return schedule


def floor_score(problem: Problem, placed: dict[int, tuple[tuple[int, ...], int, int, int]]) -> tuple:
    """Weighted count first, then the plain count, then earlier days (R-3.2)."""
    weight = sum(problem.meetings[i].priority for i in placed)
    return (round(weight, 9), len(placed), -sum(spot[2] for spot in placed.values()))


# Marks a floor cut short by the deadline (see `weighted_floor`).
TRUNCATED = " (cut at the deadline)"


def weighted_floor(problem: Problem, orders: dict[str, Callable[[MeetingData], tuple]] | None = None,
                   until: float | None = None, deadline: float | None = None) -> tuple[Schedule, str]:
    """The best of the greedy over a few cheap orders, by weighted count: never below the
    earliest-deadline greedy that breaks ties by priority (the first order, always run). Each
    further order runs only when, at the pace of the one before, it ends by `until` and by
    `deadline` (time.time(); None: all run). Returns the schedule with its order's name, which
    ends in TRUNCATED when an order the `until` allowed was left out for the `deadline`."""
    best: Schedule | None = None
    name = ""
    took = 0.0
    for order, key in (orders or FLOOR_ORDERS).items():
        if best is not None and until is not None and time.time() + took > until:
            break
        if best is not None and deadline is not None and time.time() + took > deadline:
            return best, name + TRUNCATED
        clock = time.time()
        schedule = greedy(problem, key=key, deadline=None if best is None else deadline)
        if schedule is None:
            assert best is not None
            return best, name + TRUNCATED
        took = time.time() - clock
        if best is None or floor_score(problem, schedule.placed) > floor_score(problem, best.placed):
            best, name = schedule, order
    assert best is not None
    return best, name
