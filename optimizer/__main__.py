"""Command line: solve, check and generate instances (`python -m optimizer --help`)."""

from __future__ import annotations

import argparse
import os
import sys

from optimizer.check import check
from optimizer.generate import LOADS, generate, generate_pooled
from optimizer.model import FormatError, instance_to_json, load_instance, load_solution, solution_to_json, write_json
from optimizer.solve import solve


PROFILES = ("standard", "pooled")


def seconds_since_start() -> float:
    """Wall seconds since this process started (Linux: /proc; elsewhere 0): `--time-limit` is
    the whole process's, and starting Python with numpy, HiGHS and PuLP took 1 to 2 s of it on
    the loaded machine."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as uptime:
            now = float(uptime.read().split()[0])
        return max(now - start_ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return 0.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m optimizer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("solve", help="place the meetings of an instance")
    p.add_argument("instance")
    p.add_argument("-o", "--output", required=True, help="solution file to write")
    p.add_argument("--time-limit", type=float, default=None, help="seconds; the best solution so far is kept")
    p.add_argument("--workers", type=int, default=None, help="processes for independent components (default 2)")

    p = commands.add_parser("check", help="verify a solution; exit 0 iff feasible")
    p.add_argument("instance")
    p.add_argument("solution")

    p = commands.add_parser("generate", help="write a random instance")
    p.add_argument("--meetings", type=int, required=True)
    p.add_argument("--caseworkers", type=int, required=True)
    p.add_argument("--days", type=int, required=True, help="working days in the horizon")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--load", choices=sorted(LOADS), default=None,
                   help="tight: demand near capacity (default: normal; pooled: tight)")
    p.add_argument("--profile", choices=PROFILES, default="standard",
                   help="standard: departments of teams; pooled: call-ins to pools of 1-6 caseworkers "
                        "across two teams, dense days, priorities 1-3, windows of a few days, 15-minute grid")
    p.add_argument("-o", "--output", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "solve":
            instance = load_instance(args.instance)
            limit = args.time_limit
            if limit is not None:
                # What is left of the whole process's limit (at least a tenth of it).
                limit = max(limit - seconds_since_start(), limit / 10)
            solution = solve(instance, time_limit=limit, workers=args.workers)
            write_json(solution_to_json(solution), args.output)
            s = solution.stats
            print(
                f"placed {s['placed']} of {len(instance.meetings)} (upper bound {s['upper_bound']}, "
                f"greedy {s['greedy_placed']}) in {s['seconds']} s"
            )
            return 0
        if args.command == "check":
            instance = load_instance(args.instance)
            report = check(instance, load_solution(args.solution))
            for violation in report.violations:
                print(violation)
            for key, value in report.figures.items():
                print(f"{key}: {round(value, 6) if isinstance(value, float) else value}")
            print("feasible" if report.feasible else f"infeasible: {len(report.violations)} violations")
            return 0 if report.feasible else 1
        if args.command == "generate":
            if args.profile == "pooled":
                instance = generate_pooled(args.meetings, args.caseworkers, args.days, args.seed, args.load or "tight")
            else:
                instance = generate(args.meetings, args.caseworkers, args.days, args.seed, args.load or "normal")
            write_json(instance_to_json(instance), args.output)
            return 0
    except FormatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
