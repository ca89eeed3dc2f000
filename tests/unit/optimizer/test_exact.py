"""Exact re-solves in PuLP: checked results only, the solution status read, time limits and CBC fallback."""

from __future__ import annotations

import importlib
from datetime import datetime

import pulp
import pytest

from optimizer import exact
from optimizer.bound import build_matrix, enumerate_columns, solve_mip
from optimizer.check import check
from optimizer.generate import generate
from optimizer.greedy import Schedule, build_problem, greedy
from optimizer.model import Placement, Solution, Unplaced
from optimizer.solve import solve

from .factories import TAKEN, caseworker_doc, create_instance, meeting_doc

solve_module = importlib.import_module("optimizer.solve")


def _solution(problem, placed: dict) -> Solution:
    placements = [
        Placement(problem.meetings[i].id, problem.start_of(day, minute), tuple(problem.cw_ids[c] for c in team),
                  problem.room_ids[room] if room >= 0 else None)
        for i, (team, room, day, minute) in placed.items()
    ]
    unplaced = [Unplaced(m.id, TAKEN) for m in problem.meetings if m.index not in placed]
    return Solution(placements, unplaced, {})


def _weight(problem, placed: dict) -> float:
    return sum(problem.meetings[i].priority for i in placed)


def _one_slot_instance():
    """One caseworker free 09:00-10:00 on one day; m1 sits at 09:15 and blocks m2."""
    return create_instance(
        end_date="2027-03-01",
        caseworkers=[caseworker_doc(working_time={"0": ["09:00", "10:00"]}, breaks={})],
        meetings=[meeting_doc("m1", duration_minutes=30, reporting_minutes=0),
                  meeting_doc("m2", duration_minutes=30, reporting_minutes=0)],
    )


def test_neighbourhood_resolve_places_more_than_the_incumbent() -> None:
    """R-3.2: re-solving the meetings of a neighbourhood exactly moves m1 so that m2 fits too."""
    problem = build_problem(_one_slot_instance())
    schedule = Schedule(problem)
    incumbent = {0: ((0,), -1, 0, 9 * 60 + 15)}
    result = exact.build_and_solve(problem, schedule, problem.meetings, incumbent, None, None, None, seconds=5)
    assert result is not None and result.placed is not None
    assert result.sol_status == "Optimal Solution Found" and result.proven_optimal
    assert sorted(spot[3] for spot in result.placed.values()) == [9 * 60, 9 * 60 + 30]
    assert exact.apply(schedule, problem, result.placed)
    assert check(_one_slot_instance(), _solution(problem, schedule.placed)).feasible


@pytest.mark.parametrize("load", ["tight", "normal"])
def test_component_mip_in_pulp_is_checked_and_at_least_greedy(load: str) -> None:
    """R-3.2: the whole-component MIP modelled in PuLP gives a solution that passes the independent
    check, places at least the greedy's weight (its start), and a dual bound not below it."""
    instance = generate(meetings=60, caseworkers=8, days=5, seed=2, load=load)
    problem = build_problem(instance)
    floor = greedy(problem).placed
    indices = [m.index for m in problem.meetings if m.index not in problem.unusable]
    columns = enumerate_columns(problem, Schedule(problem), indices, 10**7)
    result = exact.solve_component_mip(problem, columns, build_matrix(problem, columns), dict(floor), seconds=10)
    assert result.placed is not None
    schedule = Schedule(problem)
    assert exact.apply(schedule, problem, result.placed)
    assert check(instance, _solution(problem, schedule.placed)).feasible
    assert _weight(problem, schedule.placed) >= _weight(problem, floor)
    assert result.dual_bound is not None and result.dual_bound >= _weight(problem, schedule.placed) - 1e-6


