"""The proven bound: left-justified columns lose no schedule, and every bound the solver reports
stays at or above the optimum that an exact MIP over all free starts finds."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from optimizer.bound import build_matrix, complete_start, enumerate_columns, solve_lp, solve_mip
from optimizer.check import check
from optimizer.exact import start_counts
from optimizer.generate import generate
from optimizer.greedy import Schedule, build_problem, greedy
from optimizer.solve import solve

solve_module = importlib.import_module("optimizer.solve")


def _exact_optimum(problem) -> float:
    """Best weighted count over all statically free starts (no left-justification), proven by HiGHS."""
    indices = [m.index for m in problem.meetings if m.index not in problem.unusable]
    columns = enumerate_columns(problem, Schedule(problem), indices, 10**7, anchored=False)
    if not columns.size:
        return 0.0
    values, bound, proven = solve_mip(columns, build_matrix(problem, columns), None, 120.0)
    assert proven and values is not None
    optimum = float(columns.weight @ np.round(values))
    assert bound is not None and bound >= optimum - 1e-6
    return optimum


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("load", ["tight", "normal"])
def test_anchored_model_keeps_the_optimum_and_the_bound_holds(seed: int, load: str) -> None:
    """R-3.2: the model over left-justified starts has the same optimum as the one over every free
    start, its LP bound is at least that optimum, and so is the bound `solve` reports."""
    instance = generate(meetings=50, caseworkers=6, days=5, seed=seed, load=load)
    problem = build_problem(instance)
    optimum = _exact_optimum(problem)

    indices = [m.index for m in problem.meetings if m.index not in problem.unusable]
    anchored = enumerate_columns(problem, Schedule(problem), indices, 10**7)
    full = enumerate_columns(problem, Schedule(problem), indices, 10**7, anchored=False)
    assert anchored.size < full.size
    matrix = build_matrix(problem, anchored)
    values, _bound, proven = solve_mip(anchored, matrix, None, 120.0)
    assert proven and float(anchored.weight @ np.round(values)) == optimum
    assert solve_lp(anchored, matrix, None).bound >= optimum - 1e-6

    solution = solve(instance, workers=1)
    assert check(instance, solution).feasible
    assert solution.stats["weighted_placed"] <= optimum <= solution.stats["upper_bound"]


@pytest.mark.parametrize("seed", range(3))
def test_component_mip_bound_is_never_below_the_optimum(monkeypatch, seed: int) -> None:
    """R-3.2: with the support models and the cuts off, the whole-component MIP runs on a tight instance and
    its dual bound (taken when below the LP's) still lies at or above the exact optimum.

    The search is given a minute instead of its default 0.3 s, which a loaded machine used up before
    the MIP began: the run still ends as soon as the bound is reached, so it is no slower where
    the MIP closes the gap, and the MIP runs wherever rounding falls short of the optimum (seed 1;
    on seeds 0 and 2 rounding reaches it)."""
    monkeypatch.setattr(solve_module, "EFFORT_SECONDS", 60.0)
    monkeypatch.setattr(solve_module, "SEARCH_SECONDS", 60.0)
    monkeypatch.setattr(solve_module, "FIX_LEVELS", ())
    monkeypatch.setattr(solve_module, "CUT_SUPPORT_PER_MEETING", 0.0)
    monkeypatch.setattr(solve_module, "RESTART_SHARE", 0.0)
    monkeypatch.setattr(solve_module, "_repair", lambda *args: None)
    instance = generate(meetings=60, caseworkers=8, days=5, seed=seed, load="tight")
    problem = build_problem(instance)
    optimum = _exact_optimum(problem)
    solution = solve(instance, workers=1)
    assert check(instance, solution).feasible
    assert solution.stats["weighted_placed"] <= optimum <= solution.stats["upper_bound"]
    assert solution.stats["exact_models"].get("component_mip", 0) >= 1 or solution.stats["weighted_placed"] == optimum


@pytest.mark.parametrize("load", ["tight", "normal"])
def test_left_justified_schedule_uses_only_model_columns(load: str) -> None:
    """R-3.2: moving every meeting of a feasible schedule left as far as it stays free puts each on
    a column of the left-justified model (the argument that makes that model's bound valid), and
    the completed start vector satisfies every row of the model."""
    instance = generate(meetings=300, caseworkers=20, days=10, seed=3, load=load)
    problem = build_problem(instance)
    schedule = greedy(problem)
    # Spread the greedy's meetings a little to the right first, so left-justifying has work to do.
    g = problem.granularity
    for index in list(schedule.placed):
        m = problem.meetings[index]
        team, room, day, minute = schedule.remove(m)
        while schedule.is_free(team, room, day, minute + g, m) and minute + g + m.length <= 24 * 60:
            minute += g
            if minute % (3 * g) == 0:
                break
        schedule.place(m, team, room, day, minute)
    placed = len(schedule.placed)
    before = dict(schedule.placed)
    solve_module._left_justify(schedule)
    assert len(schedule.placed) == placed
    assert sum(before[i] != spot for i, spot in schedule.placed.items()) > placed // 10

    indices = [m.index for m in problem.meetings if m.index not in problem.unusable]
    columns = enumerate_columns(problem, Schedule(problem), indices, 10**7)
    counts = start_counts(columns, schedule.placed)
    assert counts.sum() == placed
    matrix = build_matrix(problem, columns)
    x = complete_start(matrix, counts)
    activity = np.zeros(matrix.n_row)
    column_of_entry = np.repeat(np.arange(matrix.n_col), np.diff(matrix.start.astype(np.int64)))
    np.add.at(activity, matrix.index.astype(np.int64), matrix.value * x[column_of_entry])
    assert np.all(activity <= matrix.row_upper + 1e-9) and np.all(activity >= matrix.row_lower - 1e-9)
    assert x.min() >= 0.0 and x.max() <= 1.0
