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

from optimizer.bound import LpResult, build_matrix, enumerate_columns, solve_lp
from optimizer.check import check
from optimizer.generate import generate_pooled
from optimizer.greedy import Schedule, build_problem
from optimizer.model import instance_to_json, write_json

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

        def timed_lp(columns, matrix, seconds, threads=1, stop=None):
            # The LP takes its time on the work clock; cut by its time limit, it gives nothing.
            cost = LP_SECONDS_PER_COLUMN * columns.size
            if seconds is not None and cost > seconds:
                clock.now += seconds
                return LpResult(None, None, False)
            clock.now += cost
            return solve_lp(columns, matrix, seconds, threads, stop)

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


def test_a_stop_request_ends_the_lp_at_its_next_iteration_R_3_2() -> None:
    """R-3.2: the LP asks `stop` at every iteration; a run cut at its deadline stops it there
    instead of leaving HiGHS to solve on until its own time limit."""
    problem = build_problem(generate_pooled(120, 8, 5, seed=2))
    indices = [m.index for m in problem.meetings]
    columns = enumerate_columns(problem, Schedule(problem), indices, solve_module.COLUMN_LIMIT)
    matrix = build_matrix(problem, columns)
    asked = []

    def stop() -> bool:
        asked.append(True)
        return True

    stopped = solve_lp(columns, matrix, None, 1, stop)
    assert asked and not stopped.optimal
    assert solve_lp(columns, matrix, None, 1, lambda: False).optimal


def test_a_cancelled_lp_thread_is_waited_for_R_3_2() -> None:
    """R-3.2: closing the LP's thread at the deadline waits for the job under way to stop."""
    thread = solve_module.HighsThread()
    thread.submit(lambda: thread.cancelled.wait(10))
    thread.close(cancel=True)
    assert not thread.thread.is_alive()


def test_a_run_cut_in_its_lp_exits_cleanly_R_3_2(tmp_path) -> None:
    """R-3.2: a whole `optimizer solve` process whose limit ends before its LP: the process used to
    be aborted at its exit in about half such runs (exit 134, "terminate called without an active
    exception"), HiGHS still solving on the LP's thread; three runs, each must exit 0."""
    instance = tmp_path / "pooled.json"
    write_json(instance_to_json(generate_pooled(900, 16, 10, seed=1)), instance)
    for run in range(3):
        done = subprocess.run([sys.executable, "-m", "optimizer", "solve", str(instance), "-o",
                               str(tmp_path / f"solution{run}.json"), "--time-limit", "3"],
                              capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[3])
        assert done.returncode == 0, done.stderr[-2000:]
