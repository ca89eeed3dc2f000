"""Absence and re-planning the meetings it hits (R-6.4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.planning_support import assert_no_overlaps, make_callin
from tests.workspace_setup import MONDAY, NOW, at, build_workspace
from webapp.calendar import absences
from webapp.calendar.absences import AbsenceInput
from webapp.calendar.availability import caseworkers_free
from webapp.callins import moves
from webapp.callins.calling import create_callins, from_template
from webapp.domain.errors import Conflict, DomainError, NotFound
from webapp.extensions import db
from webapp.booking.checks import MeetingRequest
from webapp.booking.writer import create_booking
from webapp.models import (Absence, AuditEntry, AuditEvent, Booking, BookingOrigin, BookingStatus,
                           CallIn, CallInStatus, DeadlineStatus, Letter, LetterActivity,
                           OutboxMessage, SelfBookingDeadline)
from webapp.planning import replan
from webapp.planning.instance import build_instance

TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
def ws(app, reference_data):
    return build_workspace()


def _book(ws, citizen, start, caseworker=None, **changes):
    data = replace(from_template(ws.templates["fixed"], today=NOW.date()), cprs=[citizen.cpr],
                   starts_at=start, room_id=None,
                   caseworker_ids=[(caseworker or ws.anna).id], **changes)
    booking = create_callins(data, now=NOW, actor=ws.user).bookings[0]
    db.session.commit()
    return booking


def _away(ws, caseworker, first, last=None, *, actor=None, **changes):
    data = AbsenceInput(caseworker_id=caseworker.id, kind="sickness", first_day=first,
                        last_day=last or first)
    absence = absences.register(ws.job_centre.id, replace(data, **changes), actor=actor or ws.admin)
    db.session.commit()
    return absence


def _counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Booking, CallIn, Letter, OutboxMessage, AuditEntry, Absence)}


# ---------------------------------------------------------------------------
# Blocking time (R-6.4 with)
# ---------------------------------------------------------------------------

def test_absence_blocks_free_time_fixed_bookings_proposals_and_the_optimiser_R_6_4(ws):
    """R-6.4: an absence blocks availability like a closure, for every caller of R-2.2."""
    _away(ws, ws.anna, MONDAY)
    free = caseworkers_free([ws.anna.id, ws.bo.id], MONDAY, MONDAY)
    assert free[ws.anna.id] == []
    assert free[ws.bo.id]
    with pytest.raises(Conflict) as refused:
        _book(ws, ws.citizens[0], at(MONDAY, 10))
    assert "fraværende" in refused.value.message_da and "01.03.2027" in refused.value.message_da
    assert "absent" in refused.value.message_en
    db.session.rollback()
    booking = _book(ws, ws.citizens[0], at(TUESDAY, 10))
    proposals = moves.move_proposals(booking, now=NOW)
    assert not any(p.starts_at.date() == MONDAY and ws.anna.id in p.caseworker_ids for p in proposals)
    make_callin(ws.team, ws.citizens[1], [ws.anna], earliest=MONDAY, deadline=TUESDAY)
    busy = {c["id"]: c["busy"] for c in build_instance(ws.job_centre.id, now=NOW)["caseworkers"]}
    assert ["2027-03-01T00:00", "2027-03-02T00:00"] in busy.get(f"cw{ws.anna.id}", [])


def test_part_of_a_day_blocks_only_that_part_R_6_4(ws):
    """R-6.4: part of a day: 09:00–12:00 is blocked, the afternoon is free."""
    _away(ws, ws.anna, None, whole_days=False, starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 12))
    free = caseworkers_free([ws.anna.id], MONDAY, MONDAY)[ws.anna.id]
    assert free[0] == (at(MONDAY, 8), at(MONDAY, 9))
    assert (at(MONDAY, 12, 30), at(MONDAY, 16)) in free
    assert _book(ws, ws.citizens[0], at(MONDAY, 13)).starts_at == at(MONDAY, 13)


# ---------------------------------------------------------------------------
# Validation and tenancy
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("changes, code", [
    ({"last_day": MONDAY - timedelta(days=1)}, "absence_end_before_start"),
    ({"whole_days": False, "starts_at": at(MONDAY, 12), "ends_at": at(MONDAY, 9)},
     "absence_end_before_start"),
    ({"whole_days": False, "starts_at": None, "ends_at": at(MONDAY, 9)}, "absence_times_missing"),
    ({"first_day": None}, "absence_times_missing"),
    ({"kind": "flu"}, "absence_kind_missing"),
    ({"last_day": MONDAY + timedelta(days=400)}, "absence_too_long"),
    ({"note": "x" * 201}, "absence_note_too_long"),
])
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing_R_6_4(ws, changes, code):
    """R-6.4: end before start and other bad input: a Danish and English message, nothing saved."""
    before = _counts()
    with pytest.raises(DomainError) as refused:
        _away(ws, ws.anna, MONDAY, **changes)
    assert refused.value.code == code
    assert refused.value.message_da and refused.value.message_en != refused.value.message_da
    db.session.rollback()
    assert _counts() == before


def test_other_job_centres_caseworker_and_someone_elses_absence_are_refused_R_6_4(ws):
    """R-6.4: tenancy; a caseworker registers only their own absence, an administrator anyone's."""
    other = build_workspace("Jobcenter Andetsted", cprs=["0707861007"])
    with pytest.raises(DomainError) as refused:
        _away(ws, other.anna, MONDAY)
    assert refused.value.code == "absence_caseworker_unknown"
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        _away(ws, ws.bo, MONDAY, actor=ws.user)  # Anna's login, Bo's absence
    assert refused.value.code == "absence_not_own"
    db.session.rollback()
    own = _away(ws, ws.anna, MONDAY, actor=ws.user)
    bos = _away(ws, ws.bo, MONDAY, actor=ws.admin)
    with pytest.raises(NotFound):
        absences.get(ws.job_centre.id, bos.id, actor=ws.user)
    with pytest.raises(NotFound):
        absences.get(other.job_centre.id, own.id, actor=other.admin)
    with pytest.raises(DomainError) as refused:
        absences.change(bos, AbsenceInput(ws.bo.id, "holiday", first_day=MONDAY, last_day=MONDAY),
                        actor=ws.user)
    assert refused.value.code == "absence_not_own"
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        _away(ws, ws.anna, MONDAY, TUESDAY)
    assert refused.value.code == "absence_overlaps" and "01.03.2027" in refused.value.message_da


