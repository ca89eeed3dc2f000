"""Batch solver: greedy floor, LP rounding per connected component, exact MIP on small ones, repair (R-3.2, R-3.4)."""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from optimizer.bound import Columns, build_matrix, enumerate_columns, meeting_classes, solve_lp, solve_mip
from optimizer.check import check
from optimizer.greedy import MeetingData, Problem, Schedule, build_problem, edf_order, greedy
from optimizer.model import Instance, Placement, Solution, Unplaced

# Beyond this many columns a component's LP is skipped (its bound falls back to the count of
# placeable meetings) to keep memory and time in check.
COLUMN_LIMIT = 3_000_000
# Exact MIP only for components whose model is this small.
MIP_COLUMN_LIMIT = 20_000
MIP_SECONDS = 2.0
# A process pool costs about a second to start; below this many meetings it does not pay.
POOL_MIN_MEETINGS = 1500
REPAIR_BLOCKERS = 40

Spot = tuple[tuple[int, ...], int, int, int]


@dataclass
class ComponentResult:
    greedy: dict[int, Spot]
    best: dict[int, Spot]
    bound: float
    method: str
    lp_optimal: bool = False
    seconds: dict[str, float] = field(default_factory=dict)


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.time(), 0.0)


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.time() >= deadline


def _score(problem: Problem, placed: dict[int, Spot]) -> tuple[float, int]:
    """Weighted count first, then earlier days (R-3.2)."""
    weight = sum(problem.meetings[i].priority for i in placed)
    return round(weight, 9), -sum(spot[2] for spot in placed.values())


def _fill(schedule: Schedule, meetings: list[MeetingData], deadline: float | None) -> None:
    for m in edf_order(meetings):
        if m.index not in schedule.placed:
            if _expired(deadline):
                return
            schedule.fit(m, balance=True)


def _repair(schedule: Schedule, static: Schedule, problem: Problem, deadline: float | None) -> None:
    """Place an unplaced meeting by moving one meeting in its way elsewhere (or out, if it weighs less)."""
    unplaced = [m for m in problem.meetings if m.index not in schedule.placed and m.index not in problem.unusable]
    unplaced.sort(key=lambda m: (-m.priority, m.deadline, m.index))
    for m in unplaced:
        if _expired(deadline):
            return
        if m.index in schedule.placed:
            continue
        if schedule.fit(m, balance=True):
            continue
        tried: set[int] = set()
        grid = static.grid(m.length)
        done = False
        for team, room, mask in static.masks(m):
            rows, cols = np.nonzero(mask)
            for row, col in zip(rows.tolist(), cols.tolist()):
                day, minute = int(m.days[row]), int(grid[col])
                blocking = schedule.blockers(team, room, day, minute, m)
                if len(blocking) != 1:
                    continue
                b = blocking.pop()
                if b in tried:
                    continue
                tried.add(b)
                other = problem.meetings[b]
                if other.priority > m.priority:
                    continue
                where = schedule.remove(other)
                if schedule.is_free(team, room, day, minute, m):
                    schedule.place(m, team, room, day, minute)
                    if schedule.fit(other, balance=True) or other.priority < m.priority:
                        done = True
                        break
                    schedule.remove(m)
                schedule.place(other, *where)
                if len(tried) >= REPAIR_BLOCKERS:
                    break
            if done or len(tried) >= REPAIR_BLOCKERS:
                break


def _shift_earlier(schedule: Schedule, problem: Problem, deadline: float | None) -> None:
    """Move each meeting to its earliest free day; its own spot stays available, so nothing is lost."""
    for index in sorted(schedule.placed, key=lambda i: -schedule.placed[i][2]):
        if _expired(deadline):
            return
        m = problem.meetings[index]
        where = schedule.remove(m)
        spot = schedule.first_fit(m, balance=True)
        if spot is None or spot[2] > where[2]:
            spot = where
        schedule.place(m, *spot)


