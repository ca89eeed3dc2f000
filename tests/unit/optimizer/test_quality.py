"""The later goals of R-3.2 measured per run: load balance between a team's caseworkers and
compact days (idle gaps between meetings, breaks excluded)."""

from __future__ import annotations

from datetime import datetime

import pytest

from optimizer.check import check
from optimizer.generate import generate_pooled
from optimizer.model import Placement, Solution
from optimizer.quality import compactness, load_balance
from optimizer.solve import solve

from .factories import caseworker_doc, create_instance, meeting_doc


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _instance():
    meetings = [meeting_doc(f"m{k}", caseworkers=["cw1", "cw2"]) for k in (1, 2, 3)]
    return create_instance(meetings=meetings)


def _solution(*starts: str) -> Solution:
    return Solution([Placement(f"m{k}", _at(s), ("cw1",)) for k, s in enumerate(starts, start=1)], [], {})


def test_compactness_counts_idle_minutes_between_meetings_without_breaks_R_3_2() -> None:
    """R-3.2 compact days: 09:00-09:40, 10:00-10:40 and 12:30-13:10 on one day leave 20 minutes
    and 110 minutes less the 30-minute break: 100 idle minutes in two gaps on one caseworker-day."""
    figures = compactness(_instance(), _solution("2027-03-01T09:00", "2027-03-01T10:00", "2027-03-01T12:30"))
    assert figures == {"caseworker_days": 1, "idle_minutes_per_day": 100.0, "gaps_per_day": 2.0}
    packed = compactness(_instance(), _solution("2027-03-01T09:00", "2027-03-01T09:40", "2027-03-01T10:20"))
    assert packed["idle_minutes_per_day"] == 0.0


def test_compactness_counts_the_gap_to_a_busy_time_R_3_2() -> None:
    """R-3.2 compact days: a gap between a placement and the caseworker's own meeting counts."""
    busy = caseworker_doc("cw1", busy=[["2027-03-01T10:00", "2027-03-01T11:00"]])
    instance = create_instance(caseworkers=[busy, caseworker_doc("cw2")], meetings=[meeting_doc("m1")])
    figures = compactness(instance, _solution("2027-03-01T09:00"))
    assert figures["idle_minutes_per_day"] == 20.0 and figures["gaps_per_day"] == 1.0


def test_load_balance_is_the_spread_of_booked_share_in_a_team_R_3_2() -> None:
    """R-3.2 balanced: cw1 is booked 120 of 2,370 free minutes (five days of 8 hours less the
    Monday break), cw2 none: the spread of their shares is 120 / 2,370."""
    instance = _instance()
    figures = load_balance(instance, _solution("2027-03-01T09:00", "2027-03-01T10:00", "2027-03-01T12:30"))
    free = 5 * 480 - 30  # the factory's break is on Mondays only
    assert figures["max_spread"] == pytest.approx(120 / free, abs=1e-4)
    assert load_balance(instance, Solution([], [], {}))["max_spread"] == 0.0


def test_solve_and_check_report_both_figures_R_3_2() -> None:
    """R-3.2: the solution's stats and `check`'s figures carry load balance and compactness."""
    instance = generate_pooled(meetings=60, caseworkers=6, days=4, seed=1)
    solution = solve(instance, workers=1)
    report = check(instance, solution)
    assert report.feasible
    for figures in (solution.stats, report.figures):
        assert set(figures["load_balance"]) == {"mean_spread", "max_spread"}
        assert set(figures["compactness"]) == {"caseworker_days", "idle_minutes_per_day", "gaps_per_day"}
    assert solution.stats["compactness"] == report.figures["compactness"]
