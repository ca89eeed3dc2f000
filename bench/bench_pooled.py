"""Benchmark: the optimiser on the pooled family (issue 18) at time limits, beside two greedies.

    python -m bench.bench_pooled [--sizes 900,3000,20000] [--limits 5,10,30,60] [--write docs/performance-optimizer-pooled.md]

Instances from `python -m optimizer generate --profile pooled` (tight load). Each solve is the
whole `python -m optimizer solve --time-limit L` process in its own child (wall time and peak
RSS as in bench_optimizer). For each size the limits up to its own run (5, 10, then 30 or 60 s)
make the anytime series: the result should never fall below the priority-aware greedy nor get
worse as the limit grows. The ratio is to the lowest proven bound of the series (a run whose LP
did not finish in its limit states a weaker bound of its own, shown beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_optimizer import _measure

# size name: meetings, caseworkers, working days, own time limit (s), ratio target, memory target (MiB)
SIZES = {
    "900": (900, 16, 10, 30.0, 0.99, None),
    "3000": (3_000, 60, 20, 60.0, 0.995, None),
    "20000": (20_000, 300, 40, 300.0, 0.99, 2048),
}
GREEDIES = ("edf", "edf+priority")
# A whole process may end this much past its limit (starting Python, writing the result).
LIMIT_SLACK, LIMIT_GRACE = 1.05, 1.0


def _greedy_only(order: str, instance_path: str, output_path: str) -> None:
    """Child process entry: one greedy order over the whole instance, written as a solution."""
    from optimizer.greedy import FLOOR_ORDERS, build_problem, greedy
    from optimizer.model import Placement, Solution, load_instance, solution_to_json, write_json
    from optimizer.reasons import unplaced_reasons

    started = time.perf_counter()
    instance = load_instance(instance_path)
    problem = build_problem(instance)
    schedule = greedy(problem, key=None if order == "edf" else FLOOR_ORDERS[order])
    placements = [
        Placement(problem.meetings[i].id, problem.start_of(day, minute), tuple(problem.cw_ids[c] for c in team),
                  problem.room_ids[room] if room >= 0 else None)
        for i, (team, room, day, minute) in sorted(schedule.placed.items())
    ]
    stats = {"seconds": round(time.perf_counter() - started, 3), "solver": f"greedy ({order})"}
    unplaced = unplaced_reasons(instance, problem, schedule.placed)
    write_json(solution_to_json(Solution(placements, unplaced, stats)), output_path)


def _figures(instance, solution_path: Path, measured: dict) -> dict:
    from optimizer.check import check
    from optimizer.model import load_solution

    solution = load_solution(solution_path)
    report = check(instance, solution)
    return {
        "placed": report.figures["placed"], "weighted": report.figures["weighted_placed"],
        "feasible": report.feasible, "bound": solution.stats.get("upper_bound"),
        "seconds": measured["wall"], "rss_mib": measured["rss_kib"] / 1024,
        "solver": solution.stats.get("solver", ""),
        "spread": report.figures["load_balance"]["max_spread"],
        "idle": report.figures["compactness"]["idle_minutes_per_day"],
    }


def _run(name: str, limits: list[float], seed: int, workdir: Path) -> dict:
    from optimizer.generate import generate_pooled
    from optimizer.model import instance_to_json, load_instance, write_json

    meetings, caseworkers, days, own, _ratio, _memory = SIZES[name]
    path = workdir / f"pooled-{name}.json"
    write_json(instance_to_json(generate_pooled(meetings, caseworkers, days, seed)), path)
    instance = load_instance(path)
    row: dict = {"size": name, "greedy": {}, "series": {}}
    for order in GREEDIES:
        out = workdir / f"pooled-{name}-{order}.json"
        measured = _measure([sys.executable, "-m", "bench.bench_pooled", "--greedy-only", order, str(path), str(out)])
        row["greedy"][order] = _figures(instance, out, measured) if measured["code"] == 0 else None
    for limit in sorted({x for x in limits if x < own} | {own}):
        out = workdir / f"pooled-{name}-{limit:g}.json"
        measured = _measure([sys.executable, "-m", "optimizer", "solve", str(path), "-o", str(out),
                             "--time-limit", f"{limit:g}"])
        row["series"][limit] = _figures(instance, out, measured) if measured["code"] == 0 else None
        print(json.dumps({"size": name, "limit": limit, "result": row["series"][limit]}), file=sys.stderr, flush=True)
    return row


def _verdict(name: str, limit: float, result: dict, ratio: float, floor: float, previous: float | None) -> str:
    _m, _c, _d, own, ratio_target, memory_target = SIZES[name]
    misses = []
    if not result["feasible"]:
        misses.append("INFEASIBLE")
    if result["weighted"] < floor:
        misses.append("below the priority-aware greedy")
    if previous is not None and result["weighted"] < previous:
        misses.append("worse than a shorter limit")
    if limit == own and ratio < ratio_target:
        misses.append(f"ratio < {ratio_target:.1%}")
    if limit == own and memory_target and result["rss_mib"] >= memory_target:
        misses.append("memory")
    if result["seconds"] > limit * LIMIT_SLACK + LIMIT_GRACE:
        misses.append("over the limit")
    return "yes" if not misses else "no: " + ", ".join(misses)


def _table(rows: list[dict]) -> str:
    lines = [
        "| instance | limit s | placed (weighted) | own bound | ratio to best bound | wall s | peak RSS MiB | "
        "load spread | idle min per cw-day | methods that ran | targets met |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        meetings, caseworkers, days, _own, _r, _mem = SIZES[row["size"]]
        label = f"pooled {meetings:,} × {caseworkers} × {days} d"
        results = [r for r in row["series"].values() if r]
        bounds = [r["bound"] for r in results if isinstance(r["bound"], (int, float))]
        best = min(bounds) if bounds else float("nan")
        greedy = row["greedy"].get("edf+priority") or {"weighted": 0}
        for order in GREEDIES:
            g = row["greedy"].get(order)
            if g:
                lines.append(f"| {label} | greedy {order} | {g['placed']:,} ({g['weighted']:,g}) | | "
                             f"{g['weighted'] / best:.2%} | {g['seconds']:.1f} | {g['rss_mib']:.0f} | "
                             f"{g['spread']:.3f} | {g['idle']:.1f} | greedy ({order}) | |")
        previous = None
        for limit, result in row["series"].items():
            if result is None:
                lines.append(f"| {label} | {limit:g} | error | | | | | | | | no |")
                continue
            ratio = result["weighted"] / best
            verdict = _verdict(row["size"], limit, result, ratio, greedy["weighted"], previous)
            previous = result["weighted"]
            lines.append(f"| {label} | {limit:g} | {result['placed']:,} ({result['weighted']:,g}) | "
                         f"{result['bound']:,} | {ratio:.2%} | {result['seconds']:.1f} | {result['rss_mib']:.0f} | "
                         f"{result['spread']:.3f} | {result['idle']:.1f} | {result['solver']} | {verdict} |")
    return "\n".join(lines)


def _page(table: str, command: str, seed: int, loads: tuple[float, float]) -> str:
    return (
        "# Optimiser on the pooled family\n\n"
        f"Command: `{command}`\n\n"
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"one-minute load average at the start and the end: {loads[0]:.1f} and {loads[1]:.1f} (the "
        "benchmark itself adds 1 to 2; more means other work shared the 2 cores, and the wall times "
        "and what a limit buys are then lower than on an idle machine). Instances from "
        f"`python -m optimizer generate --profile pooled` (seed {seed}, tight load). Each row is one "
        "whole `python -m optimizer solve --time-limit L` process; the greedy rows are the plain "
        "earliest-deadline greedy and the one that breaks ties by priority, over the whole instance. "
        "Ratio: weighted placed over the lowest proven upper bound of the size's series. Load spread: "
        "the largest difference of booked share between caseworkers of a team; idle minutes: gaps "
        "between a placement and the next taken time per caseworker-day with a placement, breaks "
        "excluded (optimizer/quality.py). Targets (issue 18): at every limit at least the "
        "priority-aware greedy, never worse than at a shorter limit, and ended within 5 % and 1 s of "
        "the limit; at the size's own limit (30 s for 900, 60 s for 3,000, 300 s for 20,000) at "
        "least 99 %, 99.5 % and 99 % of the bound, the largest in less than 2 GiB.\n\n"
        f"{table}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="900,3000,20000")
    parser.add_argument("--limits", default="5,10,30,60")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", help="markdown file for the table")
    parser.add_argument("--greedy-only", nargs=3, metavar=("ORDER", "INSTANCE", "SOLUTION"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.greedy_only:
        _greedy_only(*args.greedy_only)
        return 0
    limits = [float(x) for x in args.limits.split(",") if x]
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [_run(name, limits, args.seed, Path(tmp)) for name in args.sizes.split(",") if name]
    table = _table(rows)
    print(table)
    if args.write:
        command = "python -m bench.bench_pooled " + " ".join(argv if argv is not None else sys.argv[1:])
        Path(args.write).write_text(_page(table, command, args.seed, (before, os.getloadavg()[0])), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