def _round(schedule: Schedule, columns: Columns, values: np.ndarray) -> None:
    """Take columns by decreasing LP value, skipping any that clash with what is already placed."""
    chosen = np.flatnonzero(values > 1e-6)
    order = chosen[np.lexsort((-columns.cost[chosen], -values[chosen]))]
    waiting = [list(c.members) for c in columns.classes]
    for j in order.tolist():
        k = int(columns.cls[j])
        if not waiting[k]:
            continue
        meeting_class = columns.classes[k]
        team, room = meeting_class.options[int(columns.option[j])]
        day, minute = int(columns.day[j]), int(columns.minute[j])
        m = schedule.problem.meetings[waiting[k][-1]]
        if schedule.is_free(team, room, day, minute, m):
            schedule.place(m, team, room, day, minute)
            waiting[k].pop()


def _placeable_weight(problem: Problem, static: Schedule, indices: list[int]) -> float:
    total = 0.0
    for meeting_class in meeting_classes(problem, indices):
        if any(mask.any() for _t, _r, mask in static.masks(meeting_class.sample)):
            total += meeting_class.sample.priority * len(meeting_class.members)
    return total


def solve_component(problem: Problem, deadline: float | None, threads: int = 1) -> ComponentResult:
    """Best placement found for one connected component, with a proven bound on it."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    floor = greedy(problem)
    timings["greedy"] = time.perf_counter() - clock
    greedy_placed = dict(floor.placed)
    indices = [m.index for m in problem.meetings if m.index not in problem.unusable]
    best = greedy_placed
    method = "greedy"
    static = Schedule(problem)
    placeable = _placeable_weight(problem, static, indices)
    bound = placeable
    lp_optimal = False
    if _score(problem, best)[0] >= placeable - 1e-9 or _expired(deadline):
        return ComponentResult(greedy_placed, best, bound, method, False, timings)

    clock = time.perf_counter()
    columns = enumerate_columns(problem, static, indices, COLUMN_LIMIT)
    timings["columns"] = time.perf_counter() - clock
    candidates: list[tuple[str, dict[int, Spot]]] = []
    if columns is not None and columns.size:
        clock = time.perf_counter()
        matrix = build_matrix(problem, columns)
        timings["matrix"] = time.perf_counter() - clock
        clock = time.perf_counter()
        lp = solve_lp(columns, matrix, _remaining(deadline), threads)
        timings["lp"] = time.perf_counter() - clock
        lp_optimal = lp.optimal
        if lp.bound is not None:
            bound = min(bound, lp.bound)
        if lp.values is not None:
            clock = time.perf_counter()
            schedule = Schedule(problem)
            _round(schedule, columns, lp.values)
            _fill(schedule, problem.meetings, deadline)
            _repair(schedule, static, problem, deadline)
            _shift_earlier(schedule, problem, deadline)
            candidates.append(("lp-rounding", dict(schedule.placed)))
            timings["rounding"] = time.perf_counter() - clock
            reached = _score(problem, schedule.placed)[0]
            if reached < math.floor(bound + 1e-6) - 1e-9 and columns.size <= MIP_COLUMN_LIMIT and not _expired(deadline):
                clock = time.perf_counter()
                seconds = MIP_SECONDS if deadline is None else min(MIP_SECONDS, _remaining(deadline) or 0.0)
                if seconds > 0.05:
                    values, mip_bound = solve_mip(columns, matrix, seconds, threads)
                    if mip_bound is not None:
                        bound = min(bound, mip_bound)
                    if values is not None:
                        schedule = Schedule(problem)
                        _round(schedule, columns, values)
                        _fill(schedule, problem.meetings, deadline)
                        _repair(schedule, static, problem, deadline)
                        _shift_earlier(schedule, problem, deadline)
                        candidates.append(("mip", dict(schedule.placed)))
                timings["mip"] = time.perf_counter() - clock
    if not candidates:
        # Without a usable LP: the greedy improved by balance and repair.
        schedule = Schedule(problem)
        _fill(schedule, problem.meetings, deadline)
        _repair(schedule, static, problem, deadline)
        _shift_earlier(schedule, problem, deadline)
        candidates.append(("greedy+repair", dict(schedule.placed)))
    for name, placed in candidates:
        if _score(problem, placed) > _score(problem, best):
            best, method = placed, name
    return ComponentResult(greedy_placed, best, bound, method, lp_optimal, timings)


# --- components and the process pool ------------------------------------------------


def components(problem: Problem) -> list[list[int]]:
    """Meetings that share no caseworker or room (directly or through others) are independent."""
    n_cw = len(problem.cw_ids)
    parent = list(range(n_cw + len(problem.room_ids)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    usable = [m for m in problem.meetings if m.index not in problem.unusable]
    for m in usable:
        nodes = list(m.cws) + [n_cw + r for r in m.rooms]
        root = find(nodes[0])
        for node in nodes[1:]:
            other = find(node)
            if other != root:
                parent[other] = root
    groups: dict[int, list[int]] = {}
    for m in usable:
        groups.setdefault(find(m.cws[0]), []).append(m.index)
    return sorted(groups.values(), key=len, reverse=True)


def _run_component(problem: Problem, deadline: float | None, threads: int) -> ComponentResult:
    return solve_component(problem, deadline, threads)


def _solve_all(problem: Problem, groups: list[list[int]], deadline: float | None, workers: int | None):
    subs = [problem.subproblem(group) for group in groups]
    total = sum(len(g) for g in groups)
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    results: list[ComponentResult | None] = [None] * len(subs)
    if workers > 1 and len(subs) > 1 and total >= POOL_MIN_MEETINGS:
        try:
            # spawn: safe for a library caller that may already hold solver threads.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = [pool.submit(_run_component, sub, deadline, 1) for sub, _c, _r in subs]
                for k, future in enumerate(futures):
                    try:
                        results[k] = future.result()
                    except Exception:  # a failed worker falls back to serial below
                        results[k] = None
        except (OSError, RuntimeError):
            pass
    for k, (sub, _c, _r) in enumerate(subs):
        if results[k] is None:
            results[k] = solve_component(sub, deadline, threads=workers or 1)
    return subs, results


# --- reasons ------------------------------------------------------------------------


def _names(ids: list[str]) -> str:
    return ", ".join(ids)


def unplaced_reason(instance: Instance, problem: Problem, index: int) -> str:
    """A reason a caseworker understands for a meeting left on the waiting list (R-3.4)."""
    meeting = instance.meetings[index]
    m = problem.meetings[index]
    first, last = meeting.earliest_date, meeting.deadline_date
    period = f"between {first} and {last}"
    who = _names(list(meeting.caseworkers))
    if last < first:
        return f"the earliest date {first} is after the deadline {last}"
    if last < instance.start_date or first > instance.end_date:
        return f"the period {first} to {last} lies outside the planning period {instance.start_date} to {instance.end_date}"
    if not len(m.days):
        return f"closed on every day {period}"
    if meeting.rooms and not m.rooms:
        seats = ", ".join(f"{r} seats {instance.rooms[r].seats}" for r in meeting.rooms)
        return f"room too small: {seats}, {meeting.participants} participants"
    static = _StaticView(problem)
    cw_only = MeetingData(m.index, m.id, m.kind, m.cws, (), m.length, m.duration, m.days, m.priority, m.deadline,
                          m.earliest)
    if not any(mask.any() for _t, _r, mask in static.masks(cw_only)):
        common = "common " if meeting.kind == "group" and len(meeting.caseworkers) > 1 else ""
        return (
            f"no {common}free time of {meeting.duration_minutes + meeting.reporting_minutes} minutes "
            f"for {who} {period}"
        )
    if not any(mask.any() for _t, _r, mask in static.masks(m)):
        return f"no free time in room {_names([problem.room_ids[r] for r in m.rooms])} when {who} can meet {period}"
    rooms = f" and room {_names([problem.room_ids[r] for r in m.rooms])}" if m.rooms else ""
    return f"all free time of {who}{rooms} {period} is taken by other meetings"


class _StaticView(Schedule):
    """Masks over the static calendars only, built lazily for the rows a meeting needs."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self._grids = {}
        n_days = problem.n_days
        self.cw_cs = _LazyPrefix(problem.cw_free, n_days)
        self.room_cs = _LazyPrefix(problem.room_free, n_days)