def test_solve_uses_the_pulp_mip_and_stays_feasible(monkeypatch) -> None:
    """R-3.2: when rounding falls short of the bound on a small component, solve runs the PuLP MIP;
    the answer passes check and is never below the greedy. The search is given a minute (its
    default 0.3 s ran out before the MIP under load 20); the run ends at the optimum anyway."""
    monkeypatch.setattr(solve_module, "SEARCH_SECONDS", 60.0)
    monkeypatch.setattr(solve_module, "EFFORT_SECONDS", 60.0)
    monkeypatch.setattr(solve_module, "FIX_LEVELS", ())
    monkeypatch.setattr(solve_module, "CUT_SUPPORT_PER_MEETING", 0.0)
    monkeypatch.setattr(solve_module, "RESTART_SHARE", 0.0)
    monkeypatch.setattr(solve_module, "_repair", lambda *args: None)
    instance = generate(meetings=60, caseworkers=8, days=5, seed=4, load="tight")
    solution = solve(instance, workers=1)
    assert solution.stats["exact_models"].get("component_mip", 0) >= 1
    assert check(instance, solution).feasible
    assert solution.stats["weighted_placed"] >= solution.stats["greedy_weighted_placed"]
    assert solution.stats["weighted_placed"] <= solution.stats["upper_bound"]


def test_time_limit_cut_mip_keeps_best_valid(monkeypatch) -> None:
    """R-3.2: a MIP cut by its time limit (PuLP still says `Optimal`) is not taken as proven; what is
    returned passes check and is at least the greedy."""
    instance = generate(meetings=300, caseworkers=20, days=10, seed=3, load="tight")
    problem = build_problem(instance)
    sub, _cws, _rooms = problem.subproblem(solve_module.components(problem)[0])
    floor = greedy(sub).placed
    indices = [m.index for m in sub.meetings if m.index not in sub.unusable]
    columns = enumerate_columns(sub, Schedule(sub), indices, 10**7)
    result = exact.solve_component_mip(sub, columns, build_matrix(sub, columns), dict(floor), seconds=0.05)
    # Proving this one takes HiGHS seconds. Cut with its start completed, PuLP calls the run
    # `Optimal` (solution status: "Solution Found"); on a very slow machine it may be cut before.
    assert not result.proven_optimal
    if result.placed is None:
        assert result.sol_status == "No Solution Found"
    else:
        assert result.status == "Optimal" and result.sol_status == "Solution Found"
        schedule = Schedule(sub)
        assert exact.apply(schedule, sub, result.placed)
        assert _weight(sub, schedule.placed) >= _weight(sub, floor)

    monkeypatch.setattr(solve_module, "FIX_LEVELS", ())
    monkeypatch.setattr(solve_module, "CUT_SUPPORT_PER_MEETING", 0.0)
    monkeypatch.setattr(solve_module, "EFFORT_SECONDS", 0.1)
    monkeypatch.setattr(solve_module, "EFFORT_SECONDS_PER_MEETING", 0.0)
    monkeypatch.setattr(solve_module, "MIP_COLUMN_LIMIT", 10**7)
    solution = solve(instance, time_limit=2.0, workers=1)
    assert check(instance, solution).feasible
    assert solution.stats["weighted_placed"] >= solution.stats["greedy_weighted_placed"]


class _FakeSolver(pulp.LpSolver):
    """Reports what a time-limited run may report: status Optimal, with the given solution status."""

    name = "fake"

    def __init__(self, sol_status: int, value: float | None) -> None:
        super().__init__(msg=False)
        self.sol_status = sol_status
        self.value = value

    def available(self) -> bool:
        return True

    def actualSolve(self, lp, **kwargs):  # noqa: N802 - PuLP's method name
        for v in lp.variables():
            v.varValue = self.value
        lp.assignStatus(pulp.LpStatusOptimal, self.sol_status)
        return pulp.LpStatusOptimal


@pytest.mark.parametrize(
    ("sol_status", "value"),
    [(pulp.LpSolutionNoSolutionFound, None), (pulp.LpSolutionNoSolutionFound, 1.0), (pulp.LpSolutionInfeasible, 1.0)],
)
def test_status_optimal_without_a_solution_is_not_read(monkeypatch, sol_status: int, value: float | None) -> None:
    """R-3.2: `Optimal` from PuLP is not enough; without a solution status that says values exist,
    nothing is read back."""
    monkeypatch.setattr(exact, "pulp_solver", lambda seconds, threads=1: _FakeSolver(sol_status, value))
    problem = build_problem(_one_slot_instance())
    result = exact.build_and_solve(problem, Schedule(problem), problem.meetings, {}, None, None, None, seconds=1)
    assert result is not None and result.status == "Optimal"
    assert result.placed is None


