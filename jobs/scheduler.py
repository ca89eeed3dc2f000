"""The scheduler process: APScheduler 3, jobs kept in the app's database, started by `flask scheduler run`.

Nothing starts a scheduler inside the web application: `create_app` never does, so
gunicorn workers never run jobs twice. The jobs are an explicit registry (`REGISTRY`);
a module adds its job by adding a line there. Entries are imported lazily, and one whose
module or function does not exist (yet) is skipped with a warning, so the scheduler runs
whatever subset is installed.

Each process writes a heartbeat row (`SchedulerHeartbeat`) when it starts, every
PLANNER_HEARTBEAT_SECONDS while it runs, and when it stops; the About page reads it (R-1.12.1).
Start, stop, a crash and a job's failure go to the system log (R-1.10.1); a process that died
without a word (killed, the machine lost) is logged by the next one to start.

Two scheduler processes against one database are safe but not coordinated by
APScheduler 3 itself: each may fire the same job. The jobs guard themselves (the
allocation takes a per-job-centre lock and runs once per night, see `jobs/allocate.py`;
the other jobs are idempotent).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app, has_app_context
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from webapp.clock import TZ, now_local
from webapp.extensions import db
from webapp.models import LogLevel, SchedulerHeartbeat, SystemLogEntry
from webapp.planning.status import heartbeat_seconds

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"  # ignored by the migrations (webapp.include_in_migrations)
SCHEDULER_CATEGORY = "scheduler"

# The app the jobs of this process run in; set by `build_scheduler`.
_app: Flask | None = None
# This process's heartbeat row; set by `start_scheduler`.
_heartbeat_id: int | None = None


@contextmanager
def job_context() -> Iterator[Flask]:
    """An application context for a job: the scheduler's app, the current one, or a new one."""
    global _app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _app is None:
        from webapp import create_app
        _app = create_app()
    with _app.app_context():
        yield _app


def daily_at(value: str) -> CronTrigger:
    """A Copenhagen wall-clock time of day, "HH:MM" or "HH:MM:SS", as a daily trigger."""
    parts = str(value).strip().split(":")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) not in (2, 3):
            raise ValueError
        hour, minute, second = (numbers + [0])[:3]
        if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
            raise ValueError
    except ValueError:
        raise ValueError(f"bad time of day {value!r}, expected HH:MM") from None
    return CronTrigger(hour=hour, minute=minute, second=second, timezone=TZ)


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: `target` is "module:function", called without arguments."""

    id: str
    target: str
    trigger: Callable[[Mapping[str, Any]], BaseTrigger]
    description: str
    misfire_grace_seconds: int = 300


REGISTRY: list[JobSpec] = [
    # Each job centre has its own nightly time (the global one by default): asked every minute.
    JobSpec("allocate-nightly", "jobs.allocate:allocate_due",
            lambda config: IntervalTrigger(
                seconds=int(config["PLANNER_ALLOCATION_CHECK_SECONDS"]), timezone=TZ),
            "Nightly allocation of each job centre's waiting list at its own time (R-3.2)"),
    JobSpec("heartbeat", "jobs.scheduler:beat",
            lambda config: IntervalTrigger(seconds=heartbeat_seconds(config), timezone=TZ),
            "The scheduler's sign of life for the About page (R-1.10.1, R-1.12.1)",
            misfire_grace_seconds=30),
    JobSpec("expire-reservations", "jobs.reservations:release_expired",
            lambda config: IntervalTrigger(hours=1, timezone=TZ),
            "Hourly release of expired reservations (R-4.7)"),
    JobSpec("send-outbox", "jobs.outbox:send_queued",
            lambda config: IntervalTrigger(minutes=int(config["PLANNER_OUTBOX_INTERVAL_MINUTES"]),
                                           timezone=TZ),
            "Send queued e-mails, letters and invitations (§1.8, R-5.1)"),
    JobSpec("send-dfdg", "jobs.outbox:send_to_hub",
            lambda config: IntervalTrigger(minutes=int(config["PLANNER_OUTBOX_INTERVAL_MINUTES"]),
                                           timezone=TZ),
            "Send queued messages to the national data hub, DFDG (R-6.9)"),
    JobSpec("send-reminders", "jobs.reminders:send_reminders",
            lambda config: daily_at(config["PLANNER_REMINDER_TIME"]),
            "Reminders the day before a meeting (R-4.9)"),
    JobSpec("import-calendars", "jobs.calendar_import:import_calendars",
            lambda config: IntervalTrigger(
                minutes=int(config["PLANNER_CALENDAR_IMPORT_MINUTES"]), timezone=TZ),
            "Busy times from the own calendars of two-way and FASIT caseworkers (R-5.2, R-1.2.7)"),
    JobSpec("release-seat-holds", "jobs.reminders:release_seat_holds",
            lambda config: IntervalTrigger(hours=1, timezone=TZ),
            "Hourly release of expired seat holds at group meetings (R-4.7)"),
]


def resolve(spec: JobSpec) -> Callable[..., Any] | None:
    """The job's function, or None (with a warning) when its module or function is missing."""
    module_name, _, function_name = spec.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise  # the module exists but one of its imports is broken: say so
        log.warning("Job %s skipped: module %s does not exist", spec.id, module_name)
        return None
    function = getattr(module, function_name, None)
    if not callable(function):
        log.warning("Job %s skipped: %s has no function %s", spec.id, module_name, function_name)
        return None
    return function