class _LazyPrefix:
    def __init__(self, free: np.ndarray, n_days: int) -> None:
        self.free = free
        self.n_days = n_days
        self.cache: dict[int, np.ndarray] = {}

    def __getitem__(self, row: int) -> np.ndarray:
        cs = self.cache.get(row)
        if cs is None:
            cs = np.zeros((self.n_days, 1441), dtype=np.int16)
            np.cumsum(self.free[row].reshape(self.n_days, 1440), axis=1, out=cs[:, 1:])
            self.cache[row] = cs
        return cs


# --- entry point --------------------------------------------------------------------


def _to_placements(problem: Problem, instance: Instance, placed: dict[int, Spot]) -> list[Placement]:
    result = []
    for index in sorted(placed):
        team, room, day, minute = placed[index]
        result.append(
            Placement(
                instance.meetings[index].id,
                problem.start_of(day, minute),
                tuple(problem.cw_ids[c] for c in team),
                problem.room_ids[room] if room >= 0 else None,
            )
        )
    return result


def _assemble(instance: Instance, problem: Problem, placed: dict[int, Spot], stats: dict) -> Solution:
    unplaced = [
        Unplaced(m.id, unplaced_reason(instance, problem, i))
        for i, m in enumerate(instance.meetings)
        if i not in placed
    ]
    return Solution(_to_placements(problem, instance, placed), unplaced, stats)


