"""What the About page and the admin show of the planning: recent runs, the scheduler's state and
when the nightly run starts (R-1.12.1, R-3.2), and which job centres' nightly run is due now.

Each job centre may have its own nightly time (`JobCentre.allocation_time`, "HH:MM"); empty
means the global PLANNER_ALLOCATION_TIME. The scheduler asks `nightly_due` every minute and
runs the job centres it names, so a changed time takes effect the same night without
restarting the scheduler."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from webapp.clock import now_local
from webapp.config import setting
from webapp.domain.availability import from_utc
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (AuditEvent, CallIn, CallInStatus, JobCentre, SchedulerHeartbeat,
                           SystemLogEntry)
from webapp.storage import audit

# The system log's categories of allocation runs and of the scheduler process.
LOG_CATEGORY = "allocation"
SCHEDULER_CATEGORY = "scheduler"


def allocation_time(config: Mapping[str, Any] | None = None) -> str:
    """When the nightly allocation starts, Copenhagen time "HH:MM" (PLANNER_ALLOCATION_TIME): the
    scheduler's trigger and the admin's planning page both ask here. The scheduler passes the
    configuration of the app it builds its jobs for; everyone else gets the running app's."""
    return str(config["PLANNER_ALLOCATION_TIME"] if config is not None else setting("PLANNER_ALLOCATION_TIME"))


#: How late a nightly run may still start, e.g. after the scheduler was down at its time.
NIGHTLY_GRACE = timedelta(hours=3)
_TIME_OF_DAY = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def check_allocation_time(value: str | None) -> str | None:
    """A job centre's nightly time as typed: "HH:MM" (a single-digit hour is fine), or None for
    "the global time" when empty; DomainError otherwise (R-3.2)."""
    raw = (value or "").strip()
    if not raw:
        return None
    if re.fullmatch(r"\d:[0-5]\d", raw):
        raw = "0" + raw
    if not _TIME_OF_DAY.fullmatch(raw):
        raise DomainError.of("allocation_time_format", field="allocation_time",
                             code="allocation_time_format")
    return raw


def set_allocation_time(job_centre: JobCentre, value: str | None, *, actor: Any = None) -> None:
    """Give the job centre its own nightly time, or (empty) the global one again; audited as an
    admin change (R-3.2, R-1.9.1). Flushes; the caller commits. Bad input changes nothing."""
    new = check_allocation_time(value)
    old = job_centre.allocation_time
    if new == old:
        return
    job_centre.allocation_time = new
    db.session.flush()
    audit.record(AuditEvent.ADMIN_UPDATED, actor=actor, obj=job_centre, job_centre_id=job_centre.id,
                 before={"allocation_time": old}, after={"allocation_time": new})


def job_centre_allocation_time(job_centre: JobCentre) -> str:
    """When the job centre's nightly allocation runs, "HH:MM": its own time or the global one."""
    return job_centre.allocation_time or allocation_time()


def _time_of_day(value: str) -> time:
    parts = [int(part) for part in value.split(":")]
    return time(*parts[:3])


