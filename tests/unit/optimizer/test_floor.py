"""The weighted floor: the best of a few cheap greedy orders, never below the earliest-deadline
greedy that breaks ties by priority (R-3.2: the weighted count is what counts)."""

from __future__ import annotations

import pytest

from optimizer.check import check
from optimizer.generate import generate
from optimizer.greedy import FLOOR_ORDERS, build_problem, floor_score, greedy, priority_edf_key, weighted_floor
from optimizer.model import parse_instance
from optimizer.solve import solve

from .factories import caseworker_doc, instance_doc, meeting_doc

ONE_SLOT = [caseworker_doc("cw1", working_time={"0": ["09:00", "09:30"]}, breaks={})]


def _weight(problem, placed) -> float:
    return sum(problem.meetings[i].priority for i in placed)


def test_floor_breaks_deadline_ties_by_priority_R_3_2() -> None:
    """R-3.2: one free half hour, two call-ins with the same window; the plain earliest-deadline
    greedy takes the first listed (priority 1), the floor the one of priority 3."""
    meetings = [meeting_doc("m1", reporting_minutes=0, priority=1),
                meeting_doc("m2", reporting_minutes=0, priority=3)]
    problem = build_problem(parse_instance(instance_doc(caseworkers=ONE_SLOT, meetings=meetings)))
    assert _weight(problem, greedy(problem).placed) == 1
    schedule, order = weighted_floor(problem)
    assert _weight(problem, schedule.placed) == 3 and order == "edf+priority"


def test_floor_takes_the_best_of_its_orders_R_3_2() -> None:
    """R-3.2: a priority-3 call-in with a later deadline loses the only slot to a priority-1 one in
    deadline order; the priority-first order keeps it, and the floor takes that one."""
    meetings = [meeting_doc("m1", reporting_minutes=0, priority=1, deadline_date="2027-03-01"),
                meeting_doc("m2", reporting_minutes=0, priority=3, deadline_date="2027-03-05")]
    problem = build_problem(parse_instance(instance_doc(caseworkers=ONE_SLOT, meetings=meetings)))
    assert _weight(problem, greedy(problem, key=priority_edf_key).placed) == 1
    schedule, order = weighted_floor(problem)
    assert _weight(problem, schedule.placed) == 3 and order == "priority+edf"


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("load", ["tight", "normal"])
def test_floor_is_never_below_any_of_its_orders_R_3_2(seed: int, load: str) -> None:
    """R-3.2: on generated instances the floor scores at least every order it tries."""
    problem = build_problem(generate(meetings=80, caseworkers=8, days=5, seed=seed, load=load))
    schedule, _order = weighted_floor(problem)
    for key in FLOOR_ORDERS.values():
        assert floor_score(problem, schedule.placed) >= floor_score(problem, greedy(problem, key=key).placed)


def test_floor_under_no_time_runs_the_priority_aware_order_only_R_3_2() -> None:
    """R-3.2: when there is no time for more, the first order (earliest deadline, ties by
    priority) is still the floor."""
    problem = build_problem(generate(meetings=60, caseworkers=6, days=5, seed=4, load="tight"))
    schedule, order = weighted_floor(problem, until=0.0)
    assert order == "edf+priority"
    assert schedule.placed == greedy(problem, key=priority_edf_key).placed


@pytest.mark.parametrize("seed", range(3))
def test_solution_is_never_below_the_priority_aware_greedy_R_3_2(seed: int) -> None:
    """R-3.2: the solver's answer, even with a very short limit, weighs at least the
    earliest-deadline greedy with ties by priority, and passes check."""
    instance = generate(meetings=120, caseworkers=10, days=5, seed=seed, load="tight")
    problem = build_problem(instance)
    baseline = _weight(problem, greedy(problem, key=priority_edf_key).placed)
    for limit in (0.2, None):
        solution = solve(instance, time_limit=limit, workers=1)
        assert check(instance, solution).feasible
        assert solution.stats["weighted_placed"] >= baseline
        assert solution.stats["greedy_weighted_placed"] >= baseline


def test_search_under_a_limit_is_planned_without_the_limit_R_3_2() -> None:
    """R-3.2 anytime: without a limit a component keeps its default search time; under one its
    plan is a fixed time per meeting whatever the limit, which only cuts it (never worse as the
    limit grows)."""
    from optimizer.solve import ANYTIME_SECONDS_PER_MEETING, _effort, _limit_effort

    assert _limit_effort(100, False, 1) is None
    assert _limit_effort(100, True, 1) == pytest.approx(ANYTIME_SECONDS_PER_MEETING * 100)
    assert _limit_effort(1, True, 1) == pytest.approx(_effort(1, 1))


