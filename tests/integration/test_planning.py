"""The batch allocation: instance from the database, solve, re-check, publish all or nothing (R-3.2 to R-3.5)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

import optimizer
from seed.demo import DEMO_JOB_CENTRE
from tests.integration.planning_support import assert_no_overlaps, make_callin
from tests.timehelpers import MONDAY, at
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, Booking, BookingOrigin, BookingStatus, BusyTime, CallIn,
                           CallInStatus, JobCentre, LocalClosureDay, LogLevel, MeetingForm,
                           NationalClosureDay, OutboxMessage, SystemLogEntry)
from webapp.messaging import outbox
from webapp.planning import instance, lock, publish, status
from webapp.planning import run as planning
from webapp.booking.events import booking_changed

NOW = at(MONDAY, 2)  # Monday night; the run places from Tuesday on
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (date(2027, 3, d) for d in (2, 3, 4, 5))


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def centre(reference_data, create_job_centre, create_team, create_caseworker, create_citizen):
    """Root → child → "Unge"; a staff day on the root (inherited) and a national closure day."""
    job_centre = create_job_centre()
    root = next(t for t in job_centre.teams if t.parent_id is None)
    child = next(t for t in job_centre.teams if t.parent_id is not None)
    unge = create_team(job_centre, parent=child, name="Unge")
    db.session.add(LocalClosureDay(job_centre=job_centre, teams=[root], name="Personaledag",
                                   first_day=WEDNESDAY, last_day=WEDNESDAY))
    db.session.add(NationalClosureDay(day=FRIDAY, name="Helligdag"))
    db.session.commit()
    alma = create_caseworker(job_centre, [unge], name="Alma Andersen")
    bo = create_caseworker(job_centre, [unge, child], name="Bo Berg")
    citizens = [create_citizen(job_centre) for _ in range(8)]
    return SimpleNamespace(job_centre=job_centre, root=root, child=child, unge=unge, alma=alma,
                           bo=bo, citizens=citizens)


def _meeting(document: dict, ident: str) -> dict:
    return next(m for m in document["meetings"] if m["id"] == ident)


# ---------------------------------------------------------------------------
# Building the instance
# ---------------------------------------------------------------------------

def test_r_3_2_instance_resolves_inherited_closure_days_and_busy_time(centre, create_booking, create_room):
    """R-3.2, R-1.3.2, R-2.1: closure days through the team tree, bookings with reporting time, rooms."""
    c = centre
    room = create_room(c.job_centre, capacity=4, teams=[c.child])
    db.session.add(LocalClosureDay(job_centre=c.job_centre, teams=[c.child], name="Flytning",
                                   first_day=THURSDAY, last_day=THURSDAY))
    db.session.add(NationalClosureDay(day=date(2027, 3, 9), name="Anden helligdag"))
    db.session.commit()
    create_booking([c.bo], datetime.combine(TUESDAY, time(9)), minutes=30, reporting_minutes=15,
                   team_id=c.unge.id, now=NOW)
    alma_callin = make_callin(c.unge, c.citizens[0], [c.alma], earliest=date(2027, 2, 20),
                              deadline=date(2027, 3, 12), minutes=45, reporting=15, room_id=room.id)
    bo_callin = make_callin(c.child, c.citizens[1], [c.bo], earliest=THURSDAY, deadline=date(2027, 3, 19),
                            priority=3)

    document = instance.build_instance(c.job_centre.id, now=NOW, horizon_days=14)

    assert optimizer.parse_instance(document).meetings  # a valid exchange document
    assert (document["start_date"], document["end_date"]) == ("2027-03-02", "2027-03-15")
    teams = {t["id"]: set(t["closed_dates"]) for t in document["teams"]}
    # "Unge" inherits the root's staff day and the child's moving day; national days for all.
    assert teams[f"team{c.unge.id}"] == {"2027-03-03", "2027-03-04", "2027-03-05", "2027-03-09"}
    assert teams[f"team{c.child.id}"] == {"2027-03-03", "2027-03-04", "2027-03-05", "2027-03-09"}
    caseworkers = {cw["id"]: cw for cw in document["caseworkers"]}
    # Bo is in two teams but one caseworker: his time cannot be given out twice.
    assert set(caseworkers) == {f"cw{c.alma.id}", f"cw{c.bo.id}"}
    assert caseworkers[f"cw{c.bo.id}"]["working_time"]["0"] == ["07:30", "16:00"]
    assert "5" not in caseworkers[f"cw{c.bo.id}"]["working_time"]
    assert caseworkers[f"cw{c.bo.id}"]["busy"] == [["2027-03-02T09:00", "2027-03-02T09:45"]]
    alma = _meeting(document, f"m{alma_callin.id}")
    assert alma["earliest_date"] == "2027-03-02"  # never before the run's first day
    assert alma["deadline_date"] == "2027-03-12"
    assert (alma["kind"], alma["caseworkers"], alma["rooms"]) == ("individual", [f"cw{c.alma.id}"],
                                                                 [f"room{room.id}"])
    assert (alma["duration_minutes"], alma["reporting_minutes"]) == (45, 15)
    assert _meeting(document, f"m{bo_callin.id}")["priority"] == 3
    # The room is closed on the closure days of its team.
    room_doc = document["rooms"][0]
    assert room_doc["seats"] == 4
    assert room_doc["busy"] == [["2027-03-03T00:00", "2027-03-06T00:00"],
                                ["2027-03-09T00:00", "2027-03-10T00:00"]]


def test_r_3_2_group_callins_become_group_meetings_within_room_seats(centre, create_room):
    """R-3.2, R-1.5.1, R-1.4.3: group call-ins share a meeting with all caseworkers, up to the seats."""
    c = centre
    room = create_room(c.job_centre, capacity=2, accepts_overbooking=True, overbooking_seats=1)
    callins = [make_callin(c.unge, citizen, [c.alma, c.bo], earliest=TUESDAY, deadline=date(2027, 3, 19),
                           minutes=60, group=True, room_id=room.id) for citizen in c.citizens[:5]]
    prepared = instance.prepare(c.job_centre.id, now=NOW)
    groups = [m for m in prepared.document["meetings"] if m["kind"] == "group"]
    assert sorted(m["participants"] for m in groups) == [2, 3]  # capacity 2 + 1 extra seat
    assert all(m["caseworkers"] == [f"cw{c.alma.id}", f"cw{c.bo.id}"] for m in groups)
    assert sorted(i for m in groups for i in prepared.meetings[m["id"]]) == sorted(x.id for x in callins)
    assert sorted(m["priority"] for m in groups) == [2, 3]

    result = planning.run_allocation(c.job_centre.id, now=NOW)
    assert result.placed == 5 and result.placed_meetings == 2
    bookings = list(db.session.scalars(select(Booking)))
    assert all(b.meeting_form == MeetingForm.GROUP and b.seats == 3 for b in bookings)
    assert sorted(len(b.participants) for b in bookings) == [2, 3]
    assert all({link.caseworker_id for link in b.caseworker_links} == {c.alma.id, c.bo.id} for b in bookings)


def test_r_3_2_group_callin_takes_a_free_seat_at_an_existing_group_meeting(centre, create_room,
                                                                          create_booking):
    """R-3.2, R-1.4.3: a seat at a group meeting already in the calendar is used before a new meeting."""
    c = centre
    room = create_room(c.job_centre, capacity=3)
    existing = create_booking([c.alma, c.bo], datetime.combine(THURSDAY + timedelta(days=7), time(10)),
                              minutes=60, citizens=c.citizens[:2], meeting_form=MeetingForm.GROUP,
                              room_id=room.id, team_id=c.unge.id, now=NOW)
    callins = [make_callin(c.unge, citizen, [c.alma, c.bo], earliest=TUESDAY, deadline=date(2027, 3, 19),
                           minutes=60, group=True, room_id=room.id) for citizen in c.citizens[2:5]]
    result = planning.run_allocation(c.job_centre.id, now=NOW)
    assert (result.placed, result.joined, result.placed_meetings) == (3, 1, 1)
    db.session.refresh(existing)
    assert len(existing.participants) == 3  # full: one seat was free
    assert sum(1 for x in callins if db.session.get(CallIn, x.id).booking_id == existing.id) == 1
    assert count(Booking) == 2


# ---------------------------------------------------------------------------
# Running and publishing
# ---------------------------------------------------------------------------

def test_r_3_2_r_3_5_r_1_10_1_run_books_audits_signals_and_logs(centre, create_room):
    """R-3.2: the waiting list is placed; R-3.5: bookings, audit entries and notifications; R-1.10.1: a log entry."""
    c = centre
    callins = [make_callin(c.unge, citizen, [c.alma, c.bo], earliest=TUESDAY, deadline=date(2027, 3, 12),
                           reporting=10) for citizen in c.citizens[:6]]
    signalled: list[tuple[int, str]] = []

    def on_change(booking, *, change, now, **_):
        signalled.append((booking.id, change))

    booking_changed.connect(on_change)
    try:
        result = planning.run_allocation(c.job_centre.id, now=NOW, trigger="cli")
    finally:
        booking_changed.disconnect(on_change)

    assert result.status == "published"
    assert result.placed == 6 and len(result.booking_ids) == 6
    assert result.upper_bound == 6 and result.unplaced == {}
    for callin in callins:
        db.session.refresh(callin)
        assert callin.status == CallInStatus.PLACED and callin.booking_id in result.booking_ids
        booking = db.session.get(Booking, callin.booking_id)
        assert booking.origin == BookingOrigin.CALLED_IN and booking.status == BookingStatus.BOOKED
        assert [p.citizen_id for p in booking.participants] == [callin.citizen_id]
        assert TUESDAY <= booking.starts_at.date() <= callin.deadline_date
        assert booking.starts_at.date() not in (WEDNESDAY, FRIDAY)  # closure days
        assert booking.reporting_minutes == 10
    assert sorted(signalled) == sorted((b, "created") for b in result.booking_ids)
    # what the run itself queued on the signal, not a listener of this test's: one
    # calendar invitation per meeting to its caseworker (the call-in letters, which need a
    # variant's letter rule, are checked for the batch in test_booking_change_event.py).
    queued = db.session.execute(select(OutboxMessage.booking_id, OutboxMessage.kind, OutboxMessage.recipient)
                                .where(OutboxMessage.booking_id.in_(result.booking_ids))).all()
    expected = [(b, "invitation", db.session.get(Booking, b).caseworkers[0].email) for b in result.booking_ids]
    assert sorted(queued) == sorted(expected)
    assert count(AuditEntry, AuditEntry.event == AuditEvent.BOOKING_CREATED) == 6
    assert count(AuditEntry, AuditEntry.event == AuditEvent.CITIZEN_ATTACHED) == 6
    assert_no_overlaps()
    entry = db.session.get(SystemLogEntry, result.log_entry_id)
    assert (entry.category, entry.level, entry.job_centre_id) == ("allocation", LogLevel.INFO, c.job_centre.id)
    assert entry.figures["placed"] == 6 and entry.figures["waiting"] == 6
    assert entry.figures["upper_bound"] == 6 and entry.figures["trigger"] == "cli"
    assert "6 af 6" in entry.message
    assert status.last_run(c.job_centre.id).id == entry.id


def test_r_3_2_deadline_is_never_exceeded(centre):
    """R-3.2: with too little time, the surplus stays waiting; nothing is booked after its deadline."""
    c = centre
    for caseworker in (c.alma, c.bo):
        for working in caseworker.working_times:
            working.start_time, working.end_time = time(9), time(10)
    db.session.commit()
    # Tuesday and Thursday are the only open days before the deadline: 2 caseworkers × 2 hours.
    callins = [make_callin(c.unge, c.citizens[i % 8], [c.alma, c.bo], earliest=TUESDAY,
                           deadline=THURSDAY, minutes=30, priority=2 if i < 3 else 1) for i in range(11)]
    result = planning.run_allocation(c.job_centre.id, now=NOW)
    assert result.placed == 8 and len(result.unplaced) == 3
    for callin in callins:
        db.session.refresh(callin)
        if callin.booking_id is None:
            assert callin.status == CallInStatus.WAITING and callin.unplaced_reason
            assert callin.priority == 1  # the weighted ones go first
        else:
            assert callin.booking.starts_at.date() <= callin.deadline_date
    assert_no_overlaps()
    # The system log names the methods that ran (the floor was short of the bound: the LP ran).
    solver = db.session.get(SystemLogEntry, result.log_entry_id).figures["solver"]
    assert solver.startswith("greedy, lp") and solver == result.solver


def test_r_3_4_unplaced_call_ins_get_danish_reasons(centre, create_caseworker):
    """R-3.4: what cannot be placed stays waiting with a reason a caseworker understands, in Danish."""
    c = centre
    idle = create_caseworker(c.job_centre, [c.unge], name="Ida Ingentid")
    for working in idle.working_times:
        working.start_time = working.end_time = time(0)
    db.session.commit()
    no_time = make_callin(c.unge, c.citizens[0], [idle], earliest=TUESDAY, deadline=date(2027, 3, 15))
    late = make_callin(c.unge, c.citizens[1], [c.alma], earliest=date(2027, 2, 1), deadline=date(2027, 2, 26))
    closed = make_callin(c.unge, c.citizens[2], [c.alma], earliest=WEDNESDAY, deadline=WEDNESDAY)
    result = planning.run_allocation(c.job_centre.id, now=NOW)
    assert result.placed == 0
    reasons = {x.id: db.session.get(CallIn, x.id).unplaced_reason for x in (no_time, late, closed)}
    assert reasons[no_time.id] == ("Ingen ledig tid på 30 minutter for Ida Ingentid "
                                   "mellem 02.03.2027 og 15.03.2027.")
    assert reasons[late.id].startswith("Fristen 26.02.2027 er overskredet")
    assert reasons[closed.id] == "Der er lukket alle dage mellem 03.03.2027 og 03.03.2027."
    assert result.unplaced_by_reason == {"ingen ledig tid": 1, "fristen er overskredet": 1,
                                         "lukket alle dage": 1}
    assert all(db.session.get(CallIn, i).status == CallInStatus.WAITING for i in reasons)


def test_r_3_3_publish_is_all_or_nothing(centre, monkeypatch):
    """R-3.3: an unexpected error while publishing rolls back every booking, audit entry and notification."""
    c = centre
    for citizen in c.citizens[:4]:
        make_callin(c.unge, citizen, [c.alma, c.bo], earliest=TUESDAY, deadline=date(2027, 3, 12))
    real = publish.create_booking
    calls = []

    def failing_on_third(req, **kw):
        calls.append(req)
        if len(calls) == 3:
            raise RuntimeError("mail server exploded")
        return real(req, **kw)

    def on_change(booking, *, now, **_):
        outbox.enqueue(kind="letter", recipient="x@example.dk", subject="s", body_text="b", now=now)

    monkeypatch.setattr(publish, "create_booking", failing_on_third)
    booking_changed.connect(on_change)
    try:
        with pytest.raises(RuntimeError, match="mail server exploded"):
            planning.run_allocation(c.job_centre.id, now=NOW)
    finally:
        booking_changed.disconnect(on_change)
    db.session.expire_all()
    assert len(calls) == 3
    assert count(Booking) == 0
    assert count(AuditEntry) == 0
    assert count(OutboxMessage) == 0
    assert count(CallIn, CallIn.status == CallInStatus.WAITING, CallIn.unplaced_reason.is_(None)) == 4
    failure = db.session.scalar(select(SystemLogEntry).where(SystemLogEntry.category == "allocation"))
    assert failure.level == LogLevel.ERROR and "rullet tilbage" in failure.message
    assert failure.figures["error"] == "RuntimeError"


def _book_during_run(monkeypatch, action):
    """Run `action(prepared, solution)` between solving and publishing, committed like a person's request."""
    real = planning.solve_prepared

    def solve_then_act(prepared, **kw):
        solution = real(prepared, **kw)
        action(prepared, solution)
        db.session.commit()
        return solution

    monkeypatch.setattr(planning, "solve_prepared", solve_then_act)