def nightly_due(now: datetime) -> list[tuple[int, str]]:
    """(job centre id, run key) of each job centre whose nightly time has come within the last
    `NIGHTLY_GRACE`, that has call-ins waiting and whose run of that night has not been logged,
    published or failed (a failed run is not retried every minute; *Planlæg nu* is there).
    The key names the night by the day of the scheduled time, so a run at 23:30 that starts
    after midnight is still that night's."""
    default = allocation_time()
    candidates: list[tuple[int, str, datetime]] = []
    for job_centre_id, own in db.session.execute(
            select(JobCentre.id, JobCentre.allocation_time).order_by(JobCentre.id)):
        scheduled = datetime.combine(now.date(), _time_of_day(own or default))
        if scheduled > now:
            scheduled -= timedelta(days=1)
        if now - scheduled <= NIGHTLY_GRACE:
            candidates.append((job_centre_id, f"nightly:{scheduled.date().isoformat()}", scheduled))
    if not candidates:
        return []
    ids = [job_centre_id for job_centre_id, _key, _at in candidates]
    waiting = dict(db.session.execute(
        select(CallIn.job_centre_id, func.count(CallIn.id))
        .where(CallIn.status == CallInStatus.WAITING, CallIn.job_centre_id.in_(ids))
        .group_by(CallIn.job_centre_id)).all())
    logged = db.session.execute(
        select(SystemLogEntry.job_centre_id, SystemLogEntry.figures)
        .where(SystemLogEntry.category == LOG_CATEGORY, SystemLogEntry.job_centre_id.in_(ids),
               SystemLogEntry.occurred_at >= min(at for *_, at in candidates)))
    done = {(job_centre_id, (figures or {}).get("run_key")) for job_centre_id, figures in logged}
    return [(job_centre_id, key) for job_centre_id, key, _at in candidates
            if waiting.get(job_centre_id) and (job_centre_id, key) not in done]


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


def heartbeat_seconds(config: Mapping[str, Any] | None = None) -> int:
    """How often a scheduler process writes its heartbeat (PLANNER_HEARTBEAT_SECONDS): the
    scheduler's trigger and the About page's "not answering" both ask here."""
    return int(config["PLANNER_HEARTBEAT_SECONDS"] if config is not None
               else setting("PLANNER_HEARTBEAT_SECONDS"))


@dataclass
class SchedulerStatus:
    running: bool
    message_da: str
    started_at: datetime | None = None
    jobs: list[tuple[str, datetime | None]] = field(default_factory=list)
    last_beat: datetime | None = None


def scheduler_status(*, now: datetime | None = None) -> SchedulerStatus:
    """Whether a scheduler process is up, from the heartbeats the processes write (R-1.10.1,
    R-1.12.1): running while one beat within three intervals and has not stopped; a process
    that died without stopping leaves its last beat behind, "not answering since" then."""
    now = now or now_local()
    jobs: list[tuple[str, datetime | None]] = []
    if sa_inspect(db.engine).has_table("apscheduler_jobs"):
        for job_id, next_run in db.session.execute(text("SELECT id, next_run_time FROM apscheduler_jobs ORDER BY id")):
            when = None if next_run is None else from_utc(datetime.fromtimestamp(float(next_run), UTC))
            jobs.append((job_id, when))
    stale_before = now - timedelta(seconds=3 * heartbeat_seconds() + 5)
    alive = db.session.scalar(
        select(SchedulerHeartbeat).where(SchedulerHeartbeat.stopped_at.is_(None),
                                         SchedulerHeartbeat.beat_at >= stale_before)
        .order_by(SchedulerHeartbeat.beat_at.desc()).limit(1))
    if alive is not None:
        return SchedulerStatus(True, f"Planlæggeren kører (startet {alive.started_at:%d.%m.%Y %H:%M}).",
                               alive.started_at, jobs, alive.beat_at)
    latest = db.session.scalar(select(SchedulerHeartbeat)
                               .order_by(SchedulerHeartbeat.beat_at.desc()).limit(1))
    if latest is None:
        return SchedulerStatus(False, "Planlæggeren er ikke startet (start den med flask scheduler run).",
                               jobs=jobs)
    if latest.stopped_at is not None:
        return SchedulerStatus(False, f"Planlæggeren er stoppet {latest.stopped_at:%d.%m.%Y %H:%M}.",
                               latest.started_at, jobs, latest.beat_at)
    since = (f"{latest.beat_at:%H:%M}" if latest.beat_at.date() == now.date()
             else f"{latest.beat_at:%d.%m.%Y %H:%M}")
    return SchedulerStatus(False, f"Planlæggeren svarer ikke siden {since}.", latest.started_at,
                           jobs, latest.beat_at)


def job_centre_ids() -> list[int]:
    return list(db.session.scalars(select(JobCentre.id).order_by(JobCentre.id)))