def test_register_change_and_remove_are_audited_R_6_4(ws):
    """R-6.4, R-1.9.1: every change of an absence is in the audit trail, with who and what."""
    absence = _away(ws, ws.anna, MONDAY)
    absences.change(absence, AbsenceInput(ws.anna.id, "course", first_day=MONDAY, last_day=TUESDAY),
                    actor=ws.admin)
    db.session.commit()
    absences.remove(absence, actor=ws.admin)
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.caseworker_id == ws.anna.id)
                                 .order_by(AuditEntry.id)).all()
    assert [e.event for e in entries] == [AuditEvent.ABSENCE_REGISTERED, AuditEvent.ABSENCE_CHANGED,
                                          AuditEvent.ABSENCE_REMOVED]
    assert all(e.user_id == ws.admin.id for e in entries)
    assert entries[1].before["kind"] == "sickness" and entries[1].after["kind"] == "course"
    assert entries[2].details == "Kursus 01.03.2027–02.03.2027"
    assert db.session.get(Absence, absence.id) is None


# ---------------------------------------------------------------------------
# Re-planning
# ---------------------------------------------------------------------------

def _three_meetings(ws):
    return [_book(ws, ws.citizens[i], at(MONDAY, 9 + i)) for i in range(3)]


def test_hit_meetings_are_listed_and_the_dry_run_changes_nothing_R_6_4(ws):
    """R-6.4: the meetings an absence hits are listed; the dry run writes nothing."""
    booked = _three_meetings(ws)
    _book(ws, ws.citizens[3], at(TUESDAY, 9))  # not hit
    absence = _away(ws, ws.anna, MONDAY)
    hit = absences.hit_bookings(absence, now=NOW)
    assert [b.id for b in hit] == [b.id for b in booked]
    before = _counts()
    plan = replan.plan(ws.job_centre.id, hit, now=NOW)
    assert plan.summary_da() == "3 flyttes, 0 tilbage på afventerlisten"
    assert all(m.same_time and m.caseworker_ids[0] in (ws.bo.id, ws.carl.id) for m in plan.moves)
    db.session.rollback()
    assert _counts() == before
    assert all(b.caseworker_links[0].caseworker_id == ws.anna.id for b in absences.hit_bookings(absence, now=NOW))


def test_confirm_moves_through_the_writer_with_letters_on_the_same_day_R_6_4(ws):
    """R-6.4: confirming moves each meeting with its letter and audit; same day preferred. At the
    same time with another caseworker the letter is the update letter (R-1.7.2)."""
    booked = _three_meetings(ws)
    absence = _away(ws, ws.anna, MONDAY)
    hit = absences.hit_bookings(absence, now=NOW)
    plan = replan.plan(ws.job_centre.id, hit, now=NOW)
    replan.publish(ws.job_centre.id, hit, plan, now=NOW, actor=ws.admin)
    db.session.commit()
    for booking in booked:
        db.session.refresh(booking)
        assert booking.status == BookingStatus.BOOKED
        assert booking.starts_at.date() == MONDAY
        assert booking.caseworker_links[0].caseworker_id != ws.anna.id
        moved = db.session.scalars(select(Letter).where(Letter.booking_id == booking.id,
                                                        Letter.activity == LetterActivity.UPDATE)).all()
        assert len(moved) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.booking_id == booking.id,
            AuditEntry.event == AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE)) == 1
    assert absences.hit_bookings(absence, now=NOW) == []
    assert_no_overlaps(ws.job_centre.id)


