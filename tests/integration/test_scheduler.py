"""The scheduler process: job registry, job store, hourly expiry, and two schedulers on one database (R-3.2, R-3.3, R-4.7)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time as wall_clock
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, inspect, select

from jobs import scheduler as jobs_scheduler
from jobs.allocate import nightly_allocation, nightly_run_key
from jobs.reservations import release_expired
from tests.integration.planning_support import assert_no_overlaps, make_callin
from tests.timehelpers import MONDAY, at
from webapp import create_app
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import Booking, BookingStatus, CallIn, CallInStatus, SystemLogEntry, WorkingTime
from webapp.planning import status as planning_status

ROOT = Path(__file__).resolve().parents[2]
# The scheduler's job store and the allocation lock work on connections of their own.
pytestmark = pytest.mark.committing

NOW = at(MONDAY, 8)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_r_3_2_registry_skips_missing_modules_and_stores_jobs(app, caplog):
    """R-3.2: the job list is an explicit registry; a job whose module is missing is skipped with a warning."""
    registry = [
        *(spec for spec in jobs_scheduler.REGISTRY if spec.id in ("allocate-nightly", "expire-reservations")),
        jobs_scheduler.JobSpec("not-yet", "jobs.does_not_exist:run", lambda c: jobs_scheduler.daily_at("05:00"),
                               "A job of a module that is not written yet"),
        jobs_scheduler.JobSpec("no-function", "jobs.allocate:no_such_function",
                               lambda c: jobs_scheduler.daily_at("05:00"), "A misspelt function"),
    ]
    app.config["PLANNER_ALLOCATION_CHECK_SECONDS"] = 45
    with caplog.at_level(logging.WARNING, logger="jobs.scheduler"):
        scheduler = jobs_scheduler.build_scheduler(app, registry=registry)
    assert "Job not-yet skipped: module jobs.does_not_exist does not exist" in caplog.text
    assert "Job no-function skipped: jobs.allocate has no function no_such_function" in caplog.text
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"allocate-nightly", "expire-reservations"}
        # Each job centre has its own nightly time: the job asks which are due.
        nightly = jobs["allocate-nightly"]
        assert isinstance(nightly.trigger, IntervalTrigger)
        assert nightly.trigger.interval == timedelta(seconds=45)
        assert str(nightly.trigger.timezone) == "Europe/Copenhagen"
        assert nightly.func_ref == "jobs.allocate:allocate_due"
    finally:
        scheduler.shutdown(wait=False)
    # The jobs live in the app's database (SQLAlchemy job store).
    assert inspect(db.engine).has_table("apscheduler_jobs")


def test_r_3_2_a_job_gone_from_the_registry_is_forgotten_by_the_store(app):
    """R-3.2: the store is shared and lives on; a job a new version no longer has (renamed or
    removed) is deleted when a scheduler is built, so it is never loaded, run or failed again."""
    registry = [spec for spec in jobs_scheduler.REGISTRY if spec.id == "expire-reservations"]
    jobs_scheduler.build_scheduler(app, registry=registry)  # the table exists from here on
    table = jobs_scheduler.SQLAlchemyJobStore(engine=db.engine, tablename=jobs_scheduler.JOB_TABLE).jobs_t
    with db.engine.begin() as connection:
        connection.execute(table.insert().values(id="renamed-long-ago", next_run_time=0.0,
                                                 job_state=b"not a job any more"))
    scheduler = jobs_scheduler.build_scheduler(app, registry=registry)
    with db.engine.connect() as connection:
        ids = set(connection.execute(select(table.c.id)).scalars())
    assert "renamed-long-ago" not in ids
    scheduler.start(paused=True)
    try:
        assert {job.id for job in scheduler.get_jobs()} == {"expire-reservations"}
    finally:
        scheduler.shutdown(wait=False)


@pytest.mark.parametrize("value", ["25:00", "2", "02:60", "to om natten", "02:00:00:00"])
def test_r_3_2_allocation_time_must_be_a_time_of_day(value):
    """R-3.2: the nightly time is configurable; a bad value is refused with a message naming it."""
    with pytest.raises(ValueError, match="bad time of day"):
        jobs_scheduler.daily_at(value)


def test_r_3_2_no_scheduler_starts_inside_the_web_application(database_url):
    """R-3.2: create_app never starts a scheduler, so web workers never run jobs."""
    before = {t.name for t in threading.enumerate()}
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        assert app.test_client().get("/health").status_code == 200
        # /health asks the database: give its connection back before closing the pool.
        db.session.remove()
        db.engine.dispose()
    assert jobs_scheduler._app is None or jobs_scheduler._app is not app
    started = {t.name for t in threading.enumerate()} - before
    assert not [name for name in started if "APScheduler" in name or "ThreadPool" in name]


def test_r_4_7_hourly_job_releases_expired_reservations(reference_data, create_job_centre,
                                                        create_caseworker, create_booking):
    """R-4.7: the hourly job deletes expired reservations, so their slots are free again."""
    job_centre = create_job_centre()
    caseworker = create_caseworker(job_centre)
    start = datetime(2027, 3, 2, 9, 0)
    hold = create_booking([caseworker], start, now=NOW, reserve_for=timedelta(minutes=5))
    live = create_booking([caseworker], start + timedelta(hours=1), now=NOW + timedelta(minutes=3),
                          reserve_for=timedelta(minutes=30))
    booked = create_booking([caseworker], start + timedelta(hours=2), now=NOW)
    hold_id, live_id = hold.id, live.id

    assert release_expired(now=NOW + timedelta(minutes=10)) == 1
    db.session.expire_all()
    assert db.session.get(Booking, hold_id) is None
    assert db.session.get(Booking, live_id).status == BookingStatus.RESERVED
    assert db.session.get(Booking, booked.id).status == BookingStatus.BOOKED
    entry = db.session.scalar(select(SystemLogEntry).where(SystemLogEntry.category == "reservations"))
    assert entry.figures == {"released": 1}
    # The freed time can be booked again at once.
    create_booking([caseworker], start, now=NOW + timedelta(minutes=11))
    assert release_expired(now=NOW + timedelta(minutes=11)) == 0


def test_r_3_2_nightly_job_allocates_each_job_centre_once(reference_data, create_job_centre, create_team,
                                                          create_caseworker, create_citizen):
    """R-3.2: the nightly job runs every job centre with call-ins waiting, once per night."""
    centres, staff = [], []
    for _ in range(2):
        job_centre = create_job_centre()
        team = job_centre.teams[0]
        caseworker = create_caseworker(job_centre, [team])
        make_callin(team, create_citizen(job_centre), [caseworker], earliest=date(2027, 3, 2),
                    deadline=date(2027, 3, 12))
        centres.append(job_centre.id)
        staff.append((team, caseworker, job_centre))
    create_job_centre()  # nothing waiting: no run, no log entry
    results = nightly_allocation(now=NOW)
    assert sorted(r.job_centre_id for r in results) == centres
    assert all(r.placed == 1 for r in results)
    assert count(SystemLogEntry, SystemLogEntry.category == "allocation") == 2
    for team, caseworker, job_centre in staff:  # called in after tonight's run
        make_callin(team, create_citizen(job_centre), [caseworker], earliest=date(2027, 3, 2),
                    deadline=date(2027, 3, 12))
    again = nightly_allocation(now=NOW.replace(hour=3))
    assert [r.status for r in again] == ["skipped", "skipped"]
    assert count(SystemLogEntry, SystemLogEntry.category == "allocation") == 2
    assert count(Booking) == 2
    assert [r.placed for r in nightly_allocation(now=NOW + timedelta(days=1))] == [1, 1]
    assert nightly_run_key(NOW) == "nightly:2027-03-01"


def _wait_for(condition, seconds: float) -> bool:
    deadline = wall_clock.monotonic() + seconds
    while wall_clock.monotonic() < deadline:
        if condition():
            return True
        wall_clock.sleep(0.5)
    return condition()


def test_r_3_3_two_scheduler_processes_allocate_a_job_centre_once(database_url, reference_data,
                                                                  create_job_centre, create_caseworker,
                                                                  create_citizen, tmp_path):
    """R-3.3: two `flask scheduler run` processes against one database: exactly one allocation happens."""
    job_centre = create_job_centre()
    team = job_centre.teams[0]
    caseworkers = [create_caseworker(job_centre, [team]) for _ in range(2)]
    for caseworker in caseworkers:  # any day, so the test does not depend on today's weekday
        present = {w.weekday: w for w in caseworker.working_times}
        for weekday in range(7):
            row = present.get(weekday) or WorkingTime(caseworker_id=caseworker.id, weekday=weekday)
            row.start_time, row.end_time = time(0, 0), time(23, 45)
            db.session.add(row)
    db.session.commit()
    today = now_local().date()
    callins = [make_callin(team, create_citizen(job_centre), caseworkers, earliest=today + timedelta(days=1),
                           deadline=today + timedelta(days=10)) for _ in range(6)]
    db.session.commit()
    job_centre_id = job_centre.id

    # Both processes must have built their jobs before this time, or the job waits for tomorrow:
    # 30 s, since the suite runs on every core and a process takes longer to start meanwhile.
    fire_at = now_local() + timedelta(seconds=30)
    env = {**os.environ, "PLANNER_DATABASE_URL": database_url, "FLASK_APP": "wsgi",
           "PLANNER_ALLOCATION_TIME": fire_at.strftime("%H:%M:%S"), "PYTHONUNBUFFERED": "1",
           "PLANNER_ALLOCATION_CHECK_SECONDS": "2"}
    env.pop("PLANNER_TEST_DATABASE_URL", None)
    logs = [tmp_path / f"scheduler-{i}.log" for i in range(2)]
    processes = []
    for path in logs:
        with open(path, "wb") as out:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "flask", "scheduler", "run", "--run-for", "180"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))

    def allocations() -> int:
        try:
            return count(SystemLogEntry, SystemLogEntry.category == "allocation",
                         SystemLogEntry.job_centre_id == job_centre_id)
        finally:
            db.session.rollback()  # never hold a read lock the schedulers wait for

    def fired_in_both() -> bool:
        return all("allocate-nightly" in p.read_text() and "executed successfully" in p.read_text()
                   for p in logs)

    try:
        assert _wait_for(lambda: allocations() >= 1, 150), [p.read_text() for p in logs]
        _wait_for(fired_in_both, 8)  # the second may also see the job as already done
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
    outputs = [p.read_text() for p in logs]
    # Shown in full under "Captured stdout" when an assertion below fails.
    for process, output in zip(processes, outputs):
        print(f"--- scheduler exit {process.returncode}\n{output}")
    assert all(process.returncode == 0 for process in processes), outputs
    assert all("Scheduler started" in out and "Scheduler stopped" in out for out in outputs), outputs

    assert allocations() == 1, outputs
    entry = db.session.scalar(select(SystemLogEntry).where(SystemLogEntry.category == "allocation"))
    assert entry.figures["trigger"] == "nightly" and entry.figures["run_key"] == f"nightly:{fire_at.date()}"
    assert entry.figures["placed"] == 6
    db.session.expire_all()
    assert count(Booking, Booking.job_centre_id == job_centre_id) == 6
    assert len({db.session.get(CallIn, c.id).booking_id for c in callins}) == 6
    assert count(CallIn, CallIn.status == CallInStatus.PLACED) == 6
    assert_no_overlaps(job_centre_id)
    states = [e.figures["state"] for e in db.session.scalars(
        select(SystemLogEntry).where(SystemLogEntry.category == "scheduler"))]
    assert sorted(states) == ["started", "started", "stopped", "stopped"]
    status = planning_status.scheduler_status()
    assert not status.running and status.message_da.startswith("Planlæggeren er stoppet")
    db.session.rollback()


@pytest.mark.committing
def test_r_3_3_a_scheduler_starting_beside_another_survives_losing_the_race_for_the_job_table(
        app, monkeypatch):
    """Two processes starting on a new database both find the job table missing; the one whose
    CREATE TABLE comes second must go on with the other's table, not crash."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.exc import OperationalError

    from jobs import scheduler as scheduler_module

    table = scheduler_module.JOB_TABLE
    store = SQLAlchemyJobStore(engine=db.engine, tablename=table)
    real_create = store.jobs_t.create

    def lose_the_race(bind, checkfirst=False):  # noqa: ANN001 (SQLAlchemy's signature)
        real_create(bind, checkfirst=True)                      # the other process was quicker
        raise OperationalError("CREATE TABLE", {}, Exception(f"table {table} already exists"))

    store.jobs_t.drop(db.engine, checkfirst=True)
    monkeypatch.setattr(store.jobs_t, "create", lose_the_race)
    scheduler_module._create_job_table(store)                   # no error: the table is there
    assert sa_inspect(db.engine).has_table(table)

    def fail(bind, checkfirst=False):  # noqa: ANN001
        raise OperationalError("CREATE TABLE", {}, Exception("disk full"))

    store.jobs_t.drop(db.engine, checkfirst=True)
    monkeypatch.setattr(store.jobs_t, "create", fail)
    with pytest.raises(OperationalError):                       # a real failure still stops it
        scheduler_module._create_job_table(store)
