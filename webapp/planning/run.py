"""The batch allocation: waiting list → optimiser instance → solution → re-checked bookings (R-3.2 to R-3.5).

One run for one job centre:

1. `planning.instance.prepare` reads the waiting call-ins into the optimiser's exchange
   document.
2. `planning.publish.solve_prepared` runs `optimizer.solve` and refuses anything
   `optimizer.check` rejects.
3. `planning.publish.publish` books every placement through the booking writer and
   updates the call-ins.

`run_allocation` ties these together under a per-job-centre lock (`planning.lock`) and owns the
transactions: the read before solving is ended (so a long solve never holds a database
lock), and everything the run publishes — bookings, audit entries, outbox rows written
by signal receivers, call-in updates and the system log entry — commits together or
not at all (R-3.3).
"""

from __future__ import annotations

import time as clock_time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

import optimizer
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import JobCentre, LogLevel, SystemLogEntry
from webapp.planning.instance import Prepared, config_value, prepare
from webapp.planning.lock import AllocationRunning, allocation_lock
from webapp.planning.publish import Progress, Published, publish, solve_prepared
from webapp.planning.reasons import REASON_LABELS_DA, reason_text
from webapp.planning.status import LOG_CATEGORY


@dataclass
class AllocationResult:
    job_centre_id: int
    job_centre: str
    status: str  # "published", "dry_run" or "skipped"
    waiting: int = 0
    meetings: int = 0
    placed: int = 0  # call-ins placed (or, in a dry run, that would be)
    placed_meetings: int = 0
    joined: int = 0  # call-ins seated at existing group meetings (not in placed_meetings)
    weighted_placed: float = 0.0
    upper_bound: float | None = None
    unplaced_by_reason: dict[str, int] = field(default_factory=dict)  # Danish label -> call-ins
    unplaced: dict[int, str] = field(default_factory=dict)  # call-in id -> Danish reason
    taken_meanwhile: int = 0
    seconds: float = 0.0
    solve_seconds: float = 0.0
    solver: str = ""
    booking_ids: list[int] = field(default_factory=list)
    log_entry_id: int | None = None
    dry_run: bool = False
    message: str = ""

    def figures(self, trigger: str, run_key: str | None) -> dict[str, Any]:
        return {
            "job_centre": self.job_centre, "trigger": trigger, "run_key": run_key,
            "waiting": self.waiting, "meetings": self.meetings, "placed": self.placed,
            "placed_meetings": self.placed_meetings, "joined": self.joined,
            "weighted_placed": self.weighted_placed,
            "upper_bound": self.upper_bound, "unplaced": len(self.unplaced),
            "unplaced_by_reason": self.unplaced_by_reason, "taken_meanwhile": self.taken_meanwhile,
            "seconds": self.seconds, "solve_seconds": self.solve_seconds, "solver": self.solver,
            "booking_ids": self.booking_ids,
        }


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 3)


def _summary_da(result: AllocationResult) -> str:
    if not result.waiting:
        return f"Planlægning for {result.job_centre}: ingen ventende indkaldelser ({result.seconds:.1f} s)."
    bound = "" if result.upper_bound is None else f", øvre grænse {result.upper_bound}"
    meanwhile = (f", {result.taken_meanwhile} tider taget af andre under kørslen"
                 if result.taken_meanwhile else "")
    joined = f" og {result.joined} på eksisterende fællesmøder" if result.joined else ""
    return (f"Planlægning for {result.job_centre}: {result.placed} af {result.waiting} ventende "
            f"indkaldelser placeret i {result.placed_meetings} nye samtaler{joined}{bound}{meanwhile} "
            f"({result.seconds:.1f} s).")


def _already_ran(job_centre_id: int, run_key: str) -> bool:
    """Whether the job centre's run with this key (e.g. tonight's) has been published or has
    failed. A failed one counts too: a second or third scheduler that found the job centre due
    at the same moment must not run it again, as `status.nightly_due` does not (R-3.3)."""
    return db.session.scalar(
        select(SystemLogEntry.id).where(SystemLogEntry.category == LOG_CATEGORY,
                                        SystemLogEntry.job_centre_id == job_centre_id,
                                        SystemLogEntry.level.in_((LogLevel.INFO, LogLevel.ERROR)),
                                        SystemLogEntry.figures["run_key"].as_string() == run_key)
        .limit(1)) is not None


def _session_is_clean() -> bool:
    session = db.session
    return not (session.new or session.dirty or session.deleted)