def test_r_3_3_booking_made_by_a_person_during_the_run_wins(centre, create_booking, monkeypatch):
    """R-3.3: a person books a caseworker's time after the solve; the run re-checks, skips it, keeps the rest."""
    c = centre
    callins = [make_callin(c.unge, citizen, [c.alma], earliest=TUESDAY, deadline=date(2027, 3, 12))
               for citizen in c.citizens[:3]]
    taken: dict = {}

    def person_books(prepared, solution):
        placement = min(solution.placements, key=lambda p: p.start)
        taken["meeting"] = placement.meeting
        taken["booking"] = create_booking([c.alma], placement.start, minutes=30, team_id=c.unge.id,
                                          now=NOW, commit=False)

    _book_during_run(monkeypatch, person_books)
    result = planning.run_allocation(c.job_centre.id, now=NOW)

    assert result.placed == 2 and result.taken_meanwhile == 1
    person = db.session.get(Booking, taken["booking"].id)
    assert person.status == BookingStatus.BOOKED and person.participants == []
    loser = db.session.get(CallIn, int(taken["meeting"][1:]))
    assert loser.status == CallInStatus.WAITING and loser.booking_id is None
    assert loser.unplaced_reason.startswith(f"Tiden {person.starts_at:%d.%m.%Y %H:%M} blev optaget, mens "
                                            "planlægningen kørte")
    assert sum(db.session.get(CallIn, x.id).status == CallInStatus.PLACED for x in callins) == 2
    assert_no_overlaps()
    # The next run (nobody booking meanwhile) places the skipped call-in elsewhere.
    monkeypatch.undo()
    again = planning.run_allocation(c.job_centre.id, now=NOW)
    assert again.placed == 1
    assert db.session.get(CallIn, loser.id).status == CallInStatus.PLACED
    assert_no_overlaps()


