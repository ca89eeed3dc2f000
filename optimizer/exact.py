"""Exact 0/1 re-solves modelled in PuLP: a whole small component, or a neighbourhood of a schedule.

A neighbourhood is a waiting meeting's caseworkers and rooms over a few days. The meetings
placed on them those days are taken out, and the best arrangement of them and of the waiting
meetings that share those caseworkers is solved exactly (slot-coverage rows per caseworker-day
and room-day), each free to take any of its own options on those days, the rest of the
schedule fixed. A whole component uses the LP's arc-flow matrix with integer placement columns. The current arrangement is
always one of the model's solutions (and is handed to HiGHS as its start), so a result that is
read back can only be better. A solver's own status is not trusted: PuLP reports `Optimal` for
a HiGHS run cut by its time limit, so the solution status (`prob.sol_status`) decides whether
values exist at all, and every placement read back is re-checked against the calendars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pulp

from optimizer.bound import Columns, Matrix, complete_start
from optimizer.greedy import DAY, MeetingData, Problem, Schedule

Spot = tuple[tuple[int, ...], int, int, int]
# Total weight of the earliness tie-break over a whole model, as a share of the smallest
# priority: it orders equal counts and can never trade a placement for an earlier day.
TIE_BREAK = 0.01


@dataclass
class ExactResult:
    placed: dict[int, Spot] | None  # meeting -> spot for the meetings of the model; None: no solution read
    status: str  # PuLP's problem status
    sol_status: str  # PuLP's solution status
    proven_optimal: bool  # HiGHS proved optimality (not merely stopped by the time limit)
    dual_bound: float | None  # proven bound on the weighted count of the model's meetings, when known
    solver: str
    columns: int


def pulp_solver(seconds: float, threads: int = 1) -> pulp.LpSolver:
    """HiGHS through PuLP (highspy, with a start solution), or CBC where HiGHS is missing."""
    seconds = max(float(seconds), 0.05)
    if pulp.HiGHS().available():
        return StartedHiGHS(msg=False, timeLimit=seconds, threads=threads, gapRel=0.0)
    options = {"msg": False, "timeLimit": max(1, math.ceil(seconds)), "warmStart": True, "threads": threads}
    cbc = pulp.COIN_CMD(**options)
    if not cbc.available():
        # The CBC binary that ships with PuLP.
        cbc = pulp.COIN_CMD(path=pulp.PULP_CBC_CMD.pulp_cbc_path, **options)
    return cbc


class StartedHiGHS(pulp.HiGHS):
    """PuLP's HiGHS class, plus the variables' current values handed to HiGHS as a MIP start."""

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's method name
        given = [(v.index, float(v.varValue)) for v in lp.variables() if v.varValue is not None]
        if given:
            # A partial start is completed by HiGHS (the idle arcs of the flow model follow).
            index = np.array([k for k, _v in given], dtype=np.int32)
            value = np.array([v for _k, v in given], dtype=float)
            lp.solverModel.setSolution(len(given), index, value)
        lp.solverModel.run()


def enumerate_spots(schedule: Schedule, meetings: list[MeetingData], cws: set[int] | None, rooms: set[int] | None,
                    days: set[int] | None) -> tuple[np.ndarray, list[Spot]]:
    """Starts free in the schedule as it is now, for options inside the given resources and days."""
    owner: list[int] = []
    spots: list[Spot] = []
    for m in meetings:
        use = m.days if days is None else np.array([d for d in m.days.tolist() if d in days], dtype=np.int64)
        if not use.size:
            continue
        grid = schedule.grid(m.length)
        for team, room, mask in schedule.masks(m, use):
            if cws is not None and not set(team) <= cws:
                continue
            if rooms is not None and room >= 0 and room not in rooms:
                continue
            rows, cols = np.nonzero(mask)
            for r, c in zip(rows.tolist(), cols.tolist()):
                owner.append(m.index)
                spots.append((team, room, int(use[r]), int(grid[c])))
    return np.array(owner, dtype=np.int64), spots


def build_and_solve(problem: Problem, schedule: Schedule, meetings: list[MeetingData], incumbent: dict[int, Spot],
                    cws: set[int] | None, rooms: set[int] | None, days: set[int] | None, seconds: float,
                    threads: int = 1, max_columns: int | None = None) -> ExactResult | None:
    """Best arrangement of `meetings` in the free time left by `schedule`, which must not hold them.

    `incumbent` gives the spots some of them had before (free now, so they are columns of the
    model); it is the start solution. Returns None when the model would exceed `max_columns`.
    """
    owner, spots = enumerate_spots(schedule, meetings, cws, rooms, days)
    if max_columns is not None and len(spots) > max_columns:
        return None
    n = len(spots)
    if n == 0:
        return ExactResult({}, "Optimal", "Optimal Solution Found", True, 0.0, "none", 0)
    weight = np.array([problem.meetings[i].priority for i in owner.tolist()], dtype=float)
    day = np.array([s[2] for s in spots], dtype=np.int64)
    minute = np.array([s[3] for s in spots], dtype=np.int64)
    earliest = np.array([max(problem.meetings[i].earliest, 0) for i in owner.tolist()], dtype=np.int64)
    lateness = (day - earliest + minute / DAY) / max(problem.n_days, 1)
    smallest = float(min(m.priority for m in meetings))
    penalty = TIE_BREAK * smallest / max(len(meetings), 1)
    cost = weight - penalty * np.clip(lateness, 0.0, 1.0)

    prob = pulp.LpProblem("placement", pulp.LpMaximize)
    x = [prob.add_variable(f"x{j}", cat=pulp.LpBinary) for j in range(n)]
    prob += pulp.LpAffineExpression(zip(x, cost.tolist()))
    by_meeting: dict[int, list[int]] = {}
    for j, i in enumerate(owner.tolist()):
        by_meeting.setdefault(i, []).append(j)
    for i, js in by_meeting.items():
        if len(js) > 1:
            prob += pulp.LpAffineExpression((x[j], 1) for j in js) <= 1, f"once_{i}"
    _add_slot_coverage(prob, problem, owner, spots, x)

    spot_index = {(int(i), s): j for j, (i, s) in enumerate(zip(owner.tolist(), spots))}
    for v in x:
        v.setInitialValue(0)
    for i, s in incumbent.items():
        j = spot_index.get((i, s))
        if j is not None:
            x[j].setInitialValue(1)

    solver, status, sol_status, proven, bound = _run(prob, seconds, threads)
    # The cost is at most the weight and at least the weight less the whole tie-break.
    dual_bound = None if bound is None else bound + penalty * len(meetings)
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return ExactResult(None, status, sol_status, proven, dual_bound, solver.name, n)
    placed: dict[int, Spot] = {}
    for j, v in enumerate(x):
        if v.varValue is not None and v.varValue > 0.5:
            i = int(owner[j])
            if i in placed:
                return ExactResult(None, status, sol_status, proven, dual_bound, solver.name, n)
            placed[i] = spots[j]
    return ExactResult(placed, status, sol_status, proven, dual_bound, solver.name, n)


def _add_slot_coverage(prob: pulp.LpProblem, problem: Problem, owner: np.ndarray, spots: list[Spot],
                       x: list[pulp.LpVariable]) -> None:
    """Slot coverage: for every caseworker-day, room-day and citizen-day (R-3.6), at each start point at most one
    column covers it (every clique of intervals contains the latest start among them)."""
    uses: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    n_cw = len(problem.cw_ids)
    for j, (team, room, d, start) in enumerate(spots):
        m = problem.meetings[int(owner[j])]
        for c in team:
            uses.setdefault((c, d), []).append((start, start + m.length, j))
        if room >= 0:
            uses.setdefault((n_cw + room, d), []).append((start, start + m.duration, j))
        for z in m.citizens:
            uses.setdefault((-1 - z, d), []).append((start, start + m.duration, j))
    row = 0
    for items in uses.values():
        if len(items) < 2:
            continue
        arr = np.array(items, dtype=np.int64)
        points = np.unique(arr[:, 0])
        cover = (arr[None, :, 0] <= points[:, None]) & (points[:, None] < arr[None, :, 1])
        previous: frozenset | None = None
        for k in range(points.size):
            members = arr[cover[k], 2]
            if members.size < 2:
                continue
            key = frozenset(members.tolist())
            if previous is not None and key <= previous:
                continue
            previous = key
            prob += pulp.LpAffineExpression((x[j], 1) for j in members.tolist()) <= 1, f"slot_{row}"
            row += 1


def _run(prob: pulp.LpProblem, seconds: float,
         threads: int) -> tuple[Any, str, str, bool, float | None]:
    """Solve a maximisation: (solver, status, solution status, proven optimal, HiGHS's dual
    bound on the objective or None). A solver that fails outright leaves no solution."""
    solver = pulp_solver(seconds, threads)
    try:
        prob.solve(solver)
    except pulp.PulpSolverError:
        return solver, "Error", "No Solution Found", False, None
    proven, bound = False, None
    model = getattr(prob, "solverModel", None)
    if isinstance(model, highspy.Highs):
        proven = model.getModelStatus() == highspy.HighsModelStatus.kOptimal
        value = -float(model.getInfo().mip_dual_bound)  # PuLP hands HiGHS the negated objective
        bound = value if math.isfinite(value) else None
    return solver, pulp.LpStatus[prob.status], pulp.LpSolution[prob.sol_status], proven, bound


def apply(schedule: Schedule, problem: Problem, placed: dict[int, Spot]) -> bool:
    """Place the read-back spots one by one; False (and nothing placed) when any clashes."""
    done = []
    for i, spot in sorted(placed.items()):
        m = problem.meetings[i]
        if i in schedule.placed or not schedule.is_free(*spot, m):
            for k in done:
                schedule.remove(problem.meetings[k])
            return False
        schedule.place(m, *spot)
        done.append(i)
    return True


def start_counts(columns: Columns, start: dict[int, Spot]) -> np.ndarray:
    """A schedule as the number of meetings on each placement column."""
    position = {}
    for j, key in enumerate(zip(columns.cls.tolist(), columns.option.tolist(), columns.day.tolist(),
                                columns.minute.tolist())):
        position[key] = j
    class_of = {}
    for k, meeting_class in enumerate(columns.classes):
        for i in meeting_class.members:
            class_of[i] = k
    count = np.zeros(columns.size)
    for i, (team, room, day, minute) in start.items():
        k = class_of.get(i)
        if k is None:
            continue
        options = columns.classes[k].options
        if (team, room) in options:
            j = position.get((k, options.index((team, room)), day, minute))
            if j is not None:
                count[j] += 1
    return count


def spots_from_counts(columns: Columns, values: np.ndarray) -> dict[int, Spot] | None:
    """Meetings of each class onto the columns the model chose; None when a class is over-used."""
    placed: dict[int, Spot] = {}
    waiting = [list(c.members) for c in columns.classes]
    for j in np.flatnonzero(values > 0.5).tolist():
        k = int(columns.cls[j])
        team, room = columns.classes[k].options[int(columns.option[j])]
        for _ in range(int(round(float(values[j])))):
            if not waiting[k]:
                return None
            placed[waiting[k].pop()] = (team, room, int(columns.day[j]), int(columns.minute[j]))
    return placed


def solve_component_mip(problem: Problem, columns: Columns, matrix: Matrix, start: dict[int, Spot], seconds: float,
                        threads: int = 1) -> ExactResult:
    """The whole component's time-indexed model (the LP's arc-flow matrix, placement columns
    integer) in PuLP, started from `start` (its placements at columns of the model; others are
    left out of the start). Its dual bound is a proven bound on the component. The objective is
    the plain weighted count, integral with whole priorities, so HiGHS can close the search once
    its bound falls below the next whole number; earlier days are a later pass."""
    n_place = columns.size
    count = complete_start(matrix, start_counts(columns, start))

    prob = pulp.LpProblem("component", pulp.LpMaximize)
    x = [prob.add_variable(f"x{j}", 0, 1, pulp.LpInteger) for j in range(n_place)]
    x += [prob.add_variable(f"idle{j}", 0, 1) for j in range(matrix.n_col - n_place)]
    prob += pulp.LpAffineExpression(zip(x[:n_place], columns.weight.tolist()))
    order = np.argsort(matrix.index, kind="stable")
    col_of_entry = np.repeat(np.arange(matrix.n_col), np.diff(matrix.start))[order]
    value = matrix.value[order]
    row_start = np.searchsorted(matrix.index[order], np.arange(matrix.n_row + 1))
    for r in range(matrix.n_row):
        a, b = int(row_start[r]), int(row_start[r + 1])
        expression = pulp.LpAffineExpression(zip([x[j] for j in col_of_entry[a:b].tolist()], value[a:b].tolist()))
        if r < matrix.n_class:
            prob += expression <= float(matrix.row_upper[r]), f"class_{r}"
        else:
            prob += expression == float(matrix.row_upper[r]), f"node_{r}"
    for j, value in enumerate(count.tolist()):
        x[j].setInitialValue(value)

    solver, status, sol_status, proven, dual_bound = _run(prob, seconds, threads)
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return ExactResult(None, status, sol_status, proven, dual_bound, solver.name, n_place)
    values = np.array([v.varValue if v.varValue is not None else 0.0 for v in x[:n_place]])
    placed = spots_from_counts(columns, values)
    return ExactResult(placed, status, sol_status, proven, dual_bound, solver.name, n_place)
