"""The availability and booking services on a real database (R-2.1, R-2.2, R-2.4, R-4.4, R-4.7)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import event, func, select

from tests.timehelpers import MONDAY, NOW, at
from webapp.domain.errors import Conflict, DomainError
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, Booking, BookingStatus, Break, BusyTime,
                           LocalClosureDay, MeetingForm, NationalClosureDay, Team)
from webapp.calendar import availability, clashes, closed_days
from webapp.booking.checks import SlotTaken
from webapp.booking.events import booking_changed
from webapp.booking.locks import release_expired_reservations
from webapp.booking.writer import (add_participant, cancel_booking, confirm_reservation, move_booking,
                                   reassign_caseworker)


@pytest.fixture
def centre(create_job_centre, reference_data):
    return create_job_centre()


def test_free_time_subtracts_breaks_bookings_busy_and_inherited_closures(
        centre, create_caseworker, create_team, create_booking):
    """R-2.1, R-1.3.2: one caseworker's free day, every source of busy time at once."""
    root = centre.teams[0] if centre.teams[0].parent_id is None else centre.teams[0].parent
    sub = create_team(centre, parent=root.children[0] if root.children else root)
    cw = create_caseworker(centre, teams=[sub])
    db.session.add(Break(caseworker_id=cw.id, weekday=0, start_time=time(12), end_time=time(12, 30)))
    db.session.add(BusyTime(caseworker_id=cw.id, starts_at=at(MONDAY, 14), ends_at=at(MONDAY, 15),
                            source_uid="x1"))
    db.session.add(LocalClosureDay(job_centre_id=centre.id, teams=[root], name="Flytning",
                                   first_day=MONDAY + timedelta(days=1),
                                   last_day=MONDAY + timedelta(days=1)))
    db.session.add(NationalClosureDay(day=MONDAY + timedelta(days=2), name="Testdag"))
    db.session.commit()
    create_booking([cw], at(MONDAY, 9), minutes=30, reporting_minutes=15, now=NOW)

    free = availability.caseworkers_free([cw.id], MONDAY, MONDAY + timedelta(days=3),
                                         team_id=sub.id, now=NOW)[cw.id]
    assert free == [
        (at(MONDAY, 7, 30), at(MONDAY, 9)),
        (at(MONDAY, 9, 45), at(MONDAY, 12)),
        (at(MONDAY, 12, 30), at(MONDAY, 14)),
        (at(MONDAY, 15), at(MONDAY, 16)),
        # Tuesday: closed on the root team, inherited; Wednesday: national closure day.
        (at(MONDAY + timedelta(days=3), 7, 30), at(MONDAY + timedelta(days=3), 16)),
    ]
    # Without a team the caseworker's own teams' closure days apply: the same answer.
    assert availability.caseworkers_free([cw.id], MONDAY, MONDAY + timedelta(days=3),
                                         now=NOW)[cw.id] == free


def test_room_free_time_and_expired_reservations(centre, create_caseworker, create_room,
                                                 create_booking):
    """R-2.1 rooms; R-4.7 an expired reservation no longer holds time."""
    cw = create_caseworker(centre)
    room = create_room(centre)
    create_booking([cw], at(MONDAY, 10), room_id=room.id, now=NOW,
                   reserve_for=timedelta(minutes=10))
    assert availability.room_free(room.id, MONDAY, MONDAY, now=NOW)[0] == \
        (at(MONDAY, 0), at(MONDAY, 10))
    later = NOW + timedelta(minutes=11)
    assert availability.room_free(room.id, MONDAY, MONDAY, now=later) == \
        [(at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0))]
    assert availability.free_caseworkers_at([cw.id], at(MONDAY, 10), at(MONDAY, 10, 30),
                                            now=later) == [cw.id]
    assert availability.free_caseworkers_at([cw.id], at(MONDAY, 10), at(MONDAY, 10, 30),
                                            now=NOW) == []


@pytest.mark.parametrize("starts, code, words", [
    (at(MONDAY, 6), "outside_working_time", "arbejder ikke"),
    (at(MONDAY, 9, 15), "caseworker_busy", "optaget af samtale nr."),
    (at(MONDAY - timedelta(days=7), 9), "in_the_past", "overstået"),
])
def test_fixed_time_clash_is_named_and_nothing_saved(centre, create_caseworker, create_booking,
                                                     starts, code, words):
    """R-3.1: a fixed time that is not free gives a Danish message naming the clash."""
    cw = create_caseworker(centre)
    create_booking([cw], at(MONDAY, 9), minutes=60, now=NOW)
    before = db.session.scalar(select(func.count()).select_from(Booking))
    with pytest.raises(DomainError) as caught:
        create_booking([cw], starts, now=NOW)
    db.session.rollback()
    assert caught.value.code == code
    assert words in caught.value.message_da
    assert db.session.scalar(select(func.count()).select_from(Booking)) == before