def test_r_3_6_the_run_places_a_call_in_after_the_citizens_own_meeting(centre, create_booking):
    """R-3.6: the citizen is with Bo from 07:30 to 08:30 on Tuesday, Alma's first free time; the
    optimiser knows it and places the call-in at 08:30, so publishing refuses nothing."""
    c = centre
    citizen = c.citizens[0]
    create_booking([c.bo], datetime.combine(TUESDAY, time(7, 30)), minutes=60, team_id=c.unge.id,
                   citizens=[citizen], now=NOW)
    callin = make_callin(c.unge, citizen, [c.alma], earliest=TUESDAY, deadline=TUESDAY)
    result = planning.run_allocation(c.job_centre.id, now=NOW)
    placed = db.session.get(CallIn, callin.id)
    assert (result.placed, result.taken_meanwhile) == (1, 0)
    assert placed.status == CallInStatus.PLACED
    assert placed.booking.starts_at == datetime.combine(TUESDAY, time(8, 30))


def test_r_3_6_instance_names_citizens_with_their_bookings_and_seats_taken(centre, create_booking,
                                                                          create_room):
    """R-3.6: each meeting names its citizens; each citizen is busy with their live bookings in
    the horizon (a cancelled one frees the time) and with a group seat this run takes."""
    c = centre
    first, second = c.citizens[:2]
    create_booking([c.bo], datetime.combine(TUESDAY, time(9)), minutes=30, team_id=c.unge.id,
                   citizens=[first], now=NOW)
    cancelled = create_booking([c.bo], datetime.combine(THURSDAY, time(9)), minutes=30, team_id=c.unge.id,
                               citizens=[first], now=NOW)
    cancelled.status = BookingStatus.CANCELLED
    room = create_room(c.job_centre, capacity=3)
    group = create_booking([c.alma, c.bo], datetime.combine(THURSDAY + timedelta(days=7), time(10)),
                           minutes=60, citizens=[c.citizens[7]], meeting_form=MeetingForm.GROUP,
                           room_id=room.id, team_id=c.unge.id, now=NOW)
    db.session.commit()
    one = make_callin(c.unge, first, [c.alma], earliest=TUESDAY, deadline=date(2027, 3, 12))
    two = make_callin(c.unge, first, [c.bo], earliest=TUESDAY, deadline=date(2027, 3, 12))
    seat = make_callin(c.unge, second, [c.alma, c.bo], earliest=TUESDAY, deadline=date(2027, 3, 19),
                       minutes=60, group=True, room_id=room.id)

    prepared = instance.prepare(c.job_centre.id, now=NOW)
    document = prepared.document
    assert prepared.joins == {seat.id: group.id}
    assert document["format"] == 2
    assert _meeting(document, f"m{one.id}")["citizens"] == [f"citizen{first.id}"]
    assert _meeting(document, f"m{two.id}")["citizens"] == [f"citizen{first.id}"]
    citizens = {z["id"]: z["busy"] for z in document["citizens"]}
    assert citizens == {f"citizen{first.id}": [["2027-03-02T09:00", "2027-03-02T09:30"]]}
    parsed = optimizer.parse_instance(document)
    assert parsed.meetings[0].citizens == (f"citizen{first.id}",)
    # No CPR number leaves the database.
    assert first.cpr not in str(document)


