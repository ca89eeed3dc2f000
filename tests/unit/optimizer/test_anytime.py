"""Never worse as the limit grows (R-3.2, issue 18): under a time limit the solver follows one plan
whatever the limit, and the limit only cuts it.

Wall time on a shared machine would make such a test flaky, so it runs the solver on a clock that
counts work: every reading of the clock advances it by the same step, and the component's LP
advances it by a time per column (the LP is what takes long on the pooled family). The plan and
where the limit cuts it are then the same in every run, and HiGHS, which keeps its own clock, is
given time limits its small models never reach (a machine of constant speed)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
import types
from pathlib import Path

import highspy
import pytest

from optimizer.bound import LpResult
from optimizer.check import check
from optimizer.generate import generate_pooled

solve_module = importlib.import_module("optimizer.solve")
CLOCKED = [solve_module, importlib.import_module("optimizer.greedy"), importlib.import_module("optimizer.cuts")]
STEP = 0.01  # seconds per reading of the work clock
LP_SECONDS_PER_COLUMN = 2e-4  # the LP's time on the work clock
HIGHS_SECONDS = 600.0
LIMITS = (1.0, 2.0, 3.0, 5.0, 10.0)


class WorkClock:
    """time.time() and time.perf_counter() that advance by one step at each reading."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.readings = 0

    def read(self) -> float:
        self.now += STEP
        self.readings += 1
        return self.now


@pytest.fixture
def work_clock(monkeypatch):
    """Runs the solver on a work clock: one thread (the LP on this one), HiGHS never cut by its own clock."""
    set_option = highspy.Highs.setOptionValue

    def never_cut(self, name, value):
        if name == "time_limit":
            value = max(float(value), HIGHS_SECONDS)
        return set_option(self, name, value)

    monkeypatch.setattr(highspy.Highs, "setOptionValue", never_cut)
    monkeypatch.setattr(solve_module, "LP_ON_THREAD", False, raising=False)
    solve_lp = solve_module.solve_lp

    def run(instance, limit: float):
        clock = WorkClock()
        fake = types.SimpleNamespace(time=clock.read, perf_counter=clock.read, sleep=time.sleep)

        def timed_lp(columns, matrix, seconds, threads=1):
            # The LP takes its time on the work clock; cut by its time limit, it gives nothing.
            cost = LP_SECONDS_PER_COLUMN * columns.size
            if seconds is not None and cost > seconds:
                clock.now += seconds
                return LpResult(None, None, False)
            clock.now += cost
            return solve_lp(columns, matrix, seconds, threads)

        with monkeypatch.context() as patch:
            for module in CLOCKED:
                patch.setattr(module, "time", fake)
            patch.setattr(solve_module, "solve_lp", timed_lp)
            solution = solve_module.solve(instance, time_limit=limit, workers=1)
        return solution, clock.readings

    return run


def test_a_longer_limit_is_never_worse_R_3_2(work_clock) -> None:
    """R-3.2 anytime: on a small pooled instance, limits that cut the plan from within the LP's
    rounding to past the end give weighted counts that never fall as the limit grows, and the
    longest reaches more than the shortest (the limits do cut the plan)."""
    instance = generate_pooled(120, 8, 5, seed=2)
    results = []
    for limit in LIMITS:
        solution, readings = work_clock(instance, limit)
        assert check(instance, solution).feasible
        results.append((limit, solution.stats["weighted_placed"], readings))
    weights = [weight for _limit, weight, _readings in results]
    assert weights == sorted(weights), results
    assert weights[0] < weights[-1], results
    # The same limit, the same result: the clock makes the run repeat.
    assert work_clock(instance, 2.0)[0].stats["weighted_placed"] == weights[1]


def test_cuts_on_an_lp_solved_beside_the_chains_do_not_end_the_process_R_3_2() -> None:
    """R-3.2: under a limit the LP is solved on a second thread and, on a tight component, cut
    afterwards; HiGHS keeps state per thread, and cutting on the main thread ended the process with
    a segmentation fault. Run in a child process so that a crash is a failure, not a lost worker."""
    script = (
        "import importlib\n"
        "from optimizer.check import check\n"
        "from optimizer.generate import generate_pooled\n"
        "solve = importlib.import_module('optimizer.solve')\n"
        "instance = generate_pooled(120, 8, 5, seed=2)\n"
        "solution = solve.solve(instance, time_limit=60, workers=1)\n"
        "assert check(instance, solution).feasible\n"
        "print(solution.stats['solver'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[3])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ejection chains beside the lp" in done.stdout and "gomory cuts" in done.stdout
