"""Honest statistics: `stats.solver` names the methods that actually ran, nothing else (R-3.2)."""

from __future__ import annotations

import importlib

from optimizer.generate import generate
from optimizer.solve import METHODS_RUN, solve

from .factories import create_instance

solve_module = importlib.import_module("optimizer.solve")
KNOWN = [name for name, _test in METHODS_RUN]


def test_greedy_alone_is_named_alone_R_3_2() -> None:
    """R-3.2: one meeting with time to spare: the greedy reaches the bound and nothing else runs."""
    solution = solve(create_instance(), workers=1)
    assert solution.stats["solver"] == "greedy"
    assert solution.stats["methods_run"] == {"greedy": 1}


def test_nothing_to_place_is_named_so_R_3_2() -> None:
    """R-3.2: no meetings, no method."""
    solution = solve(create_instance(meetings=[]), workers=1)
    assert solution.stats["solver"] == "none (nothing to place)"


def test_the_lp_and_what_followed_are_named_in_order_R_3_2() -> None:
    """R-3.2: on a tight instance the LP runs after the greedy; every name is a known method, in
    the order the methods run, and the fixed description of old is gone."""
    solution = solve(generate(meetings=60, caseworkers=6, days=5, seed=2, load="tight"), workers=1)
    names = solution.stats["solver"].split(", ")
    assert names[:2] == ["greedy", "lp"]
    assert all(name in KNOWN for name in names)
    assert names == sorted(names, key=KNOWN.index)
    assert list(solution.stats["methods_run"]) == names
    assert "exact re-solves" not in solution.stats["solver"]


def test_a_method_that_did_not_run_is_not_named_R_3_2(monkeypatch) -> None:
    """R-3.2: with the LP's phases after rounding switched off, none of them is named."""
    for phase in ("cuts_and_repair", "support_models", "restarts", "component_mip", "neighbourhoods"):
        monkeypatch.setattr(solve_module.ComponentSearch, phase, lambda self: None)
    solution = solve(generate(meetings=60, caseworkers=6, days=5, seed=2, load="tight"), workers=1)
    assert solution.stats["solver"] == "greedy, lp, lp+rounding, shift and compact"
