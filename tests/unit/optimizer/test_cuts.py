"""Gomory cuts: every cut keeps every schedule, the cut bound stays at or above the exact optimum
and lies below the LP's where the LP is fractional, and `solve` reports it (R-3.2)."""

from __future__ import annotations

import importlib
import math
import random

import numpy as np
import pytest

from optimizer.bound import build_matrix, complete_start, enumerate_columns, solve_lp, solve_mip
from optimizer.check import check
from optimizer.cuts import cut_bound, tighten
from optimizer.exact import start_counts
from optimizer.generate import generate
from optimizer.greedy import Schedule, build_problem, edf_order
from optimizer.solve import solve

solve_module = importlib.import_module("optimizer.solve")


def _model(instance):
    return _model_of(build_problem(instance))


def _model_of(problem):
    indices = [m.index for m in problem.meetings if m.index not in problem.unusable]
    columns = enumerate_columns(problem, Schedule(problem), indices, 10**7)
    return problem, columns, build_matrix(problem, columns)


def _schedules(problem, count: int) -> list[dict]:
    """Feasible schedules other than the optimum: first fit in random orders, left-justified so
    that every meeting sits on a column of the model."""
    rng = random.Random(7)
    meetings = edf_order(problem.meetings)
    found = []
    for _ in range(count):
        schedule = Schedule(problem)
        order = list(meetings)
        rng.shuffle(order)
        for m in order:
            if m.index not in problem.unusable:
                schedule.fit(m)
        solve_module._left_justify(schedule)
        found.append(dict(schedule.placed))
    return found


def _worst_violation(cuts, x: np.ndarray) -> float:
    return max((float(c @ x[j]) - u for j, c, u in zip(cuts.columns, cuts.coefficients, cuts.upper)), default=-1.0)


@pytest.mark.parametrize(("meetings", "caseworkers", "seed"), [(60, 8, s) for s in range(10)] + [(120, 10, 0), (120, 10, 9)])
def test_r_3_2_every_cut_keeps_every_schedule_and_the_bound_holds(meetings: int, caseworkers: int, seed: int) -> None:
    """R-3.2: eight rounds of cuts on a tight instance; the exact optimum and random first-fit
    schedules (as the model's full vectors, idle arcs included) satisfy every cut, and the cut
    bound lies between the optimum and the LP bound."""
    instance = generate(meetings=meetings, caseworkers=caseworkers, days=5, seed=seed, load="tight")
    problem, columns, matrix = _model(instance)
    lp = solve_lp(columns, matrix, None)
    cut = tighten(lp.highs, matrix, columns.cls, math.inf, -1.0, max_rounds=8, min_gain=-1.0)
    assert cut is not None
    values, _bound, proven = solve_mip(columns, matrix, None, 120.0)
    assert proven and values is not None
    optimum = float(columns.weight @ np.round(values))

    assert _worst_violation(cut.rows, complete_start(matrix, np.round(values))) <= 1e-9
    for placed in _schedules(problem, 5):
        counts = start_counts(columns, placed)
        assert counts.sum() == len(placed)
        assert _worst_violation(cut.rows, complete_start(matrix, counts)) <= 1e-9
    assert optimum - 1e-6 <= cut.bound <= lp.bound + 1e-6
    assert len(cut.vertices) == cut.rounds + 1


def test_r_3_2_cuts_prove_the_optimum_where_the_lp_cannot() -> None:
    """R-3.2: on this tight instance the LP bound rounds down to 102 while the exact optimum is
    101; the cuts bring the bound below 102, so the bound proves the optimum."""
    instance = generate(meetings=120, caseworkers=10, days=5, seed=4, load="tight")
    _problem, columns, matrix = _model(instance)
    lp = solve_lp(columns, matrix, None)
    assert math.floor(lp.bound + 1e-6) == 102
    values, _bound, proven = solve_mip(columns, matrix, None, 120.0)
    assert proven and float(columns.weight @ np.round(values)) == 101
    cut = tighten(lp.highs, matrix, columns.cls, math.inf, -1.0, max_rounds=8, min_gain=-1.0)
    assert cut is not None and cut.cuts > 0
    assert 101 - 1e-6 <= cut.bound < 102


