"""Benchmark: a night of many job centres on one PostgreSQL, with 1, 2 and 3 scheduler processes (R-3.3, R-1.10.1).

    python -m bench.bench_night [--job-centres 6] [--waiting 60] [--processes 1,2,3]
                                [--time-limit 5] [--full] [--url URL] [--write docs/performance-night.md]

N job centres, each with one team of C caseworkers (working time 08:00-16:00 Mon-Fri, a
12:00-12:30 break) and M waiting call-ins of 30 minutes (deadlines 2 to 5 weeks ahead), are
built once in a template database (`<url's database>_template`). For each number of processes
the template is copied to a fresh database and that many scheduler processes are started
(real subprocesses: `jobs.scheduler.run_scheduler` with the job store in the database, the
`allocate-nightly` job asking every 2 s which job centres are due, and the heartbeat; the outbox,
reminder and calendar jobs are left out so that only the night's allocation is measured). The
nightly time is set a minute before the start, so every job centre is due at once.

Measured: the wall time from starting the processes until every job centre's run of tonight is
in the system log (polled every 0.5 s), each job centre's number of published runs (must be 1),
failed and never-run job centres (must be 0), and how the runs were shared among the processes.

Short by default (6 x 60, a few minutes); `--full` is 40 job centres x 500 call-ins. Needs a
PostgreSQL the user may create databases on; without one it says so and writes nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time as clock
from collections import Counter
from datetime import datetime, time, timedelta
from pathlib import Path

from bench.page import footer
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql://planner:planner@127.0.0.1/planner_bench_night"
SEED = 20270305
CHECK_SECONDS = 2
POLL_SECONDS = 0.5
ROOT = Path(__file__).resolve().parents[1]


def _admin_engine(url: str) -> Any:
    """A connection to the server's maintenance database, for CREATE/DROP DATABASE."""
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _recreate(url: str, template: str | None = None) -> None:
    name = make_url(url).database
    engine = _admin_engine(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    engine.dispose()


def _drop(url: str) -> None:
    engine = _admin_engine(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def build_template(url: str, job_centres: int, waiting: int, caseworkers: int) -> dict[str, Any]:
    """The job centres, their caseworkers and waiting call-ins in a new database at `url`."""
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.administration.organisation import create_job_centre
    from webapp.administration.reference import seed_reference_data
    from webapp.clock import now_local
    from webapp.extensions import db
    from webapp.models import (Break, CallIn, CallInStatus, Caseworker, Citizen, ConversationType,
                               HoldingForm, MeetingForm, TeamMembership, WorkingTime)

    _recreate(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(SEED)
    today = now_local().date()
    with app.app_context():
        upgrade()
        seed_reference_data()
        type_id = db.session.scalars(db.select(ConversationType.id)).first()
        form_id = db.session.scalars(db.select(HoldingForm.id)).first()
        citizen_id = 0
        for n in range(job_centres):
            centre = create_job_centre(f"Jobcenter Nat {n + 1:03d}", f"Kommune {n + 1:03d}")
            team = next(t for t in centre.teams if t.parent_id is not None)
            for i in range(caseworkers):
                cw = Caseworker(job_centre=centre, email=f"cw{i}@jc{n}.bench.dk", name=f"Vejleder {n}-{i:02d}",
                                rid=f"{900000 + n * 100 + i}")
                cw.memberships.append(TeamMembership(team=team))
                for day in range(5):
                    cw.working_times.append(WorkingTime(weekday=day, start_time=time(8),
                                                        end_time=time(16)))
                    cw.breaks.append(Break(weekday=day, start_time=time(12), end_time=time(12, 30)))
                db.session.add(cw)
            db.session.flush()
            citizens = []
            for _ in range(waiting):
                i = citizen_id
                citizen_id += 1
                citizens.append({"id": citizen_id, "job_centre_id": centre.id,
                                 "cpr": f"{1 + i % 28:02d}{1 + i // 28 % 12:02d}{10 + i // 336 % 90:02d}"
                                        f"{1000 + i % 1000:04d}",
                                 "name": f"Borger {n}-{i}"})
            db.session.execute(insert(Citizen.__table__), citizens)
            db.session.execute(insert(CallIn.__table__), [{
                "job_centre_id": centre.id, "citizen_id": row["id"], "team_id": team.id,
                "conversation_type_id": type_id, "holding_form_id": form_id,
                "meeting_form": MeetingForm.INDIVIDUAL, "duration_minutes": 30, "reporting_minutes": 0,
                "earliest_date": today + timedelta(days=1),
                "deadline_date": today + timedelta(days=rng.randint(14, 35)),
                "priority": rng.choice((1, 1, 1, 2, 3)), "status": CallInStatus.WAITING,
                "created_at": datetime.combine(today - timedelta(days=rng.randint(0, 60)), time(9))}
                for row in citizens])
            db.session.commit()
        if citizen_id:  # the ids were given by hand: move the sequence past them
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('citizens', 'id'), :n)"),
                               {"n": citizen_id})
            db.session.commit()
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    return {"today": today}


def _runs(url: str, key: str) -> tuple[Counter[int], Counter[int], list[int]]:
    """(published runs, failed runs) per job centre with tonight's key, and all job centre ids."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ids = list(conn.scalars(text("SELECT id FROM job_centres ORDER BY id")))
            published, failed = Counter(), Counter()
            for job_centre_id, level in conn.execute(text(
                    "SELECT job_centre_id, level FROM system_log "
                    "WHERE category = 'allocation' AND figures->>'run_key' = :key"), {"key": key}):
                (published if str(level).upper() == "INFO" else failed)[job_centre_id] += 1
    finally:
        engine.dispose()
    return published, failed, ids


def _figures(url: str, key: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(row) for row, in conn.execute(text(
                "SELECT figures FROM system_log WHERE category = 'allocation' "
                "AND figures->>'run_key' = :key ORDER BY id"), {"key": key})]
    finally:
        engine.dispose()


def night(url: str, processes: int, time_limit: float, timeout: float, logs: Path) -> dict[str, Any]:
    """Start `processes` scheduler processes on `url` and wait until every job centre has run."""
    from webapp.clock import now_local

    start_local = now_local()
    nightly = (start_local - timedelta(minutes=1)).strftime("%H:%M:%S")
    scheduled = datetime.combine(start_local.date(), time.fromisoformat(nightly))
    if scheduled > start_local:
        scheduled -= timedelta(days=1)
    key = f"nightly:{scheduled.date().isoformat()}"
    env = {**os.environ, "PLANNER_DATABASE_URL": url, "PLANNER_ALLOCATION_TIME": nightly,
           "PLANNER_ALLOCATION_CHECK_SECONDS": str(CHECK_SECONDS),
           "PLANNER_ALLOCATION_TIME_LIMIT": str(time_limit), "PYTHONUNBUFFERED": "1"}
    env.pop("PLANNER_TEST_DATABASE_URL", None)
    paths = [logs / f"scheduler-{processes}-{n}.log" for n in range(processes)]
    started = clock.perf_counter()
    workers = []
    for path in paths:
        with open(path, "wb") as out:
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "bench.bench_night", "--worker", "--run-for", str(timeout)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
    wall = None
    try:
        while clock.perf_counter() - started < timeout:
            published, failed, ids = _runs(url, key)
            if all(published[i] or failed[i] for i in ids):
                wall = clock.perf_counter() - started
                break
            if all(worker.poll() is not None for worker in workers):
                break
            clock.sleep(POLL_SECONDS)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=120)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    published, failed, ids = _runs(url, key)
    shares = []
    for path in paths:
        found = re.findall(r"Allocation of job centre (\d+): ", path.read_text(errors="replace"))
        shares.append(len(found))
    figures = _figures(url, key)
    return {
        "processes": processes, "wall": wall, "job_centres": len(ids),
        "exactly_once": sum(1 for i in ids if published[i] == 1),
        "more_than_once": sum(1 for i in ids if published[i] > 1),
        "failed": sum(1 for i in ids if failed[i]),
        "never_run": sum(1 for i in ids if not published[i] and not failed[i]),
        "shares": shares, "exit_codes": [w.returncode for w in workers],
        "run_seconds": sorted(float(f.get("seconds") or 0) for f in figures if "placed" in f),
        "solve_seconds": sorted(float(f.get("solve_seconds") or 0) for f in figures if "placed" in f),
        "in_commit_order": [(f.get("job_centre"), f.get("seconds"), f.get("solve_seconds")) for f in figures],
        "placed": sum(int(f.get("placed") or 0) for f in figures),
        "waiting": sum(int(f.get("waiting") or 0) for f in figures),
    }


def worker(run_for: float) -> int:
    """One scheduler process with the night's jobs only (see the module's docstring)."""
    from jobs.scheduler import REGISTRY, run_scheduler
    from webapp import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
    app = create_app()
    run_scheduler(app, run_for=run_for,
                  registry=[spec for spec in REGISTRY if spec.id in ("allocate-nightly", "heartbeat")])
    return 0


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("PLANNER_BENCH_NIGHT_URL", DEFAULT_URL),
                        help="a PostgreSQL database name to use (it and <name>_template, <name>_pN "
                             "are dropped and created)")
    parser.add_argument("--job-centres", type=int, default=6)
    parser.add_argument("--waiting", type=int, default=60, help="waiting call-ins per job centre")
    parser.add_argument("--caseworkers", type=int, default=0,
                        help="caseworkers per job centre (default: one per 25 call-ins, at least 4)")
    parser.add_argument("--processes", default="1,2,3", help="numbers of scheduler processes to try")
    parser.add_argument("--time-limit", type=float, default=5.0,
                        help="PLANNER_ALLOCATION_TIME_LIMIT per job centre, seconds (production: 300)")
    parser.add_argument("--full", action="store_true", help="40 job centres x 500 call-ins")
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up a night after this")
    parser.add_argument("--write", metavar="PATH")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run-for", type=float, default=3600.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.run_for)
    if args.full:
        args.job_centres, args.waiting = 40, 500
    caseworkers = args.caseworkers or max(4, args.waiting // 25)
    counts = [int(n) for n in args.processes.split(",") if n.strip()]
    from webapp.config import normalise_database_url

    url = normalise_database_url(args.url)
    if not url.startswith("postgresql"):
        print("bench_night needs PostgreSQL (--url postgresql://...); skipped.")
        return 0
    try:
        _admin_engine(url).connect().close()
    except Exception as error:  # noqa: BLE001 - no server: say so and leave the page as it is
        print(f"bench_night skipped: no PostgreSQL at {make_url(url).host} ({type(error).__name__}).")
        return 0
    base = make_url(url)
    template = base.set(database=f"{base.database}_template").render_as_string(hide_password=False)
    load_before = os.getloadavg()
    built = clock.perf_counter()
    build_template(template, args.job_centres, args.waiting, caseworkers)
    build_seconds = clock.perf_counter() - built
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-night-") as logs:
        for processes in counts:
            target = base.set(database=f"{base.database}_p{processes}").render_as_string(hide_password=False)
            _recreate(target, template=make_url(template).database)
            result = night(target, processes, args.time_limit, args.timeout, Path(logs))
            result["load"] = os.getloadavg()[0]
            results.append(result)
            print(result, flush=True)
            _drop(target)
    _drop(template)
    rows = []
    for r in results:
        wall = "did not finish" if r["wall"] is None else f"{r['wall']:.1f}"
        rows.append(
            f"| {r['processes']} | {wall} | {r['exactly_once']} of {r['job_centres']} | "
            f"{r['more_than_once']} | {r['never_run']} | {r['failed']} | "
            f"{' / '.join(str(s) for s in r['shares'])} | "
            f"{_median(r['run_seconds']) if r['run_seconds'] else 0:.1f} | "
            f"{max(r['run_seconds'], default=0):.1f} | {sum(r['run_seconds']):.0f} | "
            f"{_median(r['solve_seconds']) if r['solve_seconds'] else 0:.1f} | "
            f"{r['placed']:,} of {r['waiting']:,} | {r['load']:.1f} |")
    lines = [
        "# Performance: a night of many job centres",
        "",
        "The nightly allocation (R-3.2, R-3.3) of many job centres on one PostgreSQL, run by one, two "
        "and three scheduler processes at once. Each job centre must be allocated exactly once and "
        "none left out, however many processes share the night.",
        "",
        f"{args.job_centres} job centres, each one team of {caseworkers} caseworkers (08:00-16:00 "
        f"Mon-Fri, 30-minute break) and {args.waiting} waiting call-ins of 30 minutes with deadlines "
        f"2 to 5 weeks ahead; the optimiser's time limit per job centre "
        f"PLANNER_ALLOCATION_TIME_LIMIT={args.time_limit:g} s (production: 300 s). Each row starts "
        f"from a copy of the same database. The processes are `jobs.scheduler.run_scheduler` with "
        f"the allocate-nightly job (asked every {CHECK_SECONDS} s) and the heartbeat; wall time is "
        f"from starting them (Python start and app build included) until every job centre's run is "
        f"in the system log (polled every {POLL_SECONDS} s). Building the data took "
        f"{build_seconds:.0f} s (not counted).",
        "",
        "| processes | wall (s) | job centres run exactly once | run twice or more | never run | "
        "failed | runs per process | median run (s) | longest run (s) | sum of runs (s) | "
        "median solve (s) | call-ins placed | "
        "load after |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"One-minute load average before: {load_before[0]:.1f} (the machine's 2 cores are shared "
        "with other work; more than 2 means that work slowed these figures, and a third process "
        "on 2 cores can only take turns with the other two).",
        "",
        *footer(f".venv/bin/python -m bench.bench_night --job-centres {args.job_centres} --waiting {args.waiting} "
                f"--time-limit {args.time_limit:g} --processes {args.processes}"
                + (f" --write {args.write}" if args.write else "")),
    ]
    print("\n".join(lines))
    if args.write:
        Path(args.write).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if all(r["wall"] is not None and r["exactly_once"] == r["job_centres"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
