"""The demo seed builds a consistent, rule-abiding job centre and adds nothing when run again."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from seed.demo import DEMO_JOB_CENTRE, DEMO_PASSWORD, SECOND_JOB_CENTRE, build_demo
from webapp.domain.cpr import normalise_cpr
from webapp.extensions import db
from webapp.models import (Booking, BookingCaseworker, BookingOrigin, BookingParticipant,
                           BookingStatus, BusyTime, CallIn, CallInStatus, Caseworker, Citizen,
                           DeadlineStatus, JobCentre, LocalClosureDay, MeetingForm,
                           NationalClosureDay, Room, SelfBookingDeadline, Team, User)

# Easter week 2027 and the daylight-saving change (28 March) lie in the horizon.
TODAY = date(2027, 3, 24)


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _demo() -> JobCentre:
    return db.session.scalar(select(JobCentre).where(JobCentre.name == DEMO_JOB_CENTRE))


def _closed_dates(caseworker: Caseworker) -> set[date]:
    """National closure days plus local ones of the caseworker's teams and their ancestors."""
    closed = set(db.session.scalars(select(NationalClosureDay.day)))
    team_ids = {t.id for m in caseworker.memberships for t in [m.team, *m.team.ancestors()]}
    for local in db.session.scalars(select(LocalClosureDay)):
        if not team_ids & {t.id for t in local.teams}:
            continue
        day = local.first_day
        while day <= local.last_day:
            closed.add(day)
            day += timedelta(days=1)
    return closed


def _assert_no_overlap(intervals: list[tuple[datetime, datetime]], what: str) -> None:
    intervals.sort()
    for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
        assert start >= end, f"{what}: a booking ends {end} after the next starts {start}"


def _check_structure(job_centre: JobCentre) -> None:
    teams = list(db.session.scalars(select(Team).where(Team.job_centre_id == job_centre.id)))
    depths = {len(t.ancestors()) + 1 for t in teams}
    assert depths == {1, 2, 3}
    assert not any(t.pending_rename for t in teams)
    # at least one team relies on an ancestor's e-mail.
    assert any(t.email is None and any(a.email for a in t.ancestors()) for t in teams)
    assert _count(Caseworker, Caseworker.job_centre_id == job_centre.id) == 15
    assert _count(Room, Room.job_centre_id == job_centre.id) == 6
    assert _count(Citizen, Citizen.job_centre_id == job_centre.id) == 200
    assert _count(Booking, Booking.job_centre_id == job_centre.id) > 100
    assert _count(CallIn, CallIn.job_centre_id == job_centre.id,
                  CallIn.status == CallInStatus.WAITING) >= 20
    second = db.session.scalar(select(JobCentre).where(JobCentre.name == SECOND_JOB_CENTRE))
    assert second is not None and _count(Team, Team.job_centre_id == second.id) == 2


def _check_caseworker_calendars() -> None:
    """R-2.1: no blocking booking outside working time, in a break, on a closure day,
    over an imported busy time, or over another booking of the same caseworker."""
    links = db.session.scalars(select(BookingCaseworker).where(BookingCaseworker.blocking))
    by_caseworker: dict[int, list[BookingCaseworker]] = defaultdict(list)
    for link in links:
        by_caseworker[link.caseworker_id].append(link)
    assert by_caseworker
    for caseworker_id, own in by_caseworker.items():
        caseworker = db.session.get(Caseworker, caseworker_id)
        closed = _closed_dates(caseworker)
        working = {w.weekday: (w.start_time, w.end_time) for w in caseworker.working_times}
        team_ids = {m.team_id for m in caseworker.memberships}
        busy = [(b.starts_at, b.ends_at) for b in db.session.scalars(
            select(BusyTime).where(BusyTime.caseworker_id == caseworker_id))]
        for link in own:
            booking = link.booking
            start, until = link.starts_at, link.busy_until
            assert start == booking.starts_at
            assert until == booking.ends_at + timedelta(minutes=booking.reporting_minutes)
            assert booking.status == BookingStatus.BOOKED
            assert booking.team_id in team_ids
            assert caseworker.can_be_assigned_callins or booking.origin == BookingOrigin.IMPORTED
            day = start.date()
            assert until.date() == day
            assert day not in closed, f"booking {booking.id} on closure day {day}"
            day_start, day_end = working[day.weekday()]
            assert day_start < day_end and day_start <= start.time() and until.time() <= day_end, \
                f"booking {booking.id} outside working time"
            for b in caseworker.breaks:
                if b.weekday == day.weekday():
                    assert until.time() <= b.start_time or b.end_time <= start.time(), \
                        f"booking {booking.id} in a break"
            for b_start, b_end in busy:
                assert until <= b_start or b_end <= start
        _assert_no_overlap([(link.starts_at, link.busy_until) for link in own],
                           f"caseworker {caseworker.initials}")


