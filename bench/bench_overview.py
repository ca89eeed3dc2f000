"""Benchmark: the overview (Oversigt, R-6.10) of a large job centre.

    python -m bench.bench_overview [--url URL] [--runs 30] [--write docs/performance-overview.md]

150 caseworkers in 15 teams (a tree three levels deep), working time 07:30-16:00 Mon-Fri with
a 12:00-12:30 break, closure days and absences, about 3 meetings a day per caseworker over the
8 past and 8 coming weeks (5 % cancelled), and 1,500 waiting call-ins. Timed: the figures
(`webapp.overview.figures.overview`) for the job centre and for one team, and the whole page
(`GET /caseworker/oversigt`, charts and tables rendered) through the test client; the SQL
statements of one page are counted.

The database is --url (default: a SQLite file under /tmp, rebuilt on every run; for
PostgreSQL give an empty database, whose tables are dropped and rebuilt).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time as clock
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bench.page import footer
from typing import Any

from sqlalchemy import event, insert, text

DEFAULT_URL = "sqlite:////tmp/planner_bench_overview.db"
CASEWORKERS = 150
TEAMS = 15
MEETINGS_PER_DAY = 3
WAITING = 1500
TODAY = date(2027, 3, 3)
SEED = 20270303
PASSWORD = "bench overview 42"


def _build(url: str) -> dict[str, Any]:
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.administration.organisation import create_job_centre
    from webapp.administration.reference import seed_reference_data
    from webapp.extensions import db
    from webapp.models import (AbsenceKind, AuditEvent, Booking, BookingCaseworker, BookingOrigin,
                               BookingStatus, Break, CallIn, CallInStatus, Caseworker, Citizen,
                               ConversationType, HoldingForm, LocalClosureDay, MeetingForm,
                               NationalClosureDay, Role, Team, TeamMembership, User, WorkingTime)
    from webapp.models.audit import AuditEntry
    from webapp.models.caseworkers import Absence

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(SEED)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        seed_reference_data()
        centre = create_job_centre("Jobcenter Bench", "Aarhus", "Bench Jobcenter", "Bench Unge")
        root = next(t for t in centre.teams if t.parent_id is None)
        teams = [root, next(t for t in centre.teams if t.parent_id is not None)]
        while len(teams) < TEAMS:
            teams.append(Team(job_centre=centre, name=f"Team {len(teams)}",
                              parent=teams[rng.randrange(0, min(len(teams), 6))]))
        db.session.add_all(teams)
        type_id = db.session.scalars(db.select(ConversationType.id)).first()
        form_id = db.session.scalars(db.select(HoldingForm.id)).first()
        caseworkers = []
        for i in range(CASEWORKERS):
            cw = Caseworker(job_centre=centre, email=f"cw{i}@bench.dk", name=f"Vejleder {i:03d}",
                            rid=f"{800000 + i}")
            cw.memberships.append(TeamMembership(team=teams[1 + i % (TEAMS - 1)]))
            if i % 10 == 0:
                cw.memberships.append(TeamMembership(team=teams[1 + (i + 3) % (TEAMS - 1)]))
            for day in range(5):
                cw.working_times.append(WorkingTime(weekday=day, start_time=time(7, 30),
                                                    end_time=time(16, 0)))
                cw.breaks.append(Break(weekday=day, start_time=time(12), end_time=time(12, 30)))
            caseworkers.append(cw)
        db.session.add_all(caseworkers)
        admin = User(username="bench.admin", name="Bench", role=Role.ADMINISTRATOR, job_centre=centre)
        admin.set_password(PASSWORD)
        db.session.add(admin)
        monday = TODAY - timedelta(days=TODAY.weekday())
        first, last = monday - timedelta(weeks=8), monday + timedelta(weeks=8)
        db.session.add_all([NationalClosureDay(day=monday + timedelta(weeks=3, days=d), name=f"Helligdag {d}")
                            for d in (3, 4)])
        db.session.add_all([LocalClosureDay(job_centre_id=centre.id, teams=[teams[n]], name="Lukket",
                                            first_day=monday + timedelta(weeks=n % 8, days=n % 5),
                                            last_day=monday + timedelta(weeks=n % 8, days=n % 5))
                            for n in range(1, 6)])
        db.session.flush()
        db.session.add_all([Absence(job_centre_id=centre.id, caseworker_id=rng.choice(caseworkers).id,
                                    kind=AbsenceKind.HOLIDAY,
                                    starts_at=datetime.combine(monday + timedelta(days=d), time()),
                                    ends_at=datetime.combine(monday + timedelta(days=d + 2), time()))
                            for d in rng.sample(range(0, 56), 40) for _ in range(3)])
        citizens = [{"id": 1 + i, "job_centre_id": centre.id, "cpr": f"{1 + i % 28:02d}{1 + i // 28 % 12:02d}"
                     f"{50 + i // 336:02d}{1000 + i % 1000:04d}", "name": f"Borger {i}"}
                    for i in range(WAITING)]
        db.session.execute(insert(Citizen.__table__), citizens)
        bookings, links, audits = [], [], []
        day = first
        while day < last:
            if day.weekday() < 5:
                for cw in caseworkers:
                    for slot in rng.sample(range(10), MEETINGS_PER_DAY):
                        start = datetime.combine(day, time(8)) + timedelta(minutes=45 * slot)
                        if start.time() >= time(12) and start.time() < time(12, 30):
                            continue
                        cancelled = rng.random() < 0.05
                        booking_id = len(bookings) + 1
                        bookings.append({
                            "id": booking_id, "job_centre_id": centre.id,
                            "team_id": cw.memberships[0].team.id, "conversation_type_id": type_id,
                            "holding_form_id": form_id, "meeting_form": MeetingForm.INDIVIDUAL,
                            "starts_at": start, "ends_at": start + timedelta(minutes=30),
                            "reporting_minutes": 15,
                            "status": BookingStatus.CANCELLED if cancelled else BookingStatus.BOOKED,
                            "origin": rng.choice((BookingOrigin.SELF_BOOKED, BookingOrigin.CALLED_IN,
                                                  BookingOrigin.CALLED_IN, BookingOrigin.IMPORTED)),
                            "ics_sequence": 0, "created_at": start - timedelta(days=10)})
                        links.append({"booking_id": booking_id, "caseworker_id": cw.id,
                                      "starts_at": start, "busy_until": start + timedelta(minutes=45),
                                      "blocking": not cancelled})
                        if cancelled:
                            audits.append({
                                "job_centre_id": centre.id, "booking_id": booking_id,
                                "occurred_at": start - timedelta(days=2), "user_name": "bench",
                                "event": rng.choice((AuditEvent.BOOKING_CANCELLED_BY_CITIZEN,
                                                     AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE))})
            day += timedelta(days=1)
        db.session.execute(insert(Booking.__table__), bookings)
        db.session.execute(insert(BookingCaseworker.__table__), links)
        db.session.execute(insert(AuditEntry.__table__), audits)
        db.session.execute(insert(CallIn.__table__), [{
            "job_centre_id": centre.id, "citizen_id": 1 + i, "team_id": teams[1 + i % (TEAMS - 1)].id,
            "conversation_type_id": type_id, "holding_form_id": form_id,
            "meeting_form": MeetingForm.INDIVIDUAL, "duration_minutes": 30, "reporting_minutes": 0,
            "earliest_date": TODAY - timedelta(days=10),
            "deadline_date": TODAY + timedelta(days=rng.randint(-5, 40)),
            "priority": 1, "status": CallInStatus.WAITING,
            "created_at": datetime.combine(TODAY - timedelta(days=rng.randint(0, 90)), time(9))}
            for i in range(WAITING)])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        info = {"job_centre_id": centre.id, "team_id": teams[1].id, "bookings": len(bookings),
                "cancelled": len(audits), "dialect": db.engine.dialect.name}
        db.engine.dispose()
    return info


def _timed(run: Any, runs: int) -> list[float]:
    run()  # warm the caches and the pool
    times = []
    for _ in range(runs):
        start = clock.perf_counter()
        run()
        times.append((clock.perf_counter() - start) * 1000)
    return times


def _row(database: str, name: str, times: list[float], statements: int | str) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (f"| {database} | {name} | {statistics.median(times):.1f} | {p95:.1f} | {ordered[0]:.1f} | "
            f"{statements} |")


def measure(url: str, runs: int) -> tuple[dict[str, Any], list[str]]:
    """Build the job centre on `url` and time the figures and the page; the table's rows."""
    from webapp import create_app
    from webapp.caseworker import overview as overview_page
    from webapp.config import normalise_database_url
    from webapp.extensions import db
    from webapp.overview import figures

    url = normalise_database_url(url)
    info = _build(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    # The page reads the clock; the data are built around TODAY.
    overview_page.today_local = lambda: TODAY
    statements: list[str] = []
    rows = []
    label = info["dialect"]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *a: statements.append(statement))

        def counted(run: Any) -> int:
            statements.clear()
            run()
            return len(statements)

        for name, team_id in (("figures, whole job centre", None),
                              ("figures, one team with its sub-teams", info["team_id"])):
            def run(team_id: int | None = team_id) -> None:
                figures.overview(info["job_centre_id"], team_id, TODAY)
                db.session.rollback()
            rows.append(_row(label, name, _timed(run, runs), counted(run)))
        client = app.test_client()
        client.post("/login", data={"username": "bench.admin", "password": PASSWORD})

        def page() -> None:
            response = client.get("/caseworker/oversigt")
            assert response.status_code == 200, response.status_code
            assert b"uge 9 til uge 16" in response.data  # the week of TODAY, with its data
        rows.append(_row(label, "page GET /caseworker/oversigt (whole job centre)",
                         _timed(page, runs), counted(page)))
        db.engine.dispose()
    return info, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append",
                        help=f"a database to measure on; may be given twice (default {DEFAULT_URL})")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--write", metavar="PATH")
    args = parser.parse_args(argv)
    urls = args.url or [os.environ.get("PLANNER_BENCH_OVERVIEW_URL", DEFAULT_URL)]
    rows: list[str] = []
    for url in urls:
        info, measured = measure(url, args.runs)
        rows += measured
    lines = [
        "# Performance: the overview",
        "",
        "The overview (Oversigt, R-6.10) of a large job centre. Target: the page well under a "
        "second.",
        "",
        f"{CASEWORKERS} caseworkers in {TEAMS} teams, working time 07:30-16:00 Mon-Fri with a "
        f"12:00-12:30 break, 2 national and 5 local closure days and 120 absences; "
        f"{info['bookings']:,} meetings over the 8 past and 8 coming weeks ({info['cancelled']:,} "
        f"cancelled, with their audit events); {WAITING:,} waiting call-ins. "
        f"{args.runs} timed runs per row (after one warm-up), time.perf_counter; statements = SQL "
        "statements of one run. Of the figures' statements, one closure-day query per distinct "
        "set of teams a caseworker belongs to, the rest a fixed few; the page adds the "
        "login's user and the team list.",
        "",
        "| database | what | median (ms) | p95 (ms) | min (ms) | statements |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"One-minute load average at the end: {os.getloadavg()[0]:.1f} (the machine's 2 cores are "
        "shared; more than 2 means other work slowed these figures).",
        "",
        *footer(".venv/bin/python -m bench.bench_overview --runs 30 "
                + " ".join(f"--url {u}" for u in urls) + " --write docs/performance-overview.md"),
    ]
    print("\n".join(lines))
    if args.write:
        Path(args.write).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