def test_r_3_6_two_call_ins_of_one_citizen_are_never_booked_at_once(centre):
    """R-3.6: Alma and Bo are each free only 09:00-09:30 on Tuesday; both call-ins are for one
    citizen, so the run books one and leaves the other waiting (nothing refused at publishing)."""
    c = centre
    for caseworker in (c.alma, c.bo):
        db.session.add(BusyTime(caseworker_id=caseworker.id, starts_at=datetime.combine(TUESDAY, time(0)),
                                ends_at=datetime.combine(TUESDAY, time(9)), source_uid="morning"))
        db.session.add(BusyTime(caseworker_id=caseworker.id, starts_at=datetime.combine(TUESDAY, time(9, 30)),
                                ends_at=datetime.combine(TUESDAY, time(23, 59)), source_uid="rest"))
    db.session.commit()
    citizen = c.citizens[0]
    callins = [make_callin(c.unge, citizen, [who], earliest=TUESDAY, deadline=TUESDAY, minutes=30, reporting=0)
               for who in (c.alma, c.bo)]
    result = planning.run_allocation(c.job_centre.id, now=NOW)
    assert (result.placed, result.taken_meanwhile) == (1, 0)
    states = sorted(db.session.get(CallIn, x.id).status for x in callins)
    assert states == sorted([CallInStatus.PLACED, CallInStatus.WAITING])
    assert_no_overlaps()