def test_closure_day_is_refused(centre, create_caseworker, create_booking):
    """R-1.3.4: nothing is placed on a closure day."""
    cw = create_caseworker(centre)
    db.session.add(NationalClosureDay(day=MONDAY, name="Testdag"))
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        create_booking([cw], at(MONDAY, 10), now=NOW)
    assert caught.value.code == "closure_day"
    assert "lukkedag" in caught.value.message_da


def test_room_clash_and_group_seats(centre, create_caseworker, create_room, create_citizen,
                                    create_booking):
    """R-1.4.3: one meeting per room at a time; a group seats capacity + overbooking (R-4.4)."""
    a, b = create_caseworker(centre), create_caseworker(centre)
    room = create_room(centre, capacity=2, accepts_overbooking=True, overbooking_seats=1)
    citizens = [create_citizen(centre) for _ in range(4)]
    group = create_booking([a], at(MONDAY, 10), room_id=room.id, meeting_form=MeetingForm.GROUP,
                           citizens=citizens[:2], now=NOW)
    assert group.seats == 3
    with pytest.raises(Conflict) as caught:
        create_booking([b], at(MONDAY, 10, 15), room_id=room.id, now=NOW)
    db.session.rollback()
    assert caught.value.code == "room_busy"
    add_participant(group, citizens[2], now=NOW)
    db.session.commit()
    with pytest.raises(SlotTaken):
        add_participant(group, citizens[3], now=NOW)
    db.session.rollback()
    with pytest.raises(DomainError) as caught:
        create_booking([b], at(MONDAY, 13), room_id=room.id, meeting_form=MeetingForm.GROUP,
                       citizens=citizens, now=NOW)
    assert caught.value.code == "room_too_small"


def test_move_cancel_and_reassign_are_audited_and_signalled(centre, create_caseworker,
                                                            create_citizen, create_booking):
    """R-1.9.1 events of a move, a reassignment and a cancellation; R-1.2.8 reassignment."""
    a, b = create_caseworker(centre), create_caseworker(centre)
    citizen = create_citizen(centre)
    seen: list[str] = []

    def listener(sender, **kw):
        seen.append(kw["change"])

    booking_changed.connect(listener)
    try:
        booking = create_booking([a], at(MONDAY, 9), citizens=[citizen], now=NOW)
        move_booking(booking, starts_at=at(MONDAY, 11), now=NOW)
        assert (booking.starts_at, booking.caseworker_links[0].starts_at) == \
            (at(MONDAY, 11), at(MONDAY, 11))
        assert booking.ics_sequence == 1
        reassign_caseworker(booking, a.id, b.id, now=NOW)
        assert [link.caseworker_id for link in booking.caseworker_links] == [b.id]
        cancel_booking(booking, reason="Syg", now=NOW)
        db.session.commit()
    finally:
        booking_changed.disconnect(listener)
    assert seen == ["created", "moved", "moved", "cancelled"]
    events = [e.event for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.booking_id == booking.id).order_by(AuditEntry.id))]
    assert events == [
        AuditEvent.BOOKING_CREATED, AuditEvent.CASEWORKER_ATTACHED, AuditEvent.CITIZEN_ATTACHED,
        AuditEvent.BOOKING_BEING_MOVED_BY_JOB_CENTRE, AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE,
        AuditEvent.BOOKING_BEING_MOVED_BY_JOB_CENTRE, AuditEvent.CASEWORKER_DETACHED,
        AuditEvent.CASEWORKER_ATTACHED, AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE,
        AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE,
    ]
    # The cancelled booking's time is free again at once.
    assert availability.free_caseworkers_at([b.id], at(MONDAY, 11), at(MONDAY, 11, 30),
                                            now=NOW) == [b.id]


def test_reservation_confirm_and_expiry(centre, create_caseworker, create_booking):
    """R-4.7: reserve, then confirm; an expired hold is released and cannot be confirmed."""
    cw = create_caseworker(centre)
    hold = create_booking([cw], at(MONDAY, 9), now=NOW, reserve_for=timedelta(minutes=5))
    assert hold.status == BookingStatus.RESERVED
    confirm_reservation(hold, now=NOW + timedelta(minutes=4))
    assert hold.status == BookingStatus.BOOKED
    db.session.commit()

    late = create_booking([cw], at(MONDAY, 10), now=NOW, reserve_for=timedelta(minutes=5))
    later = NOW + timedelta(minutes=6)
    with pytest.raises(SlotTaken):
        confirm_reservation(late, now=later)
    db.session.rollback()
    # Someone else may take the expired hold's time: it is released under the lock.
    other = create_booking([cw], at(MONDAY, 10), now=later)
    assert other.status == BookingStatus.BOOKED
    assert db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.status == BookingStatus.RESERVED)) == 0
    assert release_expired_reservations(later) == 0


