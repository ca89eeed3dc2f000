"""Each job centre's own nightly time (R-3.2) and the scheduler's heartbeat, start, stop and crash
in the system log (R-1.10.1, R-1.12.1)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from sqlalchemy import func, select

from jobs import scheduler as jobs_scheduler
from jobs.allocate import allocate_due
from tests.integration.planning_support import make_callin
from tests.timehelpers import MONDAY, at
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import Booking, LogLevel, SchedulerHeartbeat, SystemLogEntry
from webapp.planning import status as planning_status

# The allocation and the scheduler commit on their own connections.
pytestmark = pytest.mark.committing


def _waiting_centre(create_job_centre, create_caseworker, create_citizen, own_time=None):
    job_centre = create_job_centre()
    job_centre.allocation_time = own_time
    team = job_centre.teams[0]
    caseworker = create_caseworker(job_centre, [team])
    make_callin(team, create_citizen(job_centre), [caseworker], earliest=date(2027, 3, 2),
                deadline=date(2027, 3, 12))
    db.session.commit()
    return job_centre, team, caseworker


def test_two_job_centres_are_each_run_once_at_their_own_time_R_3_2(
        app, reference_data, create_job_centre, create_caseworker, create_citizen):
    """R-3.2: one job centre at its own 01:00, the other at the common PLANNER_ALLOCATION_TIME
    (03:30); the scheduler's check every few minutes through the night runs each exactly once,
    at its time, and a call-in made after a job centre's run waits for the next night."""
    app.config["PLANNER_ALLOCATION_TIME"] = "03:30"
    early, early_team, early_cw = _waiting_centre(create_job_centre, create_caseworker,
                                                  create_citizen, own_time="01:00")
    common, _, _ = _waiting_centre(create_job_centre, create_caseworker, create_citizen)
    early_id, common_id = early.id, common.id
    assert planning_status.job_centre_allocation_time(early) == "01:00"
    assert planning_status.job_centre_allocation_time(common) == "03:30"
    runs: list[tuple[int, datetime]] = []
    moment = at(MONDAY, 0)
    while moment <= at(MONDAY, 8):
        if moment == at(MONDAY, 2):  # called in after the early centre's run of the night
            make_callin(early_team, create_citizen(db.session.get(type(early), early_id)),
                        [early_cw], earliest=date(2027, 3, 2), deadline=date(2027, 3, 12))
        runs += [(r.job_centre_id, moment) for r in allocate_due(now=moment)
                 if r.status == "published"]
        moment += timedelta(minutes=5)
    assert runs == [(early_id, at(MONDAY, 1)), (common_id, at(MONDAY, 3, 30))]
    keys = {entry.job_centre_id: entry.figures["run_key"] for entry in db.session.scalars(
        select(SystemLogEntry).where(SystemLogEntry.category == "allocation"))}
    assert keys == {early_id: "nightly:2027-03-01", common_id: "nightly:2027-03-01"}
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 2
    # The next night the early centre's late call-in is placed, at 01:00 again.
    assert allocate_due(now=at(MONDAY, 0, 55) + timedelta(days=1)) == []
    nextnight = allocate_due(now=at(MONDAY, 1) + timedelta(days=1))
    assert [(r.job_centre_id, r.placed) for r in nextnight] == [(early_id, 1)]


def test_a_run_missed_by_more_than_three_hours_waits_for_the_next_night_R_3_2(
        app, reference_data, create_job_centre, create_caseworker, create_citizen):
    """R-3.2: a scheduler that was down at the time catches up within three hours, not later."""
    job_centre, _, _ = _waiting_centre(create_job_centre, create_caseworker, create_citizen,
                                       own_time="01:00")
    assert planning_status.nightly_due(at(MONDAY, 4, 1)) == []
    assert planning_status.nightly_due(at(MONDAY, 3, 59)) == [(job_centre.id, "nightly:2027-03-01")]
    # 23:30 is still that night's run after midnight.
    job_centre.allocation_time = "23:30"
    db.session.commit()
    assert planning_status.nightly_due(at(MONDAY, 0, 10)) == [(job_centre.id, "nightly:2027-02-28")]


@pytest.mark.parametrize("typed, stored", [("01:30", "01:30"), ("7:05", "07:05"), (" 23:59 ", "23:59"),
                                           ("", None), ("  ", None)])
def test_a_nightly_time_is_hh_mm_or_empty_R_3_2(typed, stored):
    assert planning_status.check_allocation_time(typed) == stored


@pytest.mark.parametrize("typed", ["24:00", "12:60", "2", "kl. 2", "02:00:00", "0230", "٠٢:٣٠"])
def test_a_bad_nightly_time_is_refused_in_both_languages_R_3_2(typed):
    with pytest.raises(DomainError) as caught:
        planning_status.check_allocation_time(typed)
    assert caught.value.code == "allocation_time_format"
    assert "TT:MM" in caught.value.message_da and "HH:MM" in caught.value.message_en


# --- the heartbeat ------------------------------------------------------------------------------

def _scheduler_log() -> list[SystemLogEntry]:
    return list(db.session.scalars(select(SystemLogEntry).where(SystemLogEntry.category == "scheduler")
                                   .order_by(SystemLogEntry.id)))


