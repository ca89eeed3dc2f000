"""Several scheduler workers share one night over many job centres (R-3.3, R-3.2, R-1.10.1).

Each worker is a thread with an application context (and so a session and connections) of its
own, asking `allocate_due` at the same moment, as two or three scheduler processes on different
machines do. The per-job-centre allocation lock (an advisory lock on PostgreSQL, a file lock on
SQLite) and the night's run key in the system log must together make every job centre with
call-ins waiting run exactly once, and none be left out.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from jobs.allocate import allocate_due
from tests.integration.planning_support import assert_no_overlaps, make_callin
from tests.timehelpers import MONDAY, at
from webapp.extensions import db
from webapp.models import Booking, CallIn, CallInStatus, LogLevel, SystemLogEntry
from jobs import allocate as allocate_module
from webapp.planning import run as run_module

pytestmark = pytest.mark.committing  # the workers commit on connections of their own

NOW = at(MONDAY, 8)
KEY = f"nightly:{NOW.date().isoformat()}"


def _job_centres(create_job_centre, create_caseworker, create_citizen, count: int,
                 callins: int = 2) -> list[int]:
    ids = []
    for n in range(count):
        job_centre = create_job_centre()
        job_centre.allocation_time = f"07:{10 + n:02d}"  # each its own nightly time, all due by 08:00
        team = job_centre.teams[0]
        caseworker = create_caseworker(job_centre, [team])
        for _ in range(callins):
            make_callin(team, create_citizen(job_centre), [caseworker], earliest=date(2027, 3, 2),
                        deadline=date(2027, 3, 12), commit=False)
        ids.append(job_centre.id)
    db.session.commit()
    return ids


def _run_workers(app: Flask, workers: int) -> list[BaseException]:
    """`workers` threads ask `allocate_due(NOW)` at the same moment; the errors they raised."""
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                start.wait(timeout=60)
                allocate_due(NOW)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=work, name=f"night-worker-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads), "a worker did not finish"
    return errors


def _runs() -> Counter[int]:
    """Published runs of tonight per job centre."""
    rows = db.session.execute(select(SystemLogEntry.job_centre_id, SystemLogEntry.figures).where(
        SystemLogEntry.category == "allocation", SystemLogEntry.level == LogLevel.INFO))
    return Counter(job_centre_id for job_centre_id, figures in rows if (figures or {}).get("run_key") == KEY)


@pytest.mark.parametrize("workers", [2, 3])
def test_r_3_3_several_workers_allocate_each_job_centre_exactly_once(
        app, reference_data, create_job_centre, create_caseworker, create_citizen, workers):
    """R-3.3: two or three workers over eight job centres: each runs once, none is skipped."""
    ids = _job_centres(create_job_centre, create_caseworker, create_citizen, 8)
    assert _run_workers(app, workers) == []
    db.session.expire_all()
    assert _runs() == Counter({job_centre_id: 1 for job_centre_id in ids})
    for job_centre_id in ids:
        assert db.session.scalar(select(func.count(Booking.id)).where(
            Booking.job_centre_id == job_centre_id)) == 2
        assert_no_overlaps(job_centre_id)
    assert db.session.scalar(select(func.count(CallIn.id)).where(
        CallIn.status == CallInStatus.WAITING)) == 0
    # A worker asking again later the same night finds nothing due.
    with app.app_context():
        assert allocate_due(NOW + timedelta(minutes=5)) == []


def test_r_3_3_a_failed_run_is_not_tried_again_by_the_other_workers(
        app, reference_data, create_job_centre, create_caseworker, create_citizen, monkeypatch):
    """R-3.3, R-1.10.1: a job centre whose run fails is logged once as failed; the other
    workers, which found it due at the same moment, do not run it again that night (an
    administrator runs it with *Planlæg nu* once the cause is mended, as `nightly_due` says)."""
    ids = _job_centres(create_job_centre, create_caseworker, create_citizen, 3, callins=1)
    broken = ids[1]
    solve = run_module.solve_prepared
    attempts: Counter[int] = Counter()

    def failing(prepared, **kwargs):
        attempts[prepared.job_centre_id] += 1
        if prepared.job_centre_id == broken:
            raise RuntimeError("solver down")
        return solve(prepared, **kwargs)

    monkeypatch.setattr(run_module, "solve_prepared", failing)
    # Three workers asked at the same moment and were all told the same job centres are due;
    # they then run one after the other (the slowest case of the lock: never contended).
    due = allocate_module.nightly_due(NOW)
    db.session.rollback()
    assert [job_centre_id for job_centre_id, _key in due] == ids
    monkeypatch.setattr(allocate_module, "nightly_due", lambda now: list(due))
    for _worker in range(3):
        allocate_due(NOW)
    db.session.expire_all()
    assert attempts == Counter({job_centre_id: 1 for job_centre_id in ids})
    failures = db.session.scalars(select(SystemLogEntry).where(
        SystemLogEntry.category == "allocation", SystemLogEntry.level == LogLevel.ERROR)).all()
    assert [(entry.job_centre_id, entry.figures["run_key"]) for entry in failures] == [(broken, KEY)]
    assert _runs() == Counter({job_centre_id: 1 for job_centre_id in ids if job_centre_id != broken})