def test_moving_onto_a_taken_time_is_refused(centre, create_caseworker, create_booking):
    """R-2.4: a move re-checks the target time."""
    cw = create_caseworker(centre)
    first = create_booking([cw], at(MONDAY, 9), now=NOW)
    create_booking([cw], at(MONDAY, 10), now=NOW)
    with pytest.raises(Conflict):
        move_booking(first, starts_at=at(MONDAY, 10, 15), now=NOW)
    db.session.rollback()
    assert db.session.get(Booking, first.id).starts_at == at(MONDAY, 9)


def test_team_chain_includes_every_ancestor(centre, create_team):
    """R-1.3.2: closure days are inherited down the whole tree."""
    root = db.session.scalars(select(Team).where(Team.job_centre_id == centre.id,
                                                 Team.parent_id.is_(None))).one()
    child = create_team(centre, parent=root)
    grandchild = create_team(centre, parent=child)
    assert closed_days.team_chain_ids([grandchild.id]) == {root.id, child.id, grandchild.id}


def test_a_citizen_cannot_attend_two_meetings_at_once(centre, create_caseworker, create_citizen,
                                                      create_booking):
    """R-3.1: the second meeting at the same time names the citizen's first one."""
    a, b = create_caseworker(centre), create_caseworker(centre)
    citizen = create_citizen(centre)
    first = create_booking([a], at(MONDAY, 9), citizens=[citizen], now=NOW)
    with pytest.raises(Conflict) as caught:
        create_booking([b], at(MONDAY, 9, 15), citizens=[citizen], now=NOW)
    db.session.rollback()
    assert caught.value.code == "citizen_busy"
    assert f"samtale nr. {first.id}" in caught.value.message_da
    assert create_booking([b], at(MONDAY, 9, 30), citizens=[citizen], now=NOW).id


def test_an_expired_seat_hold_is_a_free_seat(centre, create_caseworker, create_room,
                                             create_citizen, create_booking):
    """R-4.7: a seat held past its time counts as free again."""
    from webapp.models import BookingParticipant
    from webapp.booking.writer import seats_left

    cw = create_caseworker(centre)
    room = create_room(centre, capacity=2)
    first, second = create_citizen(centre), create_citizen(centre)
    group = create_booking([cw], at(MONDAY, 10), room_id=room.id, meeting_form=MeetingForm.GROUP,
                           citizens=[first], now=NOW)
    group.participants.append(BookingParticipant(citizen_id=second.id,
                                                 reserved_until=NOW + timedelta(minutes=5)))
    db.session.commit()
    assert seats_left(group, NOW) == 0
    assert seats_left(group, NOW + timedelta(minutes=6)) == 1


def test_r_2_4_r_4_7_one_query_under_the_lock_finds_every_obstacle(
        centre, create_caseworker, create_citizen, create_booking):
    """R-2.1, R-2.4, R-4.7: the check under the lock for a time whose working hours were just
    checked: bookings, own-calendar busy time and the citizen's meetings in the way, by
    caseworker name, and the expired holds to delete; the reservations still live hold."""
    anna = create_caseworker(centre, name="Anna")
    bo = create_caseworker(centre, name="Bo")
    citizen = create_citizen(centre)
    booked = create_booking([bo], at(MONDAY, 9), now=NOW)
    attending = create_booking([create_caseworker(centre)], at(MONDAY, 9, 30), citizens=[citizen],
                               now=NOW)
    expired = create_booking([anna], at(MONDAY, 9), now=NOW, reserve_for=timedelta(minutes=5))
    live = create_booking([anna], at(MONDAY, 11), now=NOW, reserve_for=timedelta(hours=1))
    db.session.add(BusyTime(caseworker_id=anna.id, starts_at=at(MONDAY, 9, 15),
                            ends_at=at(MONDAY, 9, 45), source_uid="o1"))
    db.session.commit()
    later = NOW + timedelta(minutes=10)

    found = clashes.meeting_obstacles([bo, anna], [citizen.id], at(MONDAY, 9),
                                           at(MONDAY, 10), at(MONDAY, 10), now=later)
    assert [c.message_en for c in found.caseworkers] == [
        "Anna is busy in their own calendar 01.03.2027 09:15–09:45.",
        f"Bo is busy with meeting no. {booked.id} 01.03.2027 09:00–09:30.",
    ]
    assert [(c.code, c.message_en) for c in found.citizens] == [
        ("citizen_busy", f"The citizen already has meeting no. {attending.id} 01.03.2027 09:30–10:00.")]
    assert found.expired_holds == {expired.id}
    # Before it expired, the hold was in the way itself.
    assert len(clashes.meeting_obstacles([anna], [], at(MONDAY, 9), at(MONDAY, 10),
                                              at(MONDAY, 10), now=NOW).caseworkers) == 2
    # The booking moved out of the way is not in its own way.
    assert clashes.meeting_obstacles([bo], [], at(MONDAY, 9), at(MONDAY, 10), at(MONDAY, 10),
                                          now=later, ignore_booking_ids=[booked.id]).caseworkers == []
    assert live.id not in found.expired_holds