def _heartbeat_only() -> list[jobs_scheduler.JobSpec]:
    return [spec for spec in jobs_scheduler.REGISTRY if spec.id == "heartbeat"]


def test_the_scheduler_beats_while_it_runs_and_says_when_it_stopped_R_1_10_1(app):
    """R-1.10.1, R-1.12.1: a started scheduler has a heartbeat row, the job updates it, the About
    status reads "Planlæggeren kører"; a stop closes the row and is logged."""
    assert planning_status.scheduler_status().message_da.startswith("Planlæggeren er ikke startet")
    scheduler = jobs_scheduler.start_scheduler(app, registry=_heartbeat_only())
    try:
        row = db.session.scalars(select(SchedulerHeartbeat)).one()
        assert row.stopped_at is None
        db.session.rollback()
        status = planning_status.scheduler_status()
        assert status.running and status.message_da.startswith("Planlæggeren kører")
        later = row.beat_at + timedelta(seconds=20)
        jobs_scheduler.beat(now=later)
        db.session.expire_all()
        assert db.session.get(SchedulerHeartbeat, row.id).beat_at == later
        db.session.rollback()
    finally:
        jobs_scheduler.stop_scheduler(app, scheduler)
    db.session.expire_all()
    row = db.session.scalars(select(SchedulerHeartbeat)).one()
    assert row.stopped_at is not None
    assert [e.figures["state"] for e in _scheduler_log()] == ["started", "stopped"]
    status = planning_status.scheduler_status()
    assert not status.running and status.message_da.startswith("Planlæggeren er stoppet")
    db.session.rollback()


def test_a_scheduler_that_stopped_beating_reads_not_answering_since_R_1_10_1(app):
    """R-1.10.1: a process that died without stopping (killed) leaves its last beat: the status
    says since when it has not answered, and the next scheduler to start logs the death once."""
    now = datetime.now().replace(microsecond=0)
    last = now - timedelta(minutes=7)
    db.session.add(SchedulerHeartbeat(host="web-1", pid=4711, started_at=last - timedelta(hours=1),
                                      beat_at=last))
    db.session.commit()
    status = planning_status.scheduler_status(now=now)
    assert not status.running
    assert status.message_da == (f"Planlæggeren svarer ikke siden {last:%H:%M}." if last.date() == now.date()
                                 else f"Planlæggeren svarer ikke siden {last:%d.%m.%Y %H:%M}.")
    scheduler = jobs_scheduler.start_scheduler(app, registry=_heartbeat_only())
    jobs_scheduler.stop_scheduler(app, scheduler)
    entries = _scheduler_log()
    died = [e for e in entries if e.figures["state"] == "died"]
    assert len(died) == 1 and died[0].level == LogLevel.ERROR
    assert "proces 4711 på web-1" in died[0].message and "stoppede uden at melde det" in died[0].message
    scheduler = jobs_scheduler.start_scheduler(app, registry=_heartbeat_only())
    jobs_scheduler.stop_scheduler(app, scheduler)
    assert len([e for e in _scheduler_log() if e.figures["state"] == "died"]) == 1  # once
    db.session.rollback()


def test_a_crash_of_the_scheduler_process_is_logged_and_closes_its_heartbeat_R_1_10_1(app, monkeypatch):
    """R-1.10.1: the process itself failing (not one job) is in the system log as an error."""

    def broken(self, timeout=None):  # noqa: ANN001, ANN202 - threading.Event.wait's signature
        raise MemoryError("out of memory")

    monkeypatch.setattr(jobs_scheduler.StopSignal, "wait", broken)
    with pytest.raises(MemoryError):
        jobs_scheduler.run_scheduler(app, registry=_heartbeat_only())
    entries = _scheduler_log()
    assert [e.figures["state"] for e in entries] == ["started", "crashed", "stopped"]
    crashed = entries[1]
    assert crashed.level == LogLevel.ERROR and "gået ned" in crashed.message
    assert "MemoryError" in crashed.message and "out of memory" not in crashed.message
    assert db.session.scalars(select(SchedulerHeartbeat)).one().stopped_at is not None
    db.session.rollback()


def test_a_failing_job_is_logged_by_name_and_kind_only_R_1_10_1(app):
    """R-1.10.1: a job that raises is an error entry naming the job and the kind of error; the
    error's text, which may hold personal data, stays out of the log."""
    scheduler = jobs_scheduler.start_scheduler(app, registry=_heartbeat_only())
    try:
        scheduler._dispatch_event(JobExecutionEvent(
            EVENT_JOB_ERROR, "send-outbox", "default", datetime.now(),
            exception=ValueError("0101801001 Anna Andersen")))
    finally:
        jobs_scheduler.stop_scheduler(app, scheduler)
    failed = [e for e in _scheduler_log() if e.figures["state"] == "job_failed"]
    assert len(failed) == 1 and failed[0].level == LogLevel.ERROR
    assert failed[0].message == "Jobbet send-outbox fejlede: ValueError."
    assert "0101801001" not in str(failed[0].figures)
    db.session.rollback()
