"""Nightly allocation: one run per job centre with call-ins waiting, each at its own time (R-3.2, R-3.3).

The scheduler calls `allocate_due` every PLANNER_ALLOCATION_CHECK_SECONDS; it runs the job
centres whose nightly time has come (`planning.status.nightly_due`). `nightly_allocation`
runs every job centre at once (tests, and by hand).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from jobs.scheduler import job_context
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import CallIn, CallInStatus
from webapp.planning.lock import AllocationRunning
from webapp.planning.run import AllocationResult, run_allocation
from webapp.planning.status import job_centre_ids, nightly_due

log = logging.getLogger(__name__)


def nightly_run_key(now: datetime) -> str:
    """One nightly run per job centre and night, however many schedulers fire."""
    return f"nightly:{now.date().isoformat()}"


def _waiting(job_centre_id: int) -> int:
    return db.session.scalar(select(func.count(CallIn.id)).where(
        CallIn.job_centre_id == job_centre_id, CallIn.status == CallInStatus.WAITING)) or 0


def _run(job_centre_id: int, now: datetime, key: str) -> AllocationResult | None:
    """One job centre's nightly run; None when another process holds it or it failed."""
    try:
        result = run_allocation(job_centre_id, now=now, trigger="nightly", run_key=key)
    except AllocationRunning as error:
        log.info("Allocation of job centre %s skipped: %s", job_centre_id, error.message_en)
        return None
    except Exception:
        # Rolled back and written to the system log by run_allocation.
        log.exception("Allocation of job centre %s failed", job_centre_id)
        return None
    if result.status == "skipped":
        log.info("Allocation of job centre %s skipped: %s already ran", job_centre_id, key)
    else:
        log.info("Allocation of job centre %s: %s", job_centre_id, result.message)
    return result


def allocate_due(now: datetime | None = None) -> list[AllocationResult]:
    """Run each job centre whose nightly time has come and whose night has not run (R-3.2).

    Two schedulers asking at once both see a job centre due; the allocation lock lets one
    run it and the run key makes the other's later attempt a "skipped" (R-3.3).
    """
    results: list[AllocationResult] = []
    with job_context():
        now = now or now_local()
        due = nightly_due(now)
        db.session.rollback()  # end the read; each run owns its transactions
        for job_centre_id, key in due:
            result = _run(job_centre_id, now, key)
            if result is not None:
                results.append(result)
    return results


def nightly_allocation(now: datetime | None = None) -> list[AllocationResult]:
    """Allocate every job centre's waiting list; a failure in one does not stop the others.

    A second scheduler firing at the same time finds the job centre locked, and one
    firing later the same night finds tonight's run in the system log: either way it
    does nothing, so exactly one allocation per job centre and night happens.
    """
    results: list[AllocationResult] = []
    with job_context():
        now = now or now_local()
        key = nightly_run_key(now)
        for job_centre_id in job_centre_ids():
            waiting = _waiting(job_centre_id)
            db.session.rollback()  # end the read; each run owns its transactions
            if not waiting:
                continue
            result = _run(job_centre_id, now, key)
            if result is not None:
                results.append(result)
    return results
