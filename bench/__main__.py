"""`make bench`: every benchmark in turn, each table into docs/, then one summary page."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

BENCHMARKS = (
    ("bench_availability", "Availability and slot listing", "performance-availability.md"),
    ("bench_optimizer", "Optimiser against the greedy baseline", "performance-optimizer.md"),
    ("bench_pooled", "Optimiser on the pooled family at time limits", "performance-optimizer-pooled.md"),
    ("bench_selfbooking", "Self-booking on PostgreSQL", "performance-selfbooking.md"),
    ("bench_overview", "The overview of a large job centre", "performance-overview.md"),
    ("bench_replan", "Re-planning an absence", "performance-replan.md"),
)
# Run only when asked (`python -m bench --night`): it needs PostgreSQL and takes minutes even
# short; otherwise its page is gathered as it was last written (`python -m bench.bench_night --help`).
ON_REQUEST = (
    ("bench_night", "A night of many job centres", "performance-night.md"),
)
# Pages measured by other means than a benchmark module, gathered into the summary as they are.
MEASURED_ELSEWHERE = (
    "performance-tests.md",  # the test suite's time, `make test` (see the page)
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--write", metavar="PATH", help="the summary page to write")
    parser.add_argument("--collect", action="store_true",
                        help="only gather the pages already in docs/ into the summary")
    parser.add_argument("--night", action="store_true",
                        help="also run the night of many job centres (short size; PostgreSQL)")
    args = parser.parse_args(argv)
    docs = Path("docs")
    sections = []
    status = 0
    for module, title, filename in (*BENCHMARKS, *ON_REQUEST):
        if importlib.util.find_spec(f"bench.{module}") is None:
            continue
        if not args.collect and (args.night or (module, title, filename) not in ON_REQUEST):
            print(f"== {title}", flush=True)
            result = subprocess.run([sys.executable, "-m", f"bench.{module}",
                                     "--write", str(docs / filename)], check=False)
            status = status or result.returncode
        table = (docs / filename).read_text(encoding="utf-8") if (docs / filename).exists() else ""
        # Each page starts with its own "# " title; here it becomes a section.
        sections.append("\n".join("#" + line if line.startswith("#") else line
                                   for line in table.strip().splitlines()) + "\n")
    for filename in MEASURED_ELSEWHERE:
        if (docs / filename).exists():
            sections.append("\n".join("#" + line if line.startswith("#") else line
                                       for line in (docs / filename).read_text(encoding="utf-8")
                                       .strip().splitlines()) + "\n")
    if args.write:
        Path(args.write).write_text(
            "# Performance\n\nMeasured with `make bench` (`python -m bench --write "
            "docs/performance.md`), which runs each benchmark below and rewrites its own page, "
            "on the project's 2-core machine. The figures are reported as measured; a target "
            "that is missed says so.\n\n" + "\n".join(sections), encoding="utf-8")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