def available_jobs(registry: list[JobSpec] | None = None) -> list[JobSpec]:
    return [spec for spec in (REGISTRY if registry is None else registry) if resolve(spec) is not None]


class _AppEngineJobStore(SQLAlchemyJobStore):
    """The job store on the app's own engine. APScheduler's store disposes its engine when the
    scheduler shuts down; this engine is the app's and outlives the scheduler, and disposing it
    under the web app or a test would orphan the connections it has checked out."""

    def shutdown(self) -> None:
        pass


def build_scheduler(app: Flask, *, registry: list[JobSpec] | None = None) -> BackgroundScheduler:
    """A scheduler with the registry's available jobs in the app's database; not started."""
    global _app
    _app = app
    registry = REGISTRY if registry is None else registry
    available = {spec.id for spec in available_jobs(registry)}
    with app.app_context():
        store = _AppEngineJobStore(engine=db.engine, tablename=JOB_TABLE)
        _create_job_table(store)
        _forget_other_jobs(store, available)
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=TZ,
    )
    for spec in registry:
        if spec.id not in available:
            continue
        scheduler.add_job(spec.target, trigger=spec.trigger(app.config), id=spec.id,
                          name=spec.description, replace_existing=True,
                          misfire_grace_time=spec.misfire_grace_seconds)
    scheduler._planner_missing = [s.id for s in registry if s.id not in available]  # type: ignore[attr-defined]
    return scheduler


def _forget_other_jobs(store: SQLAlchemyJobStore, kept: set[str]) -> None:
    """A job the registry no longer has (renamed, removed, its module gone) is deleted from the
    shared store, or the scheduler would load it at start and run or fail it for ever."""
    with db.engine.begin() as connection:
        connection.execute(store.jobs_t.delete().where(store.jobs_t.c.id.not_in(sorted(kept))))


def _create_job_table(store: SQLAlchemyJobStore) -> None:
    """The job store's table, made before the scheduler starts: two scheduler processes
    starting together on a new database both find it missing, and the slower one's CREATE
    TABLE fails. That is fine once the other's table is there (R-3.3)."""
    try:
        store.jobs_t.create(db.engine, checkfirst=True)
    except DBAPIError:
        if not sa_inspect(db.engine).has_table(JOB_TABLE):
            raise


def _log(app: Flask, message: str, figures: dict[str, Any], level: LogLevel = LogLevel.INFO) -> None:
    with app.app_context():
        db.session.add(SystemLogEntry(occurred_at=now_local(), level=level,
                                      category=SCHEDULER_CATEGORY, message=message, figures=figures))
        db.session.commit()


def beat(now: datetime | None = None) -> None:
    """The heartbeat job: this process is alive (R-1.10.1). Outside a started scheduler (a test,
    by hand) there is no row of this process, and nothing is written."""
    if _heartbeat_id is None:
        return
    with job_context():
        row = db.session.get(SchedulerHeartbeat, _heartbeat_id)
        if row is not None:
            row.beat_at = now or now_local()
        db.session.commit()