def test_r_3_3_call_in_handled_by_a_person_during_the_run_is_left_alone(centre, monkeypatch):
    """R-3.3: a call-in cancelled by a caseworker after the solve is not booked by the run."""
    c = centre
    first = make_callin(c.unge, c.citizens[0], [c.alma], earliest=TUESDAY, deadline=date(2027, 3, 12))
    make_callin(c.unge, c.citizens[1], [c.alma], earliest=TUESDAY, deadline=date(2027, 3, 12))

    def person_cancels(prepared, solution):
        db.session.get(CallIn, first.id).status = CallInStatus.CANCELLED

    _book_during_run(monkeypatch, person_cancels)
    result = planning.run_allocation(c.job_centre.id, now=NOW)
    assert result.placed == 1 and count(Booking) == 1
    assert db.session.get(CallIn, first.id).booking_id is None


def test_r_3_2_dry_run_writes_nothing(centre):
    """R-3.2: `--dry-run` solves and reports the figures, and writes nothing at all."""
    c = centre
    callins = [make_callin(c.unge, citizen, [c.alma], earliest=TUESDAY, deadline=date(2027, 3, 12))
               for citizen in c.citizens[:3]]
    make_callin(c.unge, c.citizens[3], [c.alma], earliest=date(2027, 2, 1), deadline=date(2027, 2, 20))
    before = (count(Booking), count(AuditEntry), count(SystemLogEntry), count(OutboxMessage))
    result = planning.run_allocation(c.job_centre.id, now=NOW, dry_run=True)
    assert result.status == "dry_run" and result.placed == 3 and result.upper_bound == 3
    assert result.unplaced_by_reason == {"fristen er overskredet": 1}
    db.session.expire_all()
    assert (count(Booking), count(AuditEntry), count(SystemLogEntry), count(OutboxMessage)) == before
    assert all(db.session.get(CallIn, x.id).status == CallInStatus.WAITING for x in callins)
    assert count(CallIn, CallIn.unplaced_reason.is_not(None)) == 0


