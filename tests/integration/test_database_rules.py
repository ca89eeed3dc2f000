"""Rules the database itself enforces: overlaps (R-2.4), append-only audit (R-1.9.2), checks."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.conftest import PG_URL
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, Booking, BookingCaseworker, BookingOrigin,
                           BookingStatus, ConversationType, HoldingForm, MeetingForm, Room,
                           WorkingTime)

postgres_only = pytest.mark.skipif(not PG_URL, reason="exclusion constraints are PostgreSQL's")


@pytest.fixture
def setting(reference_data, create_job_centre, create_caseworker, create_room):
    job_centre = create_job_centre()
    return {
        "job_centre": job_centre,
        "team": job_centre.teams[0],
        "caseworker": create_caseworker(job_centre),
        "room": create_room(job_centre, capacity=4),
        "type": db.session.scalars(db.select(ConversationType)).first(),
        "form": db.session.scalars(db.select(HoldingForm)).first(),
    }


def _booking(s, start: datetime, end: datetime, room: Room | None = None,
             status: BookingStatus = BookingStatus.BOOKED) -> Booking:
    booking = Booking(job_centre=s["job_centre"], team=s["team"], room=room,
                      conversation_type=s["type"], holding_form=s["form"],
                      meeting_form=MeetingForm.INDIVIDUAL, starts_at=start, ends_at=end,
                      status=status, origin=BookingOrigin.CALLED_IN)
    db.session.add(booking)
    db.session.flush()
    return booking


def _link(booking: Booking, caseworker, busy_until: datetime, blocking: bool = True) -> None:
    db.session.add(BookingCaseworker(booking_id=booking.id, caseworker_id=caseworker.id,
                                     starts_at=booking.starts_at, busy_until=busy_until,
                                     blocking=blocking))
    db.session.flush()


@postgres_only
def test_r_2_4_database_rejects_overlapping_caseworker_bookings(setting):
    """R-2.4: two bookings of one caseworker overlapping in time, inserted directly."""
    cw = setting["caseworker"]
    first = _booking(setting, datetime(2027, 3, 2, 9, 0), datetime(2027, 3, 2, 9, 30))
    _link(first, cw, datetime(2027, 3, 2, 9, 40))  # 10 minutes of reporting time
    second = _booking(setting, datetime(2027, 3, 2, 9, 35), datetime(2027, 3, 2, 10, 0))
    with pytest.raises(IntegrityError, match="ex_booking_caseworkers_no_overlap"):
        _link(second, cw, datetime(2027, 3, 2, 10, 0))
    db.session.rollback()


@postgres_only
def test_r_2_4_adjacent_and_cancelled_bookings_are_allowed(setting):
    cw = setting["caseworker"]
    first = _booking(setting, datetime(2027, 3, 2, 9, 0), datetime(2027, 3, 2, 9, 30))
    _link(first, cw, datetime(2027, 3, 2, 9, 30))
    adjacent = _booking(setting, datetime(2027, 3, 2, 9, 30), datetime(2027, 3, 2, 10, 0))
    _link(adjacent, cw, datetime(2027, 3, 2, 10, 0))
    cancelled = _booking(setting, datetime(2027, 3, 2, 9, 0), datetime(2027, 3, 2, 9, 30),
                         status=BookingStatus.CANCELLED)
    _link(cancelled, cw, datetime(2027, 3, 2, 9, 30), blocking=False)
    db.session.commit()
    assert db.session.scalar(text("SELECT count(*) FROM booking_caseworkers")) == 3


@postgres_only
def test_r_2_4_database_rejects_overlapping_room_bookings(setting):
    """R-2.4: a room holds one meeting at a time (R-1.4.3)."""
    room = setting["room"]
    _booking(setting, datetime(2027, 3, 2, 9, 0), datetime(2027, 3, 2, 10, 0), room=room)
    _booking(setting, datetime(2027, 3, 2, 9, 0), datetime(2027, 3, 2, 10, 0), room=room,
             status=BookingStatus.CANCELLED)
    with pytest.raises(IntegrityError, match="ex_bookings_room_no_overlap"):
        _booking(setting, datetime(2027, 3, 2, 9, 59), datetime(2027, 3, 2, 10, 30), room=room)
    db.session.rollback()


def test_r_1_9_2_audit_entries_cannot_be_updated_or_deleted(setting):
    """R-1.9.2: append-only, enforced by the database for every role."""
    db.session.add(AuditEntry(event=AuditEvent.CALL_IN_CREATED, user_name="x",
                              job_centre_id=setting["job_centre"].id,
                              occurred_at=datetime(2027, 1, 1, 9)))
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("UPDATE audit_entries SET user_name = 'y'"))
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_entries"))
    db.session.rollback()
    assert db.session.scalar(text("SELECT user_name FROM audit_entries")) == "x"


@pytest.mark.parametrize("field, value", [
    ("capacity", 0), ("capacity", -3), ("overbooking_seats", -1),
])
def test_r_1_4_1_room_checks(setting, field, value):
    """R-1.4.1: capacity empty or positive, overbooking seats not negative."""
    room = Room(job_centre=setting["job_centre"], name="Forkert", capacity=4)
    setattr(room, field, value)
    db.session.add(room)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_r_1_4_1_overbooking_needs_a_capacity(setting):
    """R-1.4.1: overbooking only with a capacity."""
    db.session.add(Room(job_centre=setting["job_centre"], name="Uden kapacitet",
                        accepts_overbooking=True, overbooking_seats=2))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_r_1_1_2_team_names_are_unique_within_a_job_centre(setting, create_job_centre):
    """R-1.1.2: names are unique within a job centre, not across job centres."""
    from webapp.models import Team
    job_centre = setting["job_centre"]
    db.session.add(Team(job_centre=job_centre, name=job_centre.teams[0].name))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    other = create_job_centre()
    db.session.add(Team(job_centre=other, name=setting["team"].name))
    db.session.commit()  # the same name in another job centre is fine


def test_r_1_2_2_caseworker_holds_a_rid_or_a_guid_not_both(setting):
    """R-1.2.2: the record holds a RID or a GUID."""
    from webapp.models import Caseworker
    db.session.add(Caseworker(job_centre=setting["job_centre"], email="x@demo-jobcenter.dk",
                              name="X", rid=None, guid=None))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_r_1_2_5_working_time_end_not_before_start(setting):
    """R-1.2.5: one interval per weekday; 00:00-00:00 is the only empty one."""
    db.session.add(WorkingTime(caseworker_id=setting["caseworker"].id, weekday=5,
                               start_time=time(16, 0), end_time=time(8, 0)))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@postgres_only
@pytest.mark.parametrize("mode, expected", [(None, "force_generic_plan"), ("auto", "auto")])
def test_postgresql_plans_prepared_statements_as_configured(app, mode, expected):
    """Operations: the app's PostgreSQL sessions plan prepared statements once (generic) unless
    PLANNER_PG_PLAN_CACHE_MODE says "auto", PostgreSQL's own default."""
    from webapp import create_app

    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY")}
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-c statement_timeout=60000"}}
    if mode is not None:
        config["PLANNER_PG_PLAN_CACHE_MODE"] = mode
    other = create_app(config)
    with other.app_context():
        assert db.session.scalar(text("SHOW plan_cache_mode")) == expected
        assert db.session.scalar(text("SHOW statement_timeout")) == "1min"   # options kept
        db.session.rollback()
        db.engine.dispose()