def test_next_free_time_before_the_deadline_when_the_day_is_full_R_6_4(ws):
    """R-6.4: no one free that day: the earliest free time before the call-in's deadline."""
    booking = _book(ws, ws.citizens[0], at(MONDAY, 9))
    for caseworker in (ws.bo, ws.carl):
        _away(ws, caseworker, MONDAY)
    absence = _away(ws, ws.anna, MONDAY)
    plan = replan.plan(ws.job_centre.id, absences.hit_bookings(absence, now=NOW), now=NOW)
    assert len(plan.moves) == 1 and not plan.left
    assert plan.moves[0].starts_at == at(TUESDAY, 8)
    assert not plan.moves[0].same_day
    replan.publish(ws.job_centre.id, [booking], plan, now=NOW, actor=ws.admin)
    db.session.commit()
    db.session.refresh(booking)
    assert booking.starts_at == at(TUESDAY, 8)


def test_never_over_the_citizens_other_meetings_R_6_4(ws):
    """R-6.4: the citizen's other meetings are respected (Borger 1 has one Tuesday 08:00)."""
    _book(ws, ws.citizens[0], at(MONDAY, 9))
    other = _book(ws, ws.citizens[0], at(TUESDAY, 8), caseworker=ws.carl,
                  conversation_type_id=ws.types[9].id)
    for caseworker in (ws.bo, ws.carl):
        _away(ws, caseworker, MONDAY)
    absence = _away(ws, ws.anna, MONDAY)
    plan = replan.plan(ws.job_centre.id, absences.hit_bookings(absence, now=NOW), now=NOW)
    assert len(plan.moves) == 1
    move = plan.moves[0]
    end = move.starts_at + timedelta(minutes=30)
    assert not (move.starts_at < other.ends_at and end > other.starts_at)
    assert move.starts_at.date() == TUESDAY


def test_what_cannot_be_placed_goes_back_to_the_waiting_list_with_its_reason_R_6_4(ws):
    """R-6.4: no free time before the deadline: cancelled with the reason, the call-in waits again."""
    booking = _book(ws, ws.citizens[0], at(MONDAY, 9))
    callin = db.session.scalars(select(CallIn).where(CallIn.booking_id == booking.id)).one()
    for caseworker in (ws.bo, ws.carl):
        _away(ws, caseworker, MONDAY, callin.deadline_date)
    absence = _away(ws, ws.anna, MONDAY, callin.deadline_date)
    hit = absences.hit_bookings(absence, now=NOW)
    plan = replan.plan(ws.job_centre.id, hit, now=NOW)
    assert plan.summary_da() == "0 flyttes, 1 tilbage på afventerlisten"
    reason = plan.left[0].reason
    assert "ledig tid" in reason
    replan.publish(ws.job_centre.id, hit, plan, now=NOW, actor=ws.admin)
    db.session.commit()
    db.session.refresh(booking)
    db.session.refresh(callin)
    assert booking.status == BookingStatus.CANCELLED
    assert callin.status == CallInStatus.WAITING and callin.booking_id is None
    assert callin.unplaced_reason == reason
    assert db.session.scalars(select(Letter).where(
        Letter.booking_id == booking.id, Letter.activity == LetterActivity.CANCELLATION)).one()


def test_a_plan_that_no_longer_matches_the_calendar_is_refused_R_6_4(ws):
    """R-6.4: confirming a dry run after the calendar changed does nothing and says so."""
    _three_meetings(ws)
    absence = _away(ws, ws.anna, MONDAY)
    hit = absences.hit_bookings(absence, now=NOW)
    plan = replan.plan(ws.job_centre.id, hit, now=NOW)
    extra = _book(ws, ws.citizens[3], at(MONDAY, 14), caseworker=ws.bo)
    before = _counts()
    with pytest.raises(DomainError) as refused:
        replan.publish(ws.job_centre.id, hit + [extra], plan, now=NOW, actor=ws.admin)
    assert refused.value.code == "replan_changed"
    db.session.rollback()
    assert _counts() == before