def test_r_3_3_one_allocation_per_job_centre_at_a_time(centre, create_job_centre):
    """R-3.3: while a run holds the job centre, another is refused at once; other job centres run."""
    c = centre
    make_callin(c.unge, c.citizens[0], [c.alma], earliest=TUESDAY, deadline=date(2027, 3, 12))
    other = create_job_centre()
    with lock.allocation_lock(c.job_centre.id) as held:
        assert held
        with pytest.raises(lock.AllocationRunning) as refused:
            planning.run_allocation(c.job_centre.id, now=NOW)
        assert refused.value.message_da == f"Der kører allerede en planlægning for {c.job_centre.name}."
        assert planning.run_allocation(other.id, now=NOW).status == "published"
    assert count(Booking) == 0
    assert planning.run_allocation(c.job_centre.id, now=NOW).placed == 1


def test_r_3_2_nightly_run_happens_once_per_night(centre):
    """R-3.2: a run with tonight's key finds the published one and does nothing."""
    c = centre
    make_callin(c.unge, c.citizens[0], [c.alma], earliest=TUESDAY, deadline=date(2027, 3, 12))
    assert planning.run_allocation(c.job_centre.id, now=NOW, run_key="nightly:2027-03-01").placed == 1
    make_callin(c.unge, c.citizens[1], [c.alma], earliest=TUESDAY, deadline=date(2027, 3, 12))
    again = planning.run_allocation(c.job_centre.id, now=NOW, run_key="nightly:2027-03-01")
    assert again.status == "skipped" and count(Booking) == 1
    assert planning.run_allocation(c.job_centre.id, now=NOW, run_key="nightly:2027-03-02").placed == 1