def run_allocation(job_centre_id: int, *, now: datetime, dry_run: bool = False,
                   time_limit: float | None = None, actor: Any = None,
                   progress: Progress | None = None, trigger: str = "manual",
                   run_key: str | None = None, horizon_days: int | None = None) -> AllocationResult:
    """Place the job centre's waiting list now; all placements commit together or none (R-3.3).

    Commits its own transactions, so call it with nothing pending in the session. Raises
    `AllocationRunning` when another run holds the job centre. With `run_key`, a run that
    finds a published or failed run with the same key (e.g. tonight's) does nothing ("skipped").
    Every published run writes a system log entry with its figures (R-1.10.1); a run that
    fails is rolled back, logged as an error, and the error is raised again.
    """
    if not _session_is_clean():
        raise RuntimeError("run_allocation commits its own transactions: commit or roll back first")
    started = clock_time.perf_counter()
    job_centre = db.session.get(JobCentre, job_centre_id)
    if job_centre is None:
        raise DomainError("Jobcentret findes ikke.", "The job centre does not exist.", code="not_found")
    name = job_centre.name
    result = AllocationResult(job_centre_id, name, "dry_run" if dry_run else "published", dry_run=dry_run)
    if time_limit is None:
        time_limit = config_value("PLANNER_ALLOCATION_TIME_LIMIT", None)
    with allocation_lock(job_centre_id) as acquired:
        if not acquired:
            raise AllocationRunning(f"Der kører allerede en planlægning for {name}.",
                                    f"An allocation for {name} is already running.")
        try:
            if run_key is not None and _already_ran(job_centre_id, run_key):
                db.session.rollback()
                result.status = "skipped"
                result.message = f"Planlægningen {run_key} for {name} er allerede kørt."
                return result
            if progress is not None:
                progress("build", 0, 1)
            prepared = prepare(job_centre_id, now=now, horizon_days=horizon_days)
            # End the read: a long solve must not hold a lock (SQLite) or a snapshot.
            db.session.rollback()
            if progress is not None:
                progress("build", 1, 1)
                progress("solve", 0, 1)
            solution = solve_prepared(prepared, time_limit=time_limit)
            if progress is not None:
                progress("solve", 1, 1)
            stats = solution.stats
            result.waiting = prepared.waiting
            result.meetings = len(prepared.document["meetings"])
            bound = stats.get("upper_bound")
            # Seats at existing group meetings come on top of what the optimiser can place.
            result.upper_bound = None if bound is None else _number(float(bound) + prepared.joins_weight)
            result.solve_seconds = round(float(stats.get("seconds", 0.0)), 3)
            result.solver = str(stats.get("solver", ""))
            if dry_run:
                _dry_run_figures(result, prepared, solution)
            else:
                published = publish(prepared, solution, now=now, actor=actor, progress=progress)
                _published_figures(result, published)
            result.seconds = round(clock_time.perf_counter() - started, 3)
            result.message = _summary_da(result)
            if dry_run:
                db.session.rollback()
                return result
            entry = SystemLogEntry(occurred_at=now, level=LogLevel.INFO, category=LOG_CATEGORY,
                                   message=result.message,
                                   figures=result.figures(trigger, run_key), job_centre_id=job_centre_id)
            db.session.add(entry)
            db.session.flush()
            result.log_entry_id = entry.id
            db.session.commit()
            return result
        except Exception as error:
            db.session.rollback()
            if not dry_run:
                _log_failure(job_centre_id, name, error, trigger, run_key, now,
                             round(clock_time.perf_counter() - started, 3))
            raise


def _count_reasons(unplaced: Mapping[int, tuple[str, str]]) -> dict[str, int]:
    counts = Counter(REASON_LABELS_DA.get(code, code) for code, _ in unplaced.values())
    return dict(counts.most_common())


def _dry_run_figures(result: AllocationResult, prepared: Prepared, solution: optimizer.Solution) -> None:
    unplaced = dict(prepared.not_sent)
    for item in solution.unplaced:
        code_reason = (str(item.reason.code), reason_text(item.reason, prepared.names))
        for callin_id in prepared.meetings.get(item.meeting, []):
            unplaced[callin_id] = code_reason
    weights = {m["id"]: m["priority"] for m in prepared.document["meetings"]}
    result.placed_meetings = len(solution.placements)
    result.joined = len(prepared.joins)
    result.placed = sum(len(prepared.meetings[p.meeting]) for p in solution.placements) + result.joined
    result.weighted_placed = _number(sum(weights[p.meeting] for p in solution.placements) + prepared.joins_weight) or 0
    result.unplaced = {i: reason for i, (_c, reason) in unplaced.items()}
    result.unplaced_by_reason = _count_reasons(unplaced)


def _published_figures(result: AllocationResult, published: Published) -> None:
    result.placed = published.placed_callins
    result.placed_meetings = published.placed_meetings
    result.joined = published.joined
    result.booking_ids = published.booking_ids
    result.taken_meanwhile = published.taken_meanwhile
    result.weighted_placed = _number(published.weighted) or 0
    result.unplaced = {i: reason for i, (_c, reason) in published.unplaced.items()}
    result.unplaced_by_reason = _count_reasons(published.unplaced)


def _log_failure(job_centre_id: int, name: str, error: Exception, trigger: str,
                 run_key: str | None, now: datetime, seconds: float) -> None:
    message = (f"Planlægningen for {name} fejlede og blev rullet tilbage; intet er offentliggjort: "
               f"{type(error).__name__}: {error}")
    try:
        db.session.add(SystemLogEntry(occurred_at=now, level=LogLevel.ERROR, category=LOG_CATEGORY, message=message[:4000],
                                      figures={"job_centre": name, "trigger": trigger, "run_key": run_key,
                                               "error": type(error).__name__, "seconds": seconds},
                                      job_centre_id=job_centre_id))
        db.session.commit()
    except Exception:  # the database itself may be what failed; the caller sees the first error
        db.session.rollback()