def test_when_the_lp_runs_out_of_time_the_search_continues_from_the_floor_R_3_2(monkeypatch) -> None:
    """R-3.2 anytime: an LP that gives nothing in its time leaves the floor's schedule to the
    ejection chains, never a worse one, and the methods say the LP gave no rounding."""
    import importlib

    from optimizer.bound import LpResult

    solve_module = importlib.import_module("optimizer.solve")
    monkeypatch.setattr(solve_module, "solve_lp", lambda *args, **kwargs: LpResult(None, None, False))
    instance = generate(meetings=120, caseworkers=10, days=5, seed=1, load="tight")
    problem = build_problem(instance)
    floor, _order = weighted_floor(problem)
    solution = solve(instance, time_limit=3, workers=1)
    assert check(instance, solution).feasible
    assert solution.stats["weighted_placed"] >= _weight(problem, floor.placed)
    assert "lp+rounding" not in solution.stats["solver"] and "greedy fill" in solution.stats["solver"]


def test_ejection_chains_improve_the_floor_while_the_lp_runs_R_3_2(monkeypatch) -> None:
    """R-3.2 anytime: under a limit the LP runs on a second thread while ejection chains work on
    the floor's schedule; with an LP that takes its time and gives nothing, their result is kept."""
    import importlib
    import time

    from optimizer.bound import LpResult

    solve_module = importlib.import_module("optimizer.solve")

    def slow_lp(*args, **kwargs):
        time.sleep(1.0)
        return LpResult(None, None, False)

    monkeypatch.setattr(solve_module, "solve_lp", slow_lp)
    instance = generate(meetings=120, caseworkers=10, days=5, seed=1, load="tight")
    problem = build_problem(instance)
    floor, _order = weighted_floor(problem)
    solution = solve(instance, time_limit=4, workers=1)
    assert check(instance, solution).feasible
    assert "ejection chains beside the lp" in solution.stats["solver"]
    assert solution.stats["weighted_placed"] >= _weight(problem, floor.placed)
    # Without a limit the LP runs alone, as before.
    assert "beside" not in solve(instance, workers=1).stats["solver"]


def test_the_run_ends_at_the_deadline_while_the_lp_is_still_under_way_R_3_2(monkeypatch) -> None:
    """R-3.2 anytime: an LP that is not done by the deadline does not hold the run up; the run
    keeps the floor's schedule improved by the chains beside it, names no LP rounding, and
    checks."""
    import importlib
    import threading

    from optimizer.bound import LpResult

    solve_module = importlib.import_module("optimizer.solve")
    release = threading.Event()

    def stuck_lp(*args, **kwargs):
        release.wait(60)
        return LpResult(None, None, False)

    monkeypatch.setattr(solve_module, "solve_lp", stuck_lp)
    instance = generate(meetings=120, caseworkers=10, days=5, seed=1, load="tight")
    problem = build_problem(instance)
    floor, _order = weighted_floor(problem)
    try:
        solution = solve(instance, time_limit=2, workers=1)
    finally:
        release.set()
    assert check(instance, solution).feasible
    assert "lp+rounding" not in solution.stats["solver"]
    assert "ejection chains beside the lp" in solution.stats["solver"]
    assert solution.stats["weighted_placed"] >= _weight(problem, floor.placed)


def test_at_the_deadline_the_floor_keeps_its_first_order_and_says_it_was_cut_R_3_2() -> None:
    """R-3.2 anytime: a greedy order past the deadline stops (None); the floor then keeps the
    priority-aware order, always run, and says it was cut, which ends the component's plan."""
    import time

    from optimizer.bound import Cancelled, enumerate_columns
    from optimizer.greedy import TRUNCATED, Schedule

    problem = build_problem(generate(meetings=120, caseworkers=10, days=5, seed=1, load="tight"))
    assert greedy(problem, deadline=time.time() - 1) is None
    schedule, order = weighted_floor(problem, deadline=time.time() - 1)
    assert order == "edf+priority" + TRUNCATED
    assert schedule.placed == greedy(problem, key=priority_edf_key).placed
    indices = [m.index for m in problem.meetings]
    with pytest.raises(Cancelled):
        enumerate_columns(problem, Schedule(problem), indices, 10**7, stop=lambda: True)


def test_the_command_line_counts_the_time_since_the_process_started_R_3_2() -> None:
    """R-3.2: `--time-limit` is the whole process's; the time already spent starting is known."""
    from optimizer.__main__ import seconds_since_start

    assert 0.0 < seconds_since_start() < 24 * 3600