def solve(instance: Instance, time_limit: float | None = None, workers: int | None = None) -> Solution:
    """Place as many waiting meetings as possible (R-3.2); the result always passes `check`."""
    started = time.perf_counter()
    deadline = None if time_limit is None else time.time() + time_limit
    problem = build_problem(instance)
    groups = components(problem)
    subs, results = _solve_all(problem, groups, deadline, workers)

    best: dict[int, Spot] = {}
    floor: dict[int, Spot] = {}
    bound = 0.0
    methods: dict[str, int] = {}
    for (_sub, cws, rooms), group, result in zip(subs, groups, results):
        for source, target in ((result.best, best), (result.greedy, floor)):
            for local, (team, room, day, minute) in source.items():
                target[group[local]] = (tuple(cws[c] for c in team), rooms[room] if room >= 0 else -1, day, minute)
        bound += result.bound
        methods[result.method] = methods.get(result.method, 0) + 1

    integral = all(float(m.priority).is_integer() for m in instance.meetings)
    margin = 1e-6 * (1.0 + abs(bound))
    upper_bound: float = math.floor(bound + margin) if integral else bound + margin

    def stats(placed: dict[int, Spot], solver: str) -> dict:
        weighted = sum(problem.meetings[i].priority for i in placed)
        return {
            "seconds": round(time.perf_counter() - started, 3),
            "placed": len(placed),
            "weighted_placed": weighted,
            "upper_bound": upper_bound,
            "greedy_placed": len(floor),
            "greedy_weighted_placed": sum(problem.meetings[i].priority for i in floor),
            "solver": solver,
            "components": len(groups),
            "methods": methods,
        }

    solution = _assemble(instance, problem, best, stats(best, "lp-rounding+repair (HiGHS), greedy floor"))
    report = check(instance, solution)
    if not report.feasible:
        # Should not happen; the greedy floor is the safe answer then.
        solution = _assemble(instance, problem, floor, stats(floor, "greedy (solver result failed the check)"))
        if not check(instance, solution).feasible:
            raise RuntimeError("no solution passed the feasibility check: " + "; ".join(map(str, report.violations[:5])))
    solution.stats["seconds"] = round(time.perf_counter() - started, 3)
    return solution