def _silent_deaths(app: Flask, now: datetime) -> None:
    """Log the processes that stopped beating without stopping (killed, the machine lost), once."""
    stale_before = now - timedelta(seconds=3 * heartbeat_seconds(app.config) + 5)
    with app.app_context():
        dead = db.session.scalars(select(SchedulerHeartbeat).where(
            SchedulerHeartbeat.stopped_at.is_(None), SchedulerHeartbeat.beat_at < stale_before)).all()
        for row in dead:
            row.stopped_at = row.beat_at
            db.session.add(SystemLogEntry(
                occurred_at=now, level=LogLevel.ERROR, category=SCHEDULER_CATEGORY,
                message=(f"Planlægningsjobbet (proces {row.pid} på {row.host}) stoppede uden at "
                         f"melde det; sidste tegn på liv {row.beat_at:%d.%m.%Y %H:%M}."),
                figures={"state": "died", "pid": row.pid, "host": row.host,
                         "last_beat": row.beat_at.isoformat()}))
        db.session.commit()


def _on_job_error(app: Flask, event: JobExecutionEvent) -> None:
    """A job that raised: its name and the kind of error in the system log, never the error's
    text (it may hold personal data); the traceback goes to the process's own log."""
    try:
        _log(app, f"Jobbet {event.job_id} fejlede: {type(event.exception).__name__}.",
             {"state": "job_failed", "job": event.job_id,
              "error": type(event.exception).__name__}, LogLevel.ERROR)
    except Exception:  # noqa: BLE001 - the database may be what failed; the process log has it
        log.exception("Could not log the failure of job %s", event.job_id)


def start_scheduler(app: Flask, *, registry: list[JobSpec] | None = None) -> BackgroundScheduler:
    """Start the jobs in background threads and log the start (R-1.12.1); stop with `stop_scheduler`."""
    global _heartbeat_id
    scheduler = build_scheduler(app, registry=registry)
    now = now_local()
    pid, host = os.getpid(), socket.gethostname()
    _silent_deaths(app, now)
    with app.app_context():
        row = SchedulerHeartbeat(host=host[:255], pid=pid, started_at=now, beat_at=now)
        db.session.add(row)
        db.session.commit()
        _heartbeat_id = row.id
    scheduler.add_listener(lambda event: _on_job_error(app, event), EVENT_JOB_ERROR)
    scheduler.start()
    # Jobs that the registry no longer offers must not linger in the shared store.
    for job_id in scheduler._planner_missing:  # type: ignore[attr-defined]
        try:
            scheduler.remove_job(job_id)
        except JobLookupError:
            pass
    jobs = [(job.id, job.next_run_time.isoformat() if job.next_run_time else None)
            for job in scheduler.get_jobs()]
    _log(app, f"Planlægningsjobbet er startet (proces {pid} på {host}); job: "
              + ", ".join(job_id for job_id, _ in jobs),
         {"state": "started", "pid": pid, "host": host, "jobs": dict(jobs)})
    log.info("Scheduler started with jobs: %s", ", ".join(f"{i} (next {t})" for i, t in jobs))
    return scheduler


def stop_scheduler(app: Flask, scheduler: BackgroundScheduler) -> None:
    """Let running jobs finish, then log the stop and close this process's heartbeat."""
    global _heartbeat_id
    scheduler.shutdown(wait=True)
    pid, host = os.getpid(), socket.gethostname()
    if _heartbeat_id is not None:
        with app.app_context():
            row = db.session.get(SchedulerHeartbeat, _heartbeat_id)
            if row is not None:
                row.beat_at = row.stopped_at = now_local()
            db.session.commit()
        _heartbeat_id = None
    _log(app, f"Planlægningsjobbet er stoppet (proces {pid} på {host}).",
         {"state": "stopped", "pid": pid, "host": host})
    log.info("Scheduler stopped")


class StopSignal(threading.Event):
    """Set by SIGTERM or SIGINT; `run_scheduler` waits on it."""


def run_scheduler(app: Flask, *, run_for: float | None = None,
                  registry: list[JobSpec] | None = None) -> None:
    """Run the jobs until SIGTERM/SIGINT (or for `run_for` seconds); logs start and stop (R-1.12.1)."""
    stop = StopSignal()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    scheduler = start_scheduler(app, registry=registry)
    try:
        stop.wait(run_for)
    except BaseException as error:
        # A crash of the process itself (not of a job): say so, then stop as well as we can.
        pid, host = os.getpid(), socket.gethostname()
        try:
            _log(app, f"Planlægningsjobbet er gået ned (proces {pid} på {host}): "
                      f"{type(error).__name__}.",
                 {"state": "crashed", "pid": pid, "host": host, "error": type(error).__name__},
                 LogLevel.ERROR)
        finally:
            stop_scheduler(app, scheduler)
        raise
    stop_scheduler(app, scheduler)
