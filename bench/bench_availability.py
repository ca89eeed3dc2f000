"""Benchmark: free slots of a 50-caseworker online offer over 8 weeks.

Run from the repository root:

    python -m bench.bench_availability [--runs N] [--write docs/performance-availability.md]

Each timed run is what the citizen portal does per page view: compute the free
intervals of every caseworker of the offer from their weekly schedule, the
closure days and their bookings, then list the bookable starts with who is free.
"""

from __future__ import annotations

import argparse
import random
import shlex
import statistics
import sys
import time as clock
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bench.page import footer

from webapp.domain.availability import (
    WeeklySchedule,
    offer_slots,
    room_free_intervals,
    team_free_intervals,
)

CASEWORKERS = 50
BOOKINGS = 2000
TODAY = date(2027, 2, 28)              # a Sunday; the horizon crosses the March changeover
FIRST_DAY = date(2027, 3, 1)
LAST_DAY = FIRST_DAY + timedelta(weeks=8, days=-1)
# Easter 2027 (Maundy Thursday, Good Friday, Easter Monday), as the seeded
# national closure days would give them.
CLOSED = frozenset({date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 29)})
MEETING = timedelta(minutes=30)
REPORTING = timedelta(minutes=15)
SEED = 20270301


def build_fixture() -> tuple[WeeklySchedule, dict[str, list[tuple[datetime, datetime]]],
                             list[tuple[datetime, datetime]]]:
    """Schedule, widened bookings per caseworker, and the room's bookings."""
    schedule = WeeklySchedule(
        working_time={day: (time(7, 30), time(16, 0)) for day in range(5)},
        breaks={day: [(time(12, 0), time(12, 30))] for day in range(5)},
    )
    rng = random.Random(SEED)
    working_days = [FIRST_DAY + timedelta(days=i)
                    for i in range((LAST_DAY - FIRST_DAY).days + 1)]
    working_days = [d for d in working_days if d.weekday() < 5 and d not in CLOSED]
    busy: dict[str, list[tuple[datetime, datetime]]] = {
        f"cw{i:02d}": [] for i in range(CASEWORKERS)}
    names = list(busy)
    room: list[tuple[datetime, datetime]] = []
    placed = 0
    while placed < BOOKINGS:
        name = rng.choice(names)
        day = rng.choice(working_days)
        minutes = rng.choice([30, 45, 60])
        start = datetime.combine(day, time(7, 30)) + timedelta(minutes=15 * rng.randrange(32))
        end = start + timedelta(minutes=minutes) + REPORTING   # widened by reporting time
        if end > datetime.combine(day, time(16, 0)):
            continue
        if any(s < end and start < e for s, e in busy[name]):
            continue
        busy[name].append((start, end))
        if placed % 10 == 0:
            room.append((start, start + timedelta(minutes=minutes)))
        placed += 1
    return schedule, busy, room


def measure(run: Callable[[], object], runs: int) -> tuple[float, float, float]:
    for _ in range(3):       # warm caches and the allocator
        run()
    samples = []
    for _ in range(runs):
        t0 = clock.perf_counter()
        run()
        samples.append((clock.perf_counter() - t0) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, samples[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per row (>= 30)")
    parser.add_argument("--write", metavar="PATH", help="also write the table as markdown")
    args = parser.parse_args(argv)
    if args.runs < 30:
        parser.error("--runs must be at least 30")

    schedule, busy, room_busy = build_fixture()
    # One schedule object per caseworker, as the service layer builds them
    # from database rows.
    schedules = {name: WeeklySchedule(dict(schedule.working_time), dict(schedule.breaks))
                 for name in busy}

    def free_all() -> dict[str, list[tuple[datetime, datetime]]]:
        return team_free_intervals(schedules, FIRST_DAY, LAST_DAY, CLOSED, busy)

    def offer(grid: int, *, room: bool = False, group_of: int = 0):
        selected = dict(list(schedules.items())[:group_of]) if group_of else schedules

        def run() -> list:
            free = team_free_intervals(selected, FIRST_DAY, LAST_DAY, CLOSED, busy)
            room_free = (room_free_intervals(FIRST_DAY, LAST_DAY, CLOSED, room_busy)
                         if room else None)
            return offer_slots(free, duration=MEETING, reporting=REPORTING,
                               granularity_minutes=grid, today=TODAY,
                               room_free=room_free, group=bool(group_of))
        return run

    scenarios = [
        ("free intervals only (50 caseworkers)", "-", free_all),
        ("individual offer", "5", offer(5)),
        ("individual offer", "15", offer(15)),
        ("individual offer + room", "5", offer(5, room=True)),
        ("group offer (3 caseworkers together) + room", "5", offer(5, room=True, group_of=3)),
    ]
    lines = [
        (f"{CASEWORKERS} caseworkers, {FIRST_DAY} to {LAST_DAY} (8 weeks, 3 closure days), "
        f"{BOOKINGS} bookings, working time 07:30-16:00 Mon-Fri with a 12:00-12:30 break, "
        f"{MEETING.seconds // 60}-minute meetings + {REPORTING.seconds // 60} minutes "
        f"reporting; {args.runs} timed runs per row, time.perf_counter."),
        "",
        "| scenario | grid (min) | median (ms) | p95 (ms) | min (ms) | starts | start x caseworker |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, grid, run in scenarios:
        median, p95, best = measure(run, args.runs)
        result = run()
        if isinstance(result, dict):
            starts, pairs = "-", "-"
        else:
            starts = str(len(result))
            pairs = str(sum(len(free) for _, free in result))
        lines.append(f"| {label} | {grid} | {median:.2f} | {p95:.2f} | {best:.2f} "
                     f"| {starts} | {pairs} |")
    table = "\n".join(lines)
    print(table)

    if args.write:
        python = Path(sys.executable)
        if python.is_relative_to(Path.cwd()):
            python = python.relative_to(Path.cwd())
        command = shlex.join([str(python), "-m", "bench.bench_availability",
                              *(argv if argv is not None else sys.argv[1:])])
        text = (
            "# Performance: availability\n\n"
            "Free slots of an online offer as the citizen portal lists them "
            "(`webapp/domain/availability.py`). Target: median under 50 ms for the "
            "individual offer. Every offer row times the whole page view: the free "
            "intervals of each caseworker (and the room) from schedule, closure days and "
            "bookings, then the list of starts with the caseworkers free at each; the "
            "widened bookings themselves are built once, outside the timing.\n\n"
            f"{table}\n\n" + "\n".join(footer(command)) + "\n"
        )
        Path(args.write).write_text(text, encoding="utf-8")
        print(f"\nwritten to {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