def _check_rooms_and_seats() -> None:
    """R-1.4.3: a room holds one meeting at a time, seating at most capacity + overbooking."""
    by_room: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    live = db.session.scalars(select(Booking).where(Booking.room_id.is_not(None),
                                                    Booking.status != BookingStatus.CANCELLED))
    for booking in live:
        by_room[booking.room_id].append((booking.starts_at, booking.ends_at))
        if booking.meeting_form == MeetingForm.GROUP:
            assert booking.seats == booking.room.seats
            assert 1 <= len(booking.participants) <= (booking.seats or 10_000)
            assert booking.room.teams and booking.team in booking.room.teams
    assert by_room
    for room_id, intervals in by_room.items():
        _assert_no_overlap(intervals, f"room {room_id}")
    cancelled = db.session.scalars(select(BookingCaseworker).join(Booking).where(
        Booking.status == BookingStatus.CANCELLED))
    assert all(not link.blocking for link in cancelled)


def _check_citizens_and_lists() -> None:
    cprs = list(db.session.scalars(select(Citizen.cpr)))
    assert len(set(cprs)) == len(cprs)
    for cpr in cprs:
        assert normalise_cpr(cpr, today=TODAY) == cpr
    # A citizen is never in two meetings at once.
    rows = db.session.execute(select(BookingParticipant.citizen_id, Booking.starts_at,
                                     Booking.ends_at).join(Booking).where(
        Booking.status != BookingStatus.CANCELLED)).all()
    by_citizen: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for citizen_id, start, end in rows:
        by_citizen[citizen_id].append((start, end))
    for citizen_id, intervals in by_citizen.items():
        _assert_no_overlap(intervals, f"citizen {citizen_id}")
    # open deadlines at least 8 days ahead, and no booking already fulfilling them.
    open_deadlines = list(db.session.scalars(select(SelfBookingDeadline).where(
        SelfBookingDeadline.status == DeadlineStatus.OPEN)))
    assert open_deadlines
    for deadline in open_deadlines:
        assert deadline.deadline_date >= TODAY + timedelta(days=8)
        assert not db.session.scalar(select(func.count()).select_from(BookingParticipant).join(
            Booking).where(BookingParticipant.citizen_id == deadline.citizen_id,
                           Booking.conversation_type_id == deadline.conversation_type_id,
                           Booking.status == BookingStatus.BOOKED,
                           Booking.starts_at >= datetime.combine(TODAY, datetime.min.time())))
    waiting = list(db.session.scalars(select(CallIn).where(CallIn.status == CallInStatus.WAITING)))
    for callin in waiting:
        assert TODAY < callin.earliest_date <= callin.deadline_date
        assert callin.caseworkers
        assert all(c.can_be_assigned_callins for c in callin.caseworkers)
    assert sum((c.deadline_date - c.earliest_date).days <= 3 for c in waiting) >= 2


def _table_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def test_demo_seed_is_consistent_and_idempotent(app: Flask) -> None:
    """R-2.1, R-2.4, R-1.4.3, R-4.8: the demo data obey the planning rules; a rerun adds nothing."""
    logins = build_demo(random_seed=2027, today=TODAY)
    db.session.commit()
    assert [(u, r) for u, _, r in logins] == [
        ("support", "support"), ("admin", "administrator"), ("ash", "caseworker"),
        ("fra", "caseworker"), ("kdw", "caseworker"), ("admin.odense", "administrator")]
    for username, password, _ in logins:
        user = db.session.scalar(select(User).where(User.username == username))
        assert password == DEMO_PASSWORD and user.check_password(password)
        assert (user.role == "caseworker") == (user.caseworker_id is not None)

    _check_structure(_demo())
    _check_caseworker_calendars()
    _check_rooms_and_seats()
    _check_citizens_and_lists()

    before = _table_counts()
    assert build_demo(random_seed=2027, today=TODAY) == logins
    db.session.commit()
    assert _table_counts() == before


def test_demo_cancellations_are_in_the_audit_trail_as_the_overview_reads_them_R_6_10(app: Flask) -> None:
    """R-6.10, R-1.9.1: each cancelled demo meeting has one cancellation event, the citizen's
    when the citizen cancelled online, so the overview can tell who cancelled."""
    from webapp.models import AuditEntry, AuditEvent, Booking, BookingStatus

    build_demo(random_seed=2027, today=TODAY)
    db.session.commit()
    cancelled = {b.id: b.cancel_reason for b in db.session.scalars(
        select(Booking).where(Booking.status == BookingStatus.CANCELLED))}
    events = dict(db.session.execute(select(AuditEntry.booking_id, AuditEntry.event).where(
        AuditEntry.event.in_((AuditEvent.BOOKING_CANCELLED_BY_CITIZEN,
                              AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE)))).all())
    assert cancelled and set(events) == set(cancelled)
    for booking_id, reason in cancelled.items():
        by_citizen = reason == "Aflyst af borgeren via selvbetjening"
        assert events[booking_id] == (AuditEvent.BOOKING_CANCELLED_BY_CITIZEN if by_citizen
                                      else AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE)
    assert AuditEvent.BOOKING_CANCELLED_BY_CITIZEN in events.values()
