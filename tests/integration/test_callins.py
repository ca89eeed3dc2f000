"""Call-ins, the waiting list, and moving and cancelling by the job centre (R-3.1, R-1.5.x, R-1.9.1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.workspace_setup import MONDAY, NOW, add_local_closure, at, build_workspace
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, Booking, BookingStatus, CallIn, CallInStatus,
                           DeadlineMode, Distribution, Letter, MeetingForm, OutboxMessage)
from webapp.callins import calling as callins
from webapp.callins import moves
from webapp.callins.calling import CallInInput, create_callins, from_template


@pytest.fixture
def ws(app, reference_data):
    return build_workspace()


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (CallIn, Booking, Letter, OutboxMessage, AuditEntry)}


def _fixed(ws, cprs, starts_at, **changes) -> CallInInput:
    data = from_template(ws.templates["fixed"], today=NOW.date())
    return replace(data, cprs=cprs, starts_at=starts_at, **changes)


def test_template_prefills_every_field_and_each_stays_editable(ws):
    """R-1.5.4, R-1.5.2, R-1.5.3: the template fills the call-in; the caller may change any field."""
    template = ws.templates["auto"]
    data = from_template(template, today=NOW.date())
    assert data.conversation_type_id == template.conversation_type_id
    assert data.variant_id == ws.variant.id
    assert data.holding_form_id == ws.forms["in_person"].id
    assert data.team_id == ws.team.id
    assert list(data.caseworker_ids) == [ws.anna.id, ws.bo.id]
    assert (data.duration_minutes, data.reporting_minutes) == (30, 15)
    assert data.distribution == Distribution.AUTOMATIC
    assert data.earliest_date == NOW.date() + timedelta(days=3)
    assert data.deadline_date == NOW.date() + timedelta(days=14)
    assert data.message_to_caseworkers == "Husk CV'et."
    edited = replace(data, cprs=[ws.citizens[0].cpr], duration_minutes=50,
                     caseworker_ids=[ws.bo.id], earliest_date=MONDAY + timedelta(days=2))
    result = create_callins(edited, now=NOW, actor=ws.user)
    db.session.commit()
    callin = result.callins[0]
    assert callin.duration_minutes == 50
    assert [cw.id for cw in callin.caseworkers] == [ws.bo.id]
    assert callin.earliest_date == MONDAY + timedelta(days=2)


def test_automatic_call_in_goes_to_the_waiting_list(ws):
    """R-3.1, R-1.5.3: automatic distribution puts each citizen on the waiting list with its window."""
    data = replace(from_template(ws.templates["auto"], today=NOW.date()),
                   cprs=[c.cpr for c in ws.citizens[:3]])
    result = create_callins(data, now=NOW, actor=ws.user)
    db.session.commit()
    assert len(result.callins) == 3 and result.bookings == []
    assert {c.status for c in result.callins} == {CallInStatus.WAITING}
    assert {(c.earliest_date, c.deadline_date) for c in result.callins} == {
        (date(2027, 3, 1), date(2027, 3, 12))}
    waiting = callins.waiting_list(ws.job_centre.id, [ws.team.id])
    assert [c.citizen.name for c in waiting] == ["Borger 1", "Borger 2", "Borger 3"]
    created = db.session.scalars(select(AuditEntry).where(
        AuditEntry.event == AuditEvent.CALL_IN_CREATED)).all()
    assert sorted(e.citizen_id for e in created) == sorted(c.id for c in ws.citizens[:3])
    assert all(e.user_id == ws.user.id for e in created)


@pytest.mark.parametrize("mode, days, fall, expected", [
    (DeadlineMode.FALL_DATE, None, date(2027, 3, 20), date(2027, 3, 20)),
    (DeadlineMode.DAYS_BEFORE_FALL_DATE, 5, date(2027, 3, 20), date(2027, 3, 15)),
    (DeadlineMode.DAYS_AFTER_CREATION, 10, None, date(2027, 3, 8)),
])
def test_deadline_follows_the_deadline_setting(ws, mode, days, fall, expected):
    """R-1.5.2: deadline = fall date, N days before the fall date, or N days after creation."""
    data = replace(from_template(ws.templates["fall"], today=NOW.date()), cprs=[ws.citizens[0].cpr],
                   deadline_mode=mode, deadline_days=days, fall_date=fall, deadline_date=None)
    callin = create_callins(data, now=NOW, actor=ws.user).callins[0]
    assert callin.deadline_date == expected
    assert callin.fall_date == fall


def test_fixed_time_books_at_once_with_audit_letter_and_invitation(ws):
    """R-3.1, R-3.5, R-1.9.1: a free fixed time is booked at once; audit, letter and invitation follow."""
    citizen = ws.citizens[0]
    result = create_callins(_fixed(ws, [citizen.cpr], at(MONDAY, 9)), now=NOW, actor=ws.user)
    db.session.commit()
    booking = result.bookings[0]
    assert (booking.starts_at, booking.ends_at) == (at(MONDAY, 9), at(MONDAY, 9, 30))
    assert booking.status == BookingStatus.BOOKED and booking.room_id == ws.room.id
    assert [cw.id for cw in booking.caseworkers] == [ws.anna.id]
    assert booking.message_to_caseworkers == "Ring på."
    callin = result.callins[0]
    assert callin.status == CallInStatus.PLACED and callin.booking_id == booking.id
    events = {e.event for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.booking_id == booking.id))}
    assert {AuditEvent.CALL_IN_CREATED, AuditEvent.BOOKING_CREATED, AuditEvent.CASEWORKER_ATTACHED,
            AuditEvent.CITIZEN_ATTACHED} <= events
    assert db.session.scalar(select(func.count()).select_from(Letter)) == 1
    kinds = sorted(m.kind for m in db.session.scalars(select(OutboxMessage)))
    assert kinds == ["invitation", "letter"]


def test_fixed_time_clash_names_the_clash_and_the_next_free_times(ws, create_booking):
    """R-3.1: a taken time is refused with a Danish message naming the clash and the next free times."""
    create_booking([ws.anna], at(MONDAY, 9), minutes=60, now=NOW, team_id=ws.team.id)
    before = _counts()
    with pytest.raises(DomainError) as caught:
        create_callins(_fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 9, 30)), now=NOW, actor=ws.user)
    db.session.rollback()
    message = caught.value.message_da
    assert "Anna Andersen er optaget af samtale nr." in message
    assert "Næste ledige tider: 01.03.2027 kl. 10:00 (Anna Andersen)" in message
    assert _counts() == before


def test_several_citizens_at_a_fixed_time_are_booked_back_to_back(ws):
    """R-3.1, R-1.5.1: individual meetings, one caseworker each, one after the other."""
    data = _fixed(ws, [c.cpr for c in ws.citizens[:3]], at(MONDAY, 10), room_id=None,
                  caseworker_ids=[ws.anna.id, ws.bo.id])
    result = create_callins(data, now=NOW, actor=ws.user)
    starts = [b.starts_at for b in result.bookings]
    assert starts == [at(MONDAY, 10), at(MONDAY, 10, 30), at(MONDAY, 11)]
    assert all(len(b.caseworkers) == 1 for b in result.bookings)


def test_group_meeting_seats_up_to_capacity_plus_overbooking_then_more_sessions(ws, create_booking):
    """R-1.5.1, R-1.4.3: all template caseworkers on each session; 3 seats, 5 citizens: two sessions."""
    # The next session must wait for the room and both caseworkers: Bo is busy 11:00-12:00.
    create_booking([ws.bo], at(MONDAY, 11), minutes=60, now=NOW, team_id=ws.team.id)
    data = replace(from_template(ws.templates["group"], today=NOW.date()),
                   cprs=[c.cpr for c in ws.citizens[:5]], starts_at=at(MONDAY, 9))
    result = create_callins(data, now=NOW, actor=ws.user)
    db.session.commit()
    first, second = result.bookings
    assert first.meeting_form == MeetingForm.GROUP and first.seats == 3
    assert len(first.participants) == 3 and len(second.participants) == 2
    assert {cw.id for cw in first.caseworkers} == {cw.id for cw in second.caseworkers} \
        == {ws.anna.id, ws.bo.id}
    # 9:00-10:00 + 15 min. reporting; Bo busy 11-12, lunch 12-12:30: next free start 12:30.
    assert second.starts_at == at(MONDAY, 12, 30)
    assert {c.booking_id for c in result.callins} == {first.id, second.id}


def _bad_inputs():
    """(id, build CallInInput from ws, expected Danish text)."""
    return [
        ("unknown_cpr", lambda ws: _fixed(ws, ["0707861007"], at(MONDAY, 9)),
         "CPR-nummeret 070786-**** findes ikke i CPR-registeret. Tjek nummeret; der er ikke gemt noget."),
        ("invalid_cpr", lambda ws: _fixed(ws, ["3213801234"], at(MONDAY, 9)),
         "er ikke en gyldig dato"),
        ("short_cpr_in_list", lambda ws: _fixed(ws, [ws.citizens[0].cpr, "12345"], at(MONDAY, 9)),
         "CPR-nummer 2 på listen: Et CPR-nummer har 10 cifre"),
        ("outside_working_time", lambda ws: _fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 16, 30)),
         "Anna Andersen arbejder ikke 01.03.2027 16:30–17:00"),
        ("in_the_break", lambda ws: _fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 12)),
         "arbejder ikke 01.03.2027 12:00–12:30"),
        ("closure_day", lambda ws: _fixed(ws, [ws.citizens[0].cpr], at(MONDAY + timedelta(days=1), 9)),
         "02.03.2027 er en lukkedag."),
        ("room_too_small", lambda ws: replace(
            from_template(ws.templates["group"], today=NOW.date()),
            cprs=[c.cpr for c in ws.citizens[:2]], starts_at=at(MONDAY, 9), room_id=ws.small_room.id,
            more_sessions=False),
         "Lokalet Lille rum har kun plads til 1 borgere."),
        ("deadline_before_earliest", lambda ws: replace(
            from_template(ws.templates["auto"], today=NOW.date()), cprs=[ws.citizens[0].cpr],
            earliest_date=MONDAY + timedelta(days=7), deadline_date=MONDAY),
         "Fristen for afholdelse (01.03.2027) ligger før tidligste samtaledato (08.03.2027)."),
        ("fall_date_missing", lambda ws: replace(
            from_template(ws.templates["fall"], today=NOW.date()), cprs=[ws.citizens[0].cpr]),
         "Fristen for afholdelse regnes ud fra falddatoen: angiv en falddato."),
        ("same_citizen_twice", lambda ws: replace(
            from_template(ws.templates["auto"], today=NOW.date()),
            cprs=[ws.citizens[0].cpr, "010180-1001"]),
         "står to gange på listen"),
        ("no_caseworker", lambda ws: _fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 9), caseworker_ids=[]),
         "Vælg mindst én vejleder."),
        ("fixed_time_missing", lambda ws: _fixed(ws, [ws.citizens[0].cpr], None),
         "Vælg dato og klokkeslæt for samtalen."),
    ]


@pytest.mark.parametrize("build, expected", [(b, e) for _, b, e in _bad_inputs()],
                         ids=[i for i, _, _ in _bad_inputs()])
def test_bad_call_in_is_refused_in_danish_and_nothing_is_saved(ws, build, expected):
    """R-3.1, R-1.5.2, R-1.4.3, R-1.3.4, R-1.2.5: each bad input gets a clear Danish message; nothing saved."""
    add_local_closure(ws, MONDAY + timedelta(days=1))
    before = _counts()
    with pytest.raises(DomainError) as caught:
        create_callins(build(ws), now=NOW, actor=ws.user)
    db.session.rollback()
    assert expected in caught.value.message_da
    assert caught.value.message_en and caught.value.message_en != caught.value.message_da
    assert _counts() == before


@pytest.mark.parametrize("first_way", ["waiting", "booked"])
def test_a_citizen_cannot_be_called_in_twice_to_the_same_conversation(ws, first_way):
    """R-3.1: an open call-in or a coming meeting of the same type refuses a second call-in."""
    citizen = ws.citizens[0]
    if first_way == "waiting":
        first = replace(from_template(ws.templates["auto"], today=NOW.date()), cprs=[citizen.cpr])
    else:
        first = _fixed(ws, [citizen.cpr], at(MONDAY, 9))
    create_callins(first, now=NOW, actor=ws.user)
    db.session.commit()
    before = _counts()
    again = replace(from_template(ws.templates["auto"], today=NOW.date()), cprs=[citizen.cpr])
    with pytest.raises(DomainError) as caught:
        create_callins(again, now=NOW, actor=ws.user)
    db.session.rollback()
    expected = "står på afventerlisten" if first_way == "waiting" else "har allerede samtale nr."
    assert "Borger 1 (010180-****)" in caught.value.message_da
    assert expected in caught.value.message_da
    assert _counts() == before


def test_move_proposals_come_from_free_time_and_moving_writes_the_audit_events(ws):
    """R-1.9.1, R-2.2: proposals are free times; a move to another caseworker is audited in full."""
    booking = create_callins(_fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 9), room_id=None),
                             now=NOW, actor=ws.user).bookings[0]
    db.session.commit()
    proposals = moves.move_proposals(booking, now=NOW)
    # Anna's own next free times first (after her Friday lunch break), then the team's.
    assert [p.starts_at for p in proposals[:3]] == [at(NOW.date(), 12, 30), at(NOW.date(), 12, 45),
                                                    at(NOW.date(), 13)]
    assert proposals[0].caseworker_ids == (ws.anna.id,)
    assert {p.caseworker_ids[0] for p in proposals} == {ws.anna.id, ws.bo.id, ws.carl.id}
    moves.move_by_job_centre(booking, starts_at=at(MONDAY, 14), caseworker_id=ws.bo.id, now=NOW,
                               actor=ws.user)
    db.session.commit()
    assert booking.starts_at == at(MONDAY, 14) and [cw.id for cw in booking.caseworkers] == [ws.bo.id]
    events = [e.event for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.booking_id == booking.id).order_by(AuditEntry.id))]
    assert events[-4:] == [AuditEvent.BOOKING_BEING_MOVED_BY_JOB_CENTRE,
                           AuditEvent.CASEWORKER_DETACHED, AuditEvent.CASEWORKER_ATTACHED,
                           AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE]
    letters = db.session.scalars(select(Letter).where(Letter.booking_id == booking.id)).all()
    assert [letter.activity.value for letter in letters] == ["call_in", "move"]


def test_moving_to_a_caseworker_outside_the_team_is_refused(ws, create_caseworker):
    """R-1.9.1, R-1.2.4: the job centre moves only to the meeting team's caseworkers."""
    outsider = create_caseworker(ws.job_centre, teams=[ws.team.parent])
    booking = create_callins(_fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 9)), now=NOW,
                             actor=ws.user).bookings[0]
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        moves.move_by_job_centre(booking, starts_at=at(MONDAY, 10), caseworker_id=outsider.id,
                                   now=NOW, actor=ws.user)
    assert caught.value.message_da == "Vejlederen hører ikke til samtalens team."


def test_cancel_needs_a_reason_closes_the_call_in_and_is_audited(ws):
    """R-1.9.1: cancelled by the job centre, with the reason; the call-in is closed with it."""
    result = create_callins(_fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 9)), now=NOW, actor=ws.user)
    db.session.commit()
    booking = result.bookings[0]
    with pytest.raises(DomainError) as caught:
        moves.cancel_by_job_centre(booking, reason="  ", now=NOW, actor=ws.user)
    assert caught.value.message_da == "Skriv en begrundelse for aflysningen."
    db.session.rollback()
    moves.cancel_by_job_centre(booking, reason="Vejlederen er syg", now=NOW, actor=ws.user)
    db.session.commit()
    assert booking.status == BookingStatus.CANCELLED and booking.cancel_reason == "Vejlederen er syg"
    assert result.callins[0].status == CallInStatus.CANCELLED
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.event == AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE)).one()
    assert entry.details == "Vejlederen er syg" and entry.user_id == ws.user.id