def test_never_past_the_call_ins_deadline_R_6_4(ws):
    """R-6.4: a call-in whose deadline has passed is only moved within its own day, else it waits."""
    booking = _book(ws, ws.citizens[0], at(MONDAY, 9))
    callin = db.session.scalars(select(CallIn).where(CallIn.booking_id == booking.id)).one()
    callin.earliest_date = callin.deadline_date = NOW.date()
    db.session.commit()
    for caseworker in (ws.bo, ws.carl):
        _away(ws, caseworker, MONDAY)
    absence = _away(ws, ws.anna, MONDAY)
    plan = replan.plan(ws.job_centre.id, absences.hit_bookings(absence, now=NOW), now=NOW)
    assert not plan.moves
    assert plan.left[0].reason == "Fristen 26.02.2027 er overskredet; samtalen kan ikke flyttes inden fristen."


# ---------------------------------------------------------------------------
# Meetings that came from no call-in
# ---------------------------------------------------------------------------

def _book_without_callin(ws, citizen, start):
    """A meeting booked at a fixed time with no call-in behind it (as the case system does)."""
    booking = create_booking(MeetingRequest(
        job_centre_id=ws.job_centre.id, team_id=ws.team.id, conversation_type_id=ws.types[7].id,
        holding_form_id=ws.forms["in_person"].id, caseworker_ids=[ws.anna.id], starts_at=start,
        duration_minutes=30, origin=BookingOrigin.CALLED_IN, citizen_ids=[citizen.id]), now=NOW)
    db.session.commit()
    return booking


def test_a_meeting_from_no_call_in_moves_to_the_earliest_free_time_within_two_weeks_R_6_4(ws):
    """R-6.4: no one free that day: a meeting without a call-in goes the others' way, to the
    earliest free time, up to two weeks after its own day."""
    booking = _book_without_callin(ws, ws.citizens[0], at(MONDAY, 9))
    for caseworker in (ws.bo, ws.carl):
        _away(ws, caseworker, MONDAY)
    absence = _away(ws, ws.anna, MONDAY)
    plan = replan.plan(ws.job_centre.id, absences.hit_bookings(absence, now=NOW), now=NOW)
    assert not plan.left
    assert [(m.booking_id, m.starts_at) for m in plan.moves] == [(booking.id, at(TUESDAY, 8))]
    replan.publish(ws.job_centre.id, [booking], plan, now=NOW, actor=ws.admin)
    db.session.commit()
    db.session.refresh(booking)
    assert booking.starts_at == at(TUESDAY, 8) and booking.status == BookingStatus.BOOKED


def test_a_meeting_from_no_call_in_stays_and_the_dry_run_says_why_R_6_4(ws):
    """R-6.4: no free time within two weeks: it stays (no waiting list to go back to), and the
    dry run says until when it looked."""
    booking = _book_without_callin(ws, ws.citizens[0], at(MONDAY, 9))
    last = MONDAY + timedelta(days=replan.WITHOUT_CALLIN_DAYS)
    for caseworker in (ws.bo, ws.carl, ws.anna):
        _away(ws, caseworker, MONDAY, last)
    absence = db.session.scalars(select(Absence).where(Absence.caseworker_id == ws.anna.id)).one()
    plan = replan.plan(ws.job_centre.id, absences.hit_bookings(absence, now=NOW), now=NOW)
    assert not plan.moves and [item.booking_id for item in plan.left] == [booking.id]
    assert not plan.left[0].to_waiting
    assert plan.left[0].reason.startswith("Der er ingen ledig tid til og med 15.03.2027.")
    assert plan.summary_da() == "0 flyttes, 0 tilbage på afventerlisten, 1 skal flyttes i hånden"


def test_a_meeting_from_no_call_in_never_moves_past_the_self_booking_deadline_it_meets_R_6_4_R_4_8(ws):
    """R-6.4, R-4.8: a self-booked meeting fulfilling a deadline on its own day stays on that day."""
    booking = _book_without_callin(ws, ws.citizens[0], at(MONDAY, 9))
    db.session.add(SelfBookingDeadline(
        job_centre_id=ws.job_centre.id, citizen_id=ws.citizens[0].id,
        conversation_type_id=ws.types[7].id, deadline_date=MONDAY, status=DeadlineStatus.FULFILLED,
        booking_id=booking.id))
    db.session.commit()
    for caseworker in (ws.bo, ws.carl):
        _away(ws, caseworker, MONDAY)
    absence = _away(ws, ws.anna, MONDAY)
    plan = replan.plan(ws.job_centre.id, absences.hit_bookings(absence, now=NOW), now=NOW)
    assert not plan.moves
    assert plan.left[0].reason.startswith("Der er ingen ledig tid til og med 01.03.2027.")
