"""Time-indexed placement model over left-justified starts as a sparse matrix, its LP relaxation in HiGHS, and a proven upper bound."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.greedy import DAY, MeetingData, Problem, Schedule

# Earlier days get a slightly larger coefficient in the order rounding takes columns (never
# enough to trade a placement for a day). The LP and the MIPs maximise the pure weighted count:
# the LP's duals then give the tightest bound, measured on the benchmark instances its rounding
# placed more than the tie-broken LP's, and the MIPs' objective stays integral.
EARLY_WEIGHT = 1e-4


@dataclass
class MeetingClass:
    """Meetings that are interchangeable: same resources, lengths, open days and priority."""

    members: list[int]
    sample: MeetingData
    options: list[tuple[tuple[int, ...], int]]


@dataclass
class Columns:
    """One column per (class, option, day, start) that is free in the static calendars."""

    classes: list[MeetingClass]
    cls: np.ndarray
    option: np.ndarray
    day: np.ndarray
    minute: np.ndarray
    weight: np.ndarray  # pure priority: the count objective
    cost: np.ndarray  # priority with the small preference for early days (the rounding order)

    @property
    def size(self) -> int:
        return int(self.cls.shape[0])

    def subset(self, keep: np.ndarray) -> Columns:
        return Columns(self.classes, self.cls[keep], self.option[keep], self.day[keep], self.minute[keep],
                       self.weight[keep], self.cost[keep])


def meeting_classes(problem: Problem, indices: list[int]) -> list[MeetingClass]:
    groups: dict[tuple, list[int]] = {}
    for i in indices:
        m = problem.meetings[i]
        cws = m.cws if m.kind == "group" else tuple(sorted(m.cws))
        key = (m.kind, cws, tuple(sorted(m.rooms)), m.length, m.duration, m.days.tobytes(), m.priority,
               tuple(sorted(m.citizens)))
        groups.setdefault(key, []).append(i)
    classes = []
    for members in groups.values():
        sample = problem.meetings[members[0]]
        classes.append(MeetingClass(members, sample, sample.options()))
    return classes


class Cancelled(Exception):
    """Raised by the model builders when their `stop()` says so (a run cut at its deadline)."""


def _check(stop: Callable[[], bool] | None) -> None:
    if stop is not None and stop():
        raise Cancelled


def anchored_masks(problem: Problem, static: Schedule, classes: list[MeetingClass],
                   stop: Callable[[], bool] | None = None) -> list[list[np.ndarray]]:
    """Per class and option, the (days x grid) starts that are free in the static calendars and
    left-justified: at the first grid point at or after a moment where one of the option's
    caseworkers or rooms becomes free, or where a meeting that can itself start at such a start
    ends on one of them (the closure of that rule).

    No schedule is lost: take any feasible schedule and, in order of start, move each meeting
    left one grid step at a time while it stays feasible. Where it stops, the minute before its
    new start p is taken on one of its resources, and the last taken minute in [p - g, p) is
    either static (a moment where that resource becomes free lies in (p - g, p]) or held by a
    meeting that started earlier, was already moved, and ends in (p - g, p]; at p = 0 the day
    starts free. So every schedule has a copy placing the same meetings at these starts only;
    the model over them has the same optimum, and its LP relaxation is still an upper bound.
    """
    g = problem.granularity
    n_cw = len(problem.cw_ids)
    n_days = problem.n_days
    points = DAY // g + 2
    n_cz_first = n_cw + len(problem.room_ids)
    n_res = n_cz_first + len(problem.cz_ids)
    anchor = np.zeros((n_res, n_days, points), dtype=bool)
    for offset, free in ((0, problem.cw_free), (n_cw, problem.room_free), (n_cz_first, problem.cz_free)):
        if not free.shape[0] or not n_days:
            continue
        f = free.reshape(free.shape[0], n_days, DAY)
        begins = f.copy()
        begins[:, :, 1:] &= ~f[:, :, :-1]
        res, day, minute = np.nonzero(begins)
        anchor[offset + res, day, -(-minute // g)] = True
    options: list[tuple[MeetingData, np.ndarray, list[tuple[int, int]], np.ndarray]] = []
    result: list[list[np.ndarray]] = []
    for meeting_class in classes:
        _check(stop)
        m = meeting_class.sample
        masks = []
        for team, room, mask in static.masks(m):
            uses = [(c, -(-m.length // g)) for c in team]
            if room >= 0:
                uses.append((n_cw + room, -(-m.duration // g)))
            uses.extend((n_cz_first + z, -(-m.duration // g)) for z in m.citizens)
            allowed = np.zeros_like(mask)
            options.append((m, mask, uses, allowed))
            masks.append(allowed)
        result.append(masks)
    changed = True
    while changed:
        changed = False
        _check(stop)
        for m, mask, uses, allowed in options:
            if not mask.size:
                continue
            width = mask.shape[1]
            reach = np.zeros_like(mask)
            for resource, _span in uses:
                reach |= anchor[resource][m.days, :width]
            new = mask & reach & ~allowed
            if new.any():
                changed = True
                allowed |= new
                rows, cols = np.nonzero(new)
                days = m.days[rows]
                for resource, span in uses:
                    anchor[resource, days, cols + span] = True
    return result


def enumerate_columns(problem: Problem, static: Schedule, indices: list[int], limit: int,
                      anchored: bool = True, stop: Callable[[], bool] | None = None) -> Columns | None:
    """The statically free starts of the given meetings (only the left-justified ones when
    `anchored`, see `anchored_masks`), or None when there are more than `limit`. Raises
    `Cancelled` when `stop()` says so."""
    classes = meeting_classes(problem, indices)
    chosen = anchored_masks(problem, static, classes, stop) if anchored else None
    parts: list[tuple[int, int, np.ndarray, np.ndarray]] = []
    total = 0
    for k, meeting_class in enumerate(classes):
        m = meeting_class.sample
        grid = static.grid(m.length)
        masks = chosen[k] if chosen is not None else [mask for _t, _r, mask in static.masks(m)]
        for o, mask in enumerate(masks):
            rows, cols = np.nonzero(mask)
            if rows.size:
                parts.append((k, o, m.days[rows], grid[cols]))
                total += rows.size
                if total > limit:
                    return None
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Columns(classes, empty, empty, empty, empty, np.zeros(0), np.zeros(0))
    cls = np.concatenate([np.full(p[2].size, p[0], dtype=np.int64) for p in parts])
    option = np.concatenate([np.full(p[2].size, p[1], dtype=np.int64) for p in parts])
    day = np.concatenate([p[2] for p in parts]).astype(np.int64)
    minute = np.concatenate([p[3] for p in parts]).astype(np.int64)
    weight = np.array([c.sample.priority for c in classes], dtype=float)[cls]
    span = max(problem.n_days, 1)
    earliest = np.array([c.sample.days[0] if len(c.sample.days) else 0 for c in classes], dtype=np.int64)[cls]
    cost = weight * (1.0 - EARLY_WEIGHT * (day - earliest + minute / DAY) / span)
    return Columns(classes, cls, option, day, minute, weight, cost)


@dataclass
class Matrix:
    """Columns: the placement columns first, then one idle arc per pair of neighbouring time points."""

    start: np.ndarray  # int32, n_col + 1
    index: np.ndarray  # int32 row numbers
    value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost: np.ndarray
    weight: np.ndarray
    n_class: int
    n_place: int = 0  # placement columns; the idle arcs follow
    supply: np.ndarray | None = None  # right-hand side of the flow rows

    @property
    def n_row(self) -> int:
        return int(self.row_lower.shape[0])

    @property
    def n_col(self) -> int:
        return int(self.cost.shape[0])


def build_matrix(problem: Problem, columns: Columns, class_size: np.ndarray | None = None,
                 stop: Callable[[], bool] | None = None) -> Matrix:
    """Arc-flow form of the time-indexed model: each caseworker-day and room-day is a path of one
    unit of flow through its time points, a placement is an arc from its start to its end slot.
    This is the same LP as one row per slot (interval matrices are network matrices) with two
    entries per resource instead of one per slot covered."""
    g = problem.granularity
    slots_per_day = DAY // g
    n_cw = len(problem.cw_ids)
    n_class = len(columns.classes)
    n_cz_first = n_cw + len(problem.room_ids)
    res_days = max(n_cz_first + len(problem.cz_ids), 1) * problem.n_days
    col_parts, key_a, key_b = [], [], []
    order = np.arange(columns.size)
    key = columns.cls * 1_000_003 + columns.option
    boundaries = np.flatnonzero(np.diff(key)) + 1
    for group in np.split(order, boundaries):
        _check(stop)
        if not group.size:
            continue
        meeting_class = columns.classes[int(columns.cls[group[0]])]
        team, room = meeting_class.options[int(columns.option[group[0]])]
        m = meeting_class.sample
        day = columns.day[group]
        first = columns.minute[group] // g
        uses = [(c, math.ceil(m.length / g)) for c in team]
        if room >= 0:
            uses.append((n_cw + room, math.ceil(m.duration / g)))
        uses.extend((n_cz_first + z, math.ceil(m.duration / g)) for z in m.citizens)
        for resource, span in uses:
            node = (resource * problem.n_days + day) * (slots_per_day + 1)
            col_parts.append(group)
            key_a.append(node + first)
            key_b.append(node + first + span)
    entry_col = np.concatenate(col_parts)
    entry_a = np.concatenate(key_a)
    entry_b = np.concatenate(key_b)
    nodes, inverse = np.unique(np.concatenate([entry_a, entry_b]), return_inverse=True)
    node_a, node_b = inverse[: entry_a.size], inverse[entry_a.size :]
    path = nodes // (slots_per_day + 1)
    assert path.max(initial=0) < res_days
    same = path[1:] == path[:-1]
    idle_from = np.flatnonzero(same)
    supply = np.zeros(nodes.size)
    starts_path = np.ones(nodes.size, dtype=bool)
    starts_path[1:] = ~same
    ends_path = np.ones(nodes.size, dtype=bool)
    ends_path[:-1] = ~same
    supply[starts_path] += 1.0
    supply[ends_path] -= 1.0

    n_meet = columns.size
    n_idle = idle_from.size
    rows = np.concatenate([
        columns.cls, n_class + node_a, n_class + node_b, n_class + idle_from, n_class + idle_from + 1,
    ])
    cols = np.concatenate([order, entry_col, entry_col, n_meet + np.arange(n_idle), n_meet + np.arange(n_idle)])
    values = np.concatenate([
        np.ones(n_meet), np.ones(entry_col.size), -np.ones(entry_col.size), np.ones(n_idle), -np.ones(n_idle),
    ])
    sort = np.argsort(cols, kind="stable")
    counts = np.bincount(cols, minlength=n_meet + n_idle)
    start = np.zeros(n_meet + n_idle + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    if class_size is None:
        class_size = np.array([len(c.members) for c in columns.classes], dtype=float)
    row_lower = np.concatenate([np.full(n_class, -highspy.kHighsInf), supply])
    row_upper = np.concatenate([class_size, supply])
    return Matrix(
        start.astype(np.int32), rows[sort].astype(np.int32), values[sort], row_lower, row_upper,
        np.concatenate([columns.cost, np.zeros(n_idle)]), np.concatenate([columns.weight, np.zeros(n_idle)]),
        n_class, n_meet, supply,
    )


def complete_start(matrix: Matrix, counts: np.ndarray) -> np.ndarray:
    """A full column vector from placement counts: each idle arc carries what the placements
    leave of its path's unit of flow (flow conservation, node by node along each path)."""
    x = np.zeros(matrix.n_col)
    x[: matrix.n_place] = counts
    ends = matrix.start[: matrix.n_place + 1].astype(np.int64)
    used = np.repeat(counts, np.diff(ends))
    rows = matrix.index[: ends[-1]].astype(np.int64)
    net = np.zeros(matrix.n_row)
    np.add.at(net, rows, matrix.value[: ends[-1]] * used)
    flow = np.cumsum(matrix.supply - net[matrix.n_class :])
    # The idle arc from node k to k + 1 has its +1 in row n_class + k; its flow is the running
    # balance after node k (the balance closes to zero at the end of each path).
    idle_rows = matrix.index[matrix.start[matrix.n_place : -1].astype(np.int64)].astype(np.int64)
    idle_value = matrix.value[matrix.start[matrix.n_place : -1].astype(np.int64)]
    tails = np.where(idle_value > 0, idle_rows, matrix.index[matrix.start[matrix.n_place : -1].astype(np.int64) + 1])
    x[matrix.n_place :] = flow[tails - matrix.n_class]
    return x