def test_r_3_2_one_round_of_cuts_takes_the_benchmark_component_below_its_lp_floor() -> None:
    """R-3.2: the largest component of the 1,000-meeting tight benchmark instance (seed 1) has
    an LP bound of 743.53 and a proven optimum of 742; one round of cuts proves 742."""
    instance = generate(meetings=1000, caseworkers=40, days=20, seed=1, load="tight")
    problem = build_problem(instance)
    largest = max(solve_module.components(problem), key=len)
    component, _cws, _rooms = problem.subproblem(largest)
    _p, columns, matrix = _model_of(component)
    lp = solve_lp(columns, matrix, None)
    assert lp.bound == pytest.approx(743.535, abs=1e-3)
    cut = tighten(lp.highs, matrix, columns.cls, math.inf, -1.0, max_rounds=1)
    assert cut is not None and cut.rounds == 1
    assert 742 - 1e-6 <= cut.bound < 743


def test_r_3_2_cut_bound_is_weak_duality() -> None:
    """R-3.2: the reported bound is recomputed from duals alone: with all duals zero it is the sum
    of the weights (every column at one), and no dual vector gives less than the optimum."""
    instance = generate(meetings=60, caseworkers=8, days=5, seed=0, load="tight")
    _problem, columns, matrix = _model(instance)
    lp = solve_lp(columns, matrix, None)
    cut = tighten(lp.highs, matrix, columns.cls, math.inf, -1.0, max_rounds=4, min_gain=-1.0)
    zeros = np.zeros(matrix.n_row + len(cut.rows))
    assert cut_bound(matrix, cut.rows, zeros) == pytest.approx(float(matrix.weight.sum()))
    values, _bound, _proven = solve_mip(columns, matrix, None, 60.0)
    optimum = float(columns.weight @ np.round(values))
    rng = np.random.default_rng(3)
    for _ in range(20):
        assert cut_bound(matrix, cut.rows, rng.normal(size=zeros.size)) >= optimum - 1e-6

def _time_enough(monkeypatch) -> None:
    """The search times are wall-clock budgets: on a busy machine the LP alone can use them up
    and the cuts would be skipped. Ten times the budget keeps these tests about the order."""
    for name in ("SEARCH_SECONDS", "SEARCH_SECONDS_PER_MEETING", "EFFORT_SECONDS"):
        monkeypatch.setattr(solve_module, name, getattr(solve_module, name) * 10)


def test_r_3_2_solve_reports_the_cut_bound_under_tight_load(monkeypatch) -> None:
    """R-3.2: `solve` runs the cuts on a tight instance whose LP bound (135.9) lies above the
    optimum, reports the proven optimum as its bound and places it."""
    _time_enough(monkeypatch)
    instance = generate(meetings=120, caseworkers=10, days=5, seed=0, load="tight")
    solution = solve(instance, workers=1)
    assert check(instance, solution).feasible
    assert solution.stats["exact_models"].get("cuts", 0) > 0
    assert solution.stats["upper_bound"] == 135
    assert solution.stats["weighted_placed"] == 135


def test_r_3_2_cuts_come_first_under_tight_load_and_after_the_ejection_chains_elsewhere(monkeypatch) -> None:
    """R-3.2: with a narrow LP support (tight load) the cuts run before anything else and the
    ejection chains are left to the support models; with a wide one (normal load, rounding
    switched off so that the search has work to do) the ejection chains run first."""
    _time_enough(monkeypatch)
    calls: list[str] = []
    repair, cut = solve_module._repair, solve_module.tighten
    monkeypatch.setattr(solve_module, "_repair", lambda *args: (calls.append("repair"), repair(*args))[1])
    monkeypatch.setattr(solve_module, "tighten", lambda *args, **kw: (calls.append("cuts"), cut(*args, **kw))[1])

    # A minute for the tight part: under load 20 ten times the budget ran out before the support
    # models and the chains ran after all; the run ends when it reaches the optimum anyway.
    with monkeypatch.context() as patch:
        patch.setattr(solve_module, "SEARCH_SECONDS", 60.0)
        patch.setattr(solve_module, "EFFORT_SECONDS", 60.0)
        solution = solve(generate(meetings=120, caseworkers=10, days=5, seed=0, load="tight"), workers=1)
    assert calls == ["cuts"] and solution.stats["weighted_placed"] == 135

    calls.clear()
    monkeypatch.setattr(solve_module, "_round", lambda *args: None)
    normal = generate(meetings=300, caseworkers=20, days=10, seed=3, load="normal")
    solution = solve(normal, workers=1)
    assert check(normal, solution).feasible
    assert "cuts" in calls and calls.index("repair") < calls.index("cuts")
