"""Load balance as a later goal of R-3.2: under a time limit the solver evens out the booked shares
of a team's caseworkers after the search, and never at the cost of a placement or a day."""

from __future__ import annotations

import importlib

import pytest

from optimizer.check import check
from optimizer.exact import apply
from optimizer.generate import generate, generate_pooled
from optimizer.greedy import Schedule, build_problem
from optimizer.quality import load_balance
from optimizer.solve import _balance, balance_teams, solve

from .factories import caseworker_doc, create_instance, meeting_doc

solve_module = importlib.import_module("optimizer.solve")


def _schedule(instance, spots):
    problem = build_problem(instance)
    schedule = Schedule(problem)
    placed = {problem.meetings.index(next(m for m in problem.meetings if m.id == ident)): spot
              for ident, spot in spots.items()}
    assert apply(schedule, problem, placed)
    return problem, schedule


def test_r_3_2_balance_moves_meetings_to_the_idle_caseworker_on_the_same_day() -> None:
    """R-3.2 balanced: four meetings that either caseworker may take, all booked on cw1 on
    Monday: two go to cw2, on Monday still, and nothing is lost."""
    meetings = [meeting_doc(f"m{k}", caseworkers=["cw1", "cw2"]) for k in range(4)]
    instance = create_instance(meetings=meetings)
    cw1 = 0
    problem, schedule = _schedule(instance, {f"m{k}": ((cw1,), -1, 0, 8 * 60 + 40 * k) for k in range(4)})
    moves = _balance(schedule, problem, balance_teams(instance, problem), None)
    assert moves == 2
    assert len(schedule.placed) == 4
    assert {spot[2] for spot in schedule.placed.values()} == {0}
    assert sorted(spot[0] for spot in schedule.placed.values()) == [(0,), (0,), (1,), (1,)]


def test_r_3_2_balance_trades_a_long_meeting_for_a_short_one() -> None:
    """R-3.2 balanced: cw1 works one hour and holds a 60-minute meeting, cw2 works two hours and
    holds a 30-minute one at the same start; neither fits beside the other, but trading them
    books each caseworker half their time."""
    short_day = {"0": ["09:00", "10:00"]}
    long_day = {"0": ["09:00", "11:00"]}
    instance = create_instance(
        caseworkers=[caseworker_doc("cw1", working_time=short_day, breaks={}),
                     caseworker_doc("cw2", working_time=long_day, breaks={})],
        meetings=[meeting_doc("long", caseworkers=["cw1", "cw2"], duration_minutes=50, reporting_minutes=10),
                  meeting_doc("short", caseworkers=["cw1", "cw2"], duration_minutes=20, reporting_minutes=10)],
        end_date="2027-03-01",
    )
    problem, schedule = _schedule(instance, {"long": ((0,), -1, 0, 9 * 60), "short": ((1,), -1, 0, 9 * 60)})
    assert _balance(schedule, problem, balance_teams(instance, problem), None) == 1
    by_id = {problem.meetings[i].id: spot for i, spot in schedule.placed.items()}
    assert by_id == {"long": ((1,), -1, 0, 9 * 60), "short": ((0,), -1, 0, 9 * 60)}


@pytest.mark.parametrize("instance", [
    generate_pooled(meetings=120, caseworkers=8, days=5, seed=3),
    generate(meetings=150, caseworkers=10, days=5, seed=4, load="normal"),
], ids=["pooled", "standard"])
def test_r_3_2_balance_never_costs_a_placement_or_a_day(monkeypatch, instance) -> None:
    """R-3.2: the same run with and without the evening out places the same meetings on the same
    days, and the teams come out at least as even (mean spread of booked shares)."""
    monkeypatch.setattr(solve_module, "BALANCE", False)
    plain = solve(instance, time_limit=60, workers=1)
    monkeypatch.setattr(solve_module, "BALANCE", True)
    even = solve(instance, time_limit=60, workers=1)
    assert check(instance, even).feasible
    days = lambda solution: {p.meeting: p.start.date() for p in solution.placements}  # noqa: E731
    assert days(even) == days(plain)
    assert load_balance(instance, even)["mean_spread"] <= load_balance(instance, plain)["mean_spread"]
    assert "team balance" in even.stats["methods_run"] or days(even) == days(plain)
