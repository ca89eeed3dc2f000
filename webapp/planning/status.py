"""What the About page and the admin show of the planning: recent runs, the scheduler's state and
when the nightly run starts (R-1.12.1, R-3.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from webapp.clock import now_local
from webapp.config import setting
from webapp.domain.availability import from_utc
from webapp.extensions import db
from webapp.models import JobCentre, SystemLogEntry

# The system log's categories of allocation runs and of the scheduler process.
LOG_CATEGORY = "allocation"
SCHEDULER_CATEGORY = "scheduler"


def allocation_time(config: Mapping[str, Any] | None = None) -> str:
    """When the nightly allocation starts, Copenhagen time "HH:MM" (PLANNER_ALLOCATION_TIME): the
    scheduler's trigger and the admin's planning page both ask here. The scheduler passes the
    configuration of the app it builds its jobs for; everyone else gets the running app's."""
    return str(config["PLANNER_ALLOCATION_TIME"] if config is not None else setting("PLANNER_ALLOCATION_TIME"))


def recent_runs(job_centre_id: int | None, limit: int = 20) -> list[SystemLogEntry]:
    """Latest allocation runs (all job centres when `job_centre_id` is None)."""
    query = select(SystemLogEntry).where(SystemLogEntry.category == LOG_CATEGORY)
    if job_centre_id is not None:
        query = query.where(SystemLogEntry.job_centre_id == job_centre_id)
    return list(db.session.scalars(query.order_by(SystemLogEntry.id.desc()).limit(limit)))


def last_run(job_centre_id: int | None = None) -> SystemLogEntry | None:
    """The latest allocation run of the job centre (or of any), failed ones included."""
    runs = recent_runs(job_centre_id, limit=1)
    return runs[0] if runs else None


@dataclass
class SchedulerStatus:
    running: bool
    message_da: str
    started_at: datetime | None = None
    jobs: list[tuple[str, datetime | None]] = field(default_factory=list)


def scheduler_status(*, now: datetime | None = None) -> SchedulerStatus:
    """Whether the scheduler process is up, from its log entries and its job store (R-1.12.1).

    `flask scheduler run` logs when it starts and stops; a process that died without
    stopping leaves its jobs overdue in the job store, which counts as not running.
    """
    now = now or now_local()
    latest = db.session.scalar(select(SystemLogEntry).where(SystemLogEntry.category == SCHEDULER_CATEGORY)
                               .order_by(SystemLogEntry.id.desc()).limit(1))
    jobs: list[tuple[str, datetime | None]] = []
    if sa_inspect(db.engine).has_table("apscheduler_jobs"):
        for job_id, next_run in db.session.execute(text("SELECT id, next_run_time FROM apscheduler_jobs ORDER BY id")):
            when = None if next_run is None else from_utc(datetime.fromtimestamp(float(next_run), UTC))
            jobs.append((job_id, when))
    started = latest is not None and (latest.figures or {}).get("state") == "started"
    overdue = any(when is not None and when < now - timedelta(minutes=15) for _id, when in jobs)
    if latest is None:
        return SchedulerStatus(False, "Ikke startet (start det med flask scheduler run).", jobs=jobs)
    if started and not overdue:
        return SchedulerStatus(True, f"Kører (startet {latest.occurred_at:%d.%m.%Y %H:%M}).",
                               latest.occurred_at, jobs)
    if started:
        return SchedulerStatus(False, "Svarer ikke: jobbene er forsinket. Start flask scheduler run igen.",
                               latest.occurred_at, jobs)
    return SchedulerStatus(False, f"Stoppet {latest.occurred_at:%d.%m.%Y %H:%M}.", latest.occurred_at, jobs)


def job_centre_ids() -> list[int]:
    return list(db.session.scalars(select(JobCentre.id).order_by(JobCentre.id)))