def test_clashing_values_are_rejected_by_the_recheck(monkeypatch) -> None:
    """R-3.2: values a solver reports as a solution are re-checked; clashing placements are refused
    and the schedule is left as it was."""
    monkeypatch.setattr(exact, "pulp_solver", lambda seconds, threads=1: _FakeSolver(pulp.LpSolutionIntegerFeasible, 1.0))
    problem = build_problem(_one_slot_instance())
    schedule = Schedule(problem)
    result = exact.build_and_solve(problem, schedule, problem.meetings, {}, None, None, None, seconds=1)
    # Every column set to 1: the same meeting twice, so the read-back is refused outright.
    assert result is not None and result.placed is None
    clash = {0: ((0,), -1, 0, 9 * 60), 1: ((0,), -1, 0, 9 * 60 + 15)}
    assert not exact.apply(schedule, problem, clash)
    assert schedule.placed == {}


def test_solve_keeps_greedy_when_exact_models_return_nothing(monkeypatch) -> None:
    """R-3.2: solvers that return no usable values leave the best checked solution in place."""
    monkeypatch.setattr(exact, "pulp_solver", lambda seconds, threads=1: _FakeSolver(pulp.LpSolutionNoSolutionFound, None))
    monkeypatch.setattr(solve_module, "MIP_COLUMN_LIMIT", 10**7)
    instance = generate(meetings=60, caseworkers=8, days=5, seed=1, load="tight")
    solution = solve(instance, workers=1)
    assert check(instance, solution).feasible
    assert solution.stats["weighted_placed"] >= solution.stats["greedy_weighted_placed"]


def test_cbc_fallback_when_highs_is_missing(monkeypatch) -> None:
    """R-3.2: without HiGHS the exact models go to CBC through PuLP and still read back a schedule."""
    monkeypatch.setattr(pulp.HiGHS, "available", lambda self: False)
    solver = exact.pulp_solver(5)
    assert isinstance(solver, pulp.COIN_CMD)
    if not solver.available():
        pytest.skip("CBC is not installed")
    monkeypatch.setattr(exact, "pulp_solver", lambda seconds, threads=1: solver)
    problem = build_problem(_one_slot_instance())
    schedule = Schedule(problem)
    result = exact.build_and_solve(problem, schedule, problem.meetings, {0: ((0,), -1, 0, 9 * 60 + 15)},
                                   None, None, None, seconds=5)
    assert result is not None and result.placed is not None and len(result.placed) == 2
    assert exact.apply(schedule, problem, result.placed)
    assert problem.start_of(0, 9 * 60) == datetime(2027, 3, 1, 9, 0)


def test_matrix_mip_for_larger_components_is_checked_and_at_least_its_start() -> None:
    """R-3.2: the whole-component MIP handed to HiGHS as a matrix (components too large for a quick
    PuLP build) returns a schedule that passes check, at least its greedy start, under its bound."""
    instance = generate(meetings=60, caseworkers=8, days=5, seed=6, load="tight")
    problem = build_problem(instance)
    floor = greedy(problem).placed
    indices = [m.index for m in problem.meetings if m.index not in problem.unusable]
    columns = enumerate_columns(problem, Schedule(problem), indices, 10**7)
    values, bound, _proven = solve_mip(columns, build_matrix(problem, columns),
                                       exact.start_counts(columns, dict(floor)), 10.0)
    assert values is not None
    placed = exact.spots_from_counts(columns, values)
    schedule = Schedule(problem)
    assert placed is not None and exact.apply(schedule, problem, placed)
    assert check(instance, _solution(problem, schedule.placed)).feasible
    assert _weight(problem, schedule.placed) >= _weight(problem, floor)
    assert bound is not None and bound >= _weight(problem, schedule.placed) - 1e-6