@dataclass
class LpResult:
    values: np.ndarray | None  # the interior-point solution: inside the optimal face
    bound: float | None
    optimal: bool
    highs: highspy.Highs | None = None  # holds the LP, for cuts (optimizer/cuts.py)


def _without_banner() -> None:
    """HiGHS writes a licence banner straight to file descriptor 1 on the first `Highs()` of a
    process, whatever its options; `flask allocate` prints its progress and summary there.
    That first instance is made with descriptor 1 on /dev/null; later ones print nothing."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        highspy.Highs()
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_without_banner()


def _highs(matrix: Matrix, threads: int, seconds: float | None) -> highspy.Highs | None:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    if seconds is not None:
        h.setOptionValue("time_limit", max(float(seconds), 0.01))
    n_col = matrix.n_col
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = matrix.n_row
    lp.col_cost_ = matrix.weight
    lp.col_lower_ = np.zeros(n_col)
    lp.col_upper_ = np.ones(n_col)
    lp.row_lower_ = matrix.row_lower
    lp.row_upper_ = matrix.row_upper
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = matrix.n_row
    lp.a_matrix_.start_ = matrix.start
    lp.a_matrix_.index_ = matrix.index
    lp.a_matrix_.value_ = matrix.value
    if h.passModel(lp) != highspy.HighsStatus.kOk:
        return None
    return h


def solve_lp(columns: Columns, matrix: Matrix, time_limit: float | None, threads: int = 1,
             stop: Callable[[], bool] | None = None) -> LpResult:
    """LP relaxation of the weighted count; the bound comes from weak duality with the returned
    duals, so it holds whatever the tolerances. `stop()` is asked at every iteration: when it
    says so, HiGHS returns at once (not optimal)."""
    h = _highs(matrix, threads, time_limit)
    if h is None:
        return LpResult(None, None, False)
    if stop is not None:

        def interrupt(event) -> None:
            if stop():
                event.interrupt()

        h.cbIpmInterrupt += interrupt
        h.cbSimplexInterrupt += interrupt
    # Interior point without crossover was several times faster than simplex on these
    # degenerate models; the bound needs only duals, rounding tolerates an interior point, and
    # its support (the whole optimal face) is what the support models are built on.
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")
    h.run()
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    solution = h.getSolution()
    interior = np.asarray(solution.col_value)[: columns.size].copy() if solution.value_valid else None
    bound = None
    if solution.dual_valid:
        duals = np.asarray(solution.row_dual)
        bound = min(dual_bound(matrix, duals), dual_bound(matrix, -duals))
    return LpResult(interior, bound, optimal, h)


def dual_bound(matrix: Matrix, duals: np.ndarray,
               extra_rows: Sequence[tuple[np.ndarray, np.ndarray, float]] = ()) -> float:
    """Weak duality: for any y (>= 0 on the class rows, free on the flow rows) and 0 <= x <= 1,
    y.b + sum_j max(0, w_j - (A^T y)_j) bounds the weighted count. `extra_rows` are further
    valid <= rows (columns, coefficients, upper bound; their duals follow the model's rows in
    `duals`, and count only where >= 0), such as cuts."""
    m0 = matrix.n_row
    y = np.asarray(duals, dtype=float).copy()
    y[: matrix.n_class] = np.maximum(y[: matrix.n_class], 0.0)
    y[m0:] = np.maximum(y[m0:], 0.0)
    if matrix.n_col == 0:
        return 0.0
    rhs = np.where(np.isfinite(matrix.row_upper), matrix.row_upper, 0.0)
    used = np.add.reduceat(y[matrix.index] * matrix.value, matrix.start[:-1].astype(np.int64))
    total = float(y[:m0] @ rhs)
    for r in np.flatnonzero(y[m0:]).tolist():
        columns, coefficients, upper = extra_rows[r]
        used[columns] += y[m0 + r] * coefficients
        total += y[m0 + r] * upper
    return total + float(np.maximum(matrix.weight - used, 0.0).sum())


def solve_mip(columns: Columns, matrix: Matrix, start: np.ndarray | None, seconds: float,
              threads: int = 1) -> tuple[np.ndarray | None, float | None, bool]:
    """The exact model (placement columns integer) handed to HiGHS as the LP's matrix, for
    components too large to build quickly in PuLP: the best solution found, the proven dual
    bound and whether HiGHS proved optimality. `start` (placement counts per column) is the
    MIP start. A time-out may still report a solution; the caller re-checks it.

    The objective is the plain weighted count: with whole priorities it is integral, so HiGHS
    closes the search as soon as its bound drops below the next whole number (a tie-break for
    early days would make it prove the order of the days too). Earlier days are a later pass."""
    h = _highs(matrix, threads, seconds)
    if h is None:
        return None, None, False
    h.changeColsIntegrality(columns.size, np.arange(columns.size, dtype=np.int32),
                            np.full(columns.size, highspy.HighsVarType.kInteger))
    h.setOptionValue("mip_rel_gap", 0.0)
    if start is not None:
        full = complete_start(matrix, start)
        h.setSolution(int(full.size), np.arange(full.size, dtype=np.int32), full)
    h.run()
    proven = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    solution = h.getSolution()
    values = np.asarray(solution.col_value)[: columns.size] if solution.value_valid else None
    dual = float(h.getInfo().mip_dual_bound)
    bound = dual if math.isfinite(dual) else None
    return values, bound, proven