def test_r_3_2_flask_allocate_places_the_demo_waiting_list(runner):
    """R-3.2, R-3.3: `flask allocate` on `flask seed demo` places the demo's waiting list visibly;
    R-3.6: none of it is refused at publishing for a clash with the citizen's own meeting."""
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    demo = db.session.scalar(select(JobCentre).where(JobCentre.name == DEMO_JOB_CENTRE))
    waiting_ids = list(db.session.scalars(select(CallIn.id).where(
        CallIn.job_centre_id == demo.id, CallIn.status == CallInStatus.WAITING)))
    bookings_before = count(Booking)
    assert len(waiting_ids) >= 25

    dry = runner.invoke(args=["allocate", "--job-centre", DEMO_JOB_CENTRE, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing written" in dry.output and count(Booking) == bookings_before

    result = runner.invoke(args=["allocate", "--job-centre", DEMO_JOB_CENTRE, "--time-limit", "20"])
    assert result.exit_code == 0, result.output
    for label in ("Waiting call-ins", "Placed", "Unplaced", "Upper bound", "Seconds"):
        assert label in result.output
    db.session.expire_all()
    callins = [db.session.get(CallIn, i) for i in waiting_ids]
    placed = [c for c in callins if c.status == CallInStatus.PLACED]
    still_waiting = [c for c in callins if c.status == CallInStatus.WAITING]
    assert len(placed) >= 24 and all(c.unplaced_reason for c in still_waiting)
    assert not any("passer ikke borgeren" in c.unplaced_reason for c in still_waiting)
    assert count(Booking) > bookings_before
    for callin in placed:
        booking = callin.booking
        assert booking.status == BookingStatus.BOOKED
        assert callin.citizen_id in {p.citizen_id for p in booking.participants}
        assert callin.earliest_date <= booking.starts_at.date() <= callin.deadline_date
    entry = status.last_run(demo.id)
    assert entry.figures["placed"] == len(placed) <= entry.figures["upper_bound"]
    assert_no_overlaps(demo.id)

    missing = runner.invoke(args=["allocate", "--job-centre", "Jobcenter Atlantis"])
    assert missing.exit_code != 0 and "No job centre named 'Jobcenter Atlantis'" in missing.output