def test_r_4_3_free_caseworkers_by_the_days_load(centre, create_caseworker, create_booking):
    """R-2.1, R-4.3: who is free at a start, fewest live meetings that day first, ties in the
    given order; own-calendar busy time and bookings in the way leave a caseworker out."""
    anna, bo, carl, dora, eva = (create_caseworker(centre, name=n)
                                 for n in ("Anna", "Bo", "Carl", "Dora", "Eva"))
    team = anna.memberships[0].team_id
    db.session.add(BusyTime(caseworker_id=dora.id, starts_at=at(MONDAY, 10, 15),
                            ends_at=at(MONDAY, 10, 45), source_uid="d1"))
    db.session.commit()
    create_booking([anna], at(MONDAY, 8), now=NOW)
    create_booking([anna], at(MONDAY, 13), now=NOW)
    create_booking([bo], at(MONDAY, 14), now=NOW)
    create_booking([carl], at(MONDAY + timedelta(days=1), 9), now=NOW)       # another day
    cancelled = create_booking([carl], at(MONDAY, 9), now=NOW)
    cancel_booking(cancelled, now=NOW)
    create_booking([eva], at(MONDAY, 10, 15), now=NOW)                         # in the way
    db.session.commit()
    ids = [anna.id, bo.id, carl.id, dora.id, eva.id]

    ordered = availability.free_caseworkers_at(ids, at(MONDAY, 10), at(MONDAY, 10, 30),
                                               team_id=team, now=NOW, by_day_load=True)
    assert ordered == [carl.id, bo.id, anna.id]
    assert availability.free_caseworkers_at(ids, at(MONDAY, 10), at(MONDAY, 10, 30),
                                            team_id=team, now=NOW) == [anna.id, bo.id, carl.id]


def test_r_2_4_a_new_booking_is_held_by_the_session_as_written(centre, create_caseworker,
                                                               create_citizen, create_booking):
    """R-2.4: the booking, its caseworkers' time and its participants, as the session holds
    them right after booking (one statement on PostgreSQL), are what the database holds;
    reading them reads nothing back from the database and leaves nothing to flush."""
    anna, bo = create_caseworker(centre, name="Anna"), create_caseworker(centre, name="Bo")
    first, second = create_citizen(centre), create_citizen(centre)
    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    def held(booking):
        return ({c.key: getattr(booking, c.key) for c in Booking.__table__.c},
                sorted((link.caseworker_id, link.caseworker.name, link.starts_at, link.busy_until,
                        link.blocking, link.booking is booking)
                       for link in booking.caseworker_links),
                sorted((p.id, p.citizen_id, p.reserved_until, p.created_at, p.booking is booking)
                       for p in booking.participants))
    connection = db.session.connection()
    event.listen(connection, "before_cursor_execute", note)
    try:
        booking = create_booking([anna, bo], at(MONDAY, 9), citizens=[first, second], minutes=45,
                                 reporting_minutes=15, now=NOW, commit=False)
        as_written = held(booking)
        assert not db.session.dirty and not db.session.new
    finally:
        event.remove(connection, "before_cursor_execute", note)
    # A refresh of expired attributes, or a lazy load of the booking's rows:
    reads_back = [s for s in statements if "FROM bookings \nWHERE bookings.id = " in s
                  or "= booking_caseworkers.booking_id" in s
                  or "= booking_participants.booking_id" in s]
    assert reads_back == []
    db.session.commit()
    db.session.expire_all()
    assert held(db.session.get(Booking, booking.id)) == as_written
    assert as_written[0]["status"] == BookingStatus.BOOKED and as_written[0]["ics_sequence"] == 0
    assert [link[3] for link in as_written[1]] == [at(MONDAY, 10)] * 2
