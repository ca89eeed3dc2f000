"""Why is this time not free? Each reason, its Danish and English text, and their order (R-6.8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.workspace_setup import MONDAY, NOW, at, build_workspace
from webapp.booking.checks import MeetingRequest
from webapp.booking.writer import create_booking
from webapp.calendar.explain import why_not_free
from webapp.extensions import db
from webapp.models import (Absence, AbsenceKind, BookingOrigin, BookingParticipant, BusyTime, LocalClosureDay, MeetingForm,
                           NationalClosureDay, OnlineOffer)


@pytest.fixture
def ws(app, reference_data):
    return build_workspace()


def _codes(reasons):
    return [reason.code for reason in reasons]


def _book(ws, caseworkers, starts_at, *, minutes=30, room=None, citizens=(), origin=BookingOrigin.CALLED_IN,
          meeting_form=MeetingForm.INDIVIDUAL, reporting=0):
    booking = create_booking(MeetingRequest(
        job_centre_id=ws.job_centre.id, team_id=ws.team.id, conversation_type_id=ws.types[7].id,
        holding_form_id=ws.forms["in_person"].id, caseworker_ids=[cw.id for cw in caseworkers],
        starts_at=starts_at, duration_minutes=minutes, origin=origin, reporting_minutes=reporting,
        citizen_ids=[c.id for c in citizens], room_id=room.id if room else None,
        meeting_form=meeting_form), now=NOW)
    db.session.commit()
    return booking


def _offer(ws, **kw):
    offer = OnlineOffer(job_centre_id=ws.job_centre.id, name=kw.pop("name", "Jobsamtale online"),
                        team_id=ws.team.id, conversation_type_id=ws.types[7].id,
                        holding_form_id=ws.forms["in_person"].id,
                        meeting_form=kw.pop("meeting_form", MeetingForm.INDIVIDUAL),
                        duration_minutes=30, rolling_end_weeks=kw.pop("rolling_end_weeks", 4), **kw)
    offer.caseworkers = [ws.anna]
    db.session.add(offer)
    db.session.commit()
    return offer


def test_a_free_time_has_no_reasons_R_6_8(ws):
    assert why_not_free(starts_at=at(MONDAY, 9), caseworker_ids=[ws.anna.id], now=NOW) == []
    assert why_not_free(starts_at=at(MONDAY, 9), room_id=ws.room.id, now=NOW) == []


def test_outside_working_time_and_a_day_off_R_6_8(ws):
    early = why_not_free(starts_at=at(MONDAY, 7), caseworker_ids=[ws.anna.id], now=NOW)
    assert _codes(early) == ["outside_working_time"]
    assert early[0].text("da") == "Anna Andersen arbejder kun 08:00–16:00 om mandagen."
    assert early[0].text("en") == "Anna Andersen works only 08:00–16:00 on Mondays."
    saturday = why_not_free(starts_at=at(MONDAY - timedelta(days=2), 10), caseworker_ids=[ws.anna.id],
                            now=NOW)
    assert [r.text("da") for r in saturday] == ["Anna Andersen har ikke arbejdstid om lørdagen."]


def test_break_R_6_8(ws):
    reasons = why_not_free(starts_at=at(MONDAY, 12, 15), caseworker_ids=[ws.anna.id], now=NOW)
    assert [r.text("da") for r in reasons] == ["Anna Andersen holder pause 12:00–12:30."]


def test_national_closure_day_R_6_8(ws):
    db.session.add(NationalClosureDay(day=MONDAY, name="Testhelligdag"))
    db.session.commit()
    reasons = why_not_free(starts_at=at(MONDAY, 9), caseworker_ids=[ws.anna.id], now=NOW)
    assert [r.text("da") for r in reasons] == ["01.03.2027 er national lukkedag: Testhelligdag."]
    assert reasons[0].text("en") == "2027-03-01 is a national closure day: Testhelligdag."


def test_local_closure_day_names_the_team_it_is_inherited_from_R_6_8(ws):
    root = ws.team.parent
    db.session.add_all([
        LocalClosureDay(job_centre_id=ws.job_centre.id, teams=[ws.team], name="Personaledag",
                        first_day=MONDAY, last_day=MONDAY),
        LocalClosureDay(job_centre_id=ws.job_centre.id, teams=[root], name="Flytning",
                        first_day=MONDAY + timedelta(days=1), last_day=MONDAY + timedelta(days=2))])
    db.session.commit()
    own = why_not_free(starts_at=at(MONDAY, 9), caseworker_ids=[ws.anna.id], team_id=ws.team.id,
                       now=NOW)
    assert [r.text("da") for r in own] == [f"01.03.2027 er lukkedag for teamet {ws.team.name}: Personaledag."]
    inherited = why_not_free(starts_at=at(MONDAY + timedelta(days=2), 9), room_id=ws.room.id, now=NOW)
    assert _codes(inherited) == ["closure_inherited"]
    assert inherited[0].text("da") == f"03.03.2027 er lukkedag arvet fra teamet {root.name}: Flytning."
    # The caseworker without the meeting's team: her own teams' closure days.
    assert _codes(why_not_free(starts_at=at(MONDAY + timedelta(days=1), 9), caseworker_ids=[ws.bo.id],
                               now=NOW)) == ["closure_inherited"]


def test_meeting_number_with_its_reporting_time_R_6_8(ws):
    booking = _book(ws, [ws.anna], at(MONDAY, 9), reporting=15, room=ws.room,
                    citizens=[ws.citizens[0]])
    in_reporting = why_not_free(starts_at=at(MONDAY, 9, 30), caseworker_ids=[ws.anna.id], now=NOW)
    assert [r.text("da") for r in in_reporting] == [
        f"Anna Andersen har samtale nr. {booking.id} 01.03.2027 09:00–09:45."]
    room = why_not_free(starts_at=at(MONDAY, 9), room_id=ws.room.id, now=NOW)
    assert [r.text("da") for r in room] == [
        f"Lokalet Mødelokale 1 er optaget af samtale nr. {booking.id} 01.03.2027 09:00–09:30."]
    # The meeting being moved is not in its own way.
    assert why_not_free(starts_at=at(MONDAY, 9), caseworker_ids=[ws.anna.id], room_id=ws.room.id,
                        now=NOW, ignore_booking_ids=[booking.id]) == []


def test_imported_busy_time_R_6_8(ws):
    db.session.add(BusyTime(caseworker_id=ws.bo.id, starts_at=at(MONDAY, 10), ends_at=at(MONDAY, 11),
                            source_uid="x-1"))
    db.session.commit()
    reasons = why_not_free(starts_at=at(MONDAY, 10, 30), caseworker_ids=[ws.bo.id], now=NOW)
    assert [r.text("da") for r in reasons] == ["Bo Berg er optaget i egen kalender 01.03.2027 10:00–11:00."]


def test_absence_R_6_8(ws):
    db.session.add(Absence(job_centre_id=ws.job_centre.id, caseworker_id=ws.carl.id,
                           kind=AbsenceKind.SICKNESS, starts_at=at(MONDAY, 0),
                           ends_at=at(MONDAY + timedelta(days=2), 0)))
    db.session.commit()
    reasons = why_not_free(starts_at=at(MONDAY + timedelta(days=1), 9), caseworker_ids=[ws.carl.id],
                           now=NOW)
    assert [r.text("da") for r in reasons] == [
        "Carl Clausen er fraværende (sygdom) 01.03.2027–02.03.2027."]
    assert reasons[0].text("en") == "Carl Clausen is absent (sickness) 2027-03-01–2027-03-02."
    db.session.add(Absence(job_centre_id=ws.job_centre.id, caseworker_id=ws.bo.id,
                           kind=AbsenceKind.COURSE, starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 12)))
    db.session.commit()
    assert [r.text("da") for r in why_not_free(starts_at=at(MONDAY, 10), caseworker_ids=[ws.bo.id],
                                               now=NOW)] == [
        "Bo Berg er fraværende (kursus) 01.03.2027 09:00–12:00."]


def test_room_full_and_room_too_small_R_6_8(ws):
    group = _book(ws, [ws.anna, ws.bo], at(MONDAY, 10), minutes=60, room=ws.room,
                  citizens=ws.citizens[:3], meeting_form=MeetingForm.GROUP)
    assert group.seats == 3
    full = why_not_free(starts_at=at(MONDAY, 10, 15), room_id=ws.room.id, now=NOW)
    assert [r.text("da") for r in full] == [
        f"Lokalet Mødelokale 1 er fuldt: alle 3 pladser på samtale nr. {group.id} er taget."]
    small = why_not_free(starts_at=at(MONDAY, 13), room_id=ws.small_room.id, seats_needed=2, now=NOW)
    assert [r.text("da") for r in small] == ["Lokalet Lille rum har kun plads til 1 borgere."]


def test_an_expired_seat_hold_does_not_make_the_room_full_R_6_8_R_6_5(ws):
    """R-6.8, R-6.5, R-4.7: a seat held past its time is free again, though not yet removed."""
    group = _book(ws, [ws.anna, ws.bo], at(MONDAY, 10), minutes=60, room=ws.room,
                  citizens=ws.citizens[:2], meeting_form=MeetingForm.GROUP)
    hold = BookingParticipant(booking_id=group.id, citizen_id=ws.citizens[2].id,
                              reserved_until=NOW + timedelta(minutes=10))
    db.session.add(hold)
    db.session.commit()
    assert _codes(why_not_free(starts_at=at(MONDAY, 10, 15), room_id=ws.room.id, now=NOW)) == [
        "room_full"]  # the hold still lasts
    later = NOW + timedelta(minutes=11)
    assert _codes(why_not_free(starts_at=at(MONDAY, 10, 15), room_id=ws.room.id, now=later)) == [
        "room_meeting"]


def test_less_than_a_days_notice_and_after_the_offers_end_R_6_8(ws):
    offer = _offer(ws, fixed_end_date=MONDAY + timedelta(days=7))
    today = why_not_free(starts_at=at(NOW.date(), 14), offer=offer, now=NOW)
    assert [r.text("da") for r in today] == ["Der skal være mindst en dags varsel: tidligst 27.02.2027."]
    late = why_not_free(starts_at=at(MONDAY + timedelta(days=8), 9), offer=offer, now=NOW)
    assert [r.text("da") for r in late] == [
        "Tilbuddet Jobsamtale online kan kun bookes til og med 08.03.2027."]
    assert why_not_free(starts_at=at(MONDAY, 9), offer=offer, now=NOW) == []


def test_an_individual_offer_is_free_when_one_of_its_caseworkers_is_R_6_8(ws):
    offer = _offer(ws)
    offer.caseworkers = [ws.anna, ws.bo]
    db.session.commit()
    _book(ws, [ws.anna], at(MONDAY, 9))
    assert why_not_free(starts_at=at(MONDAY, 9), offer=offer, now=NOW) == []
    _book(ws, [ws.bo], at(MONDAY, 9))
    assert _codes(why_not_free(starts_at=at(MONDAY, 9), offer=offer, now=NOW)) == ["meeting", "meeting"]


def test_the_reasons_come_in_the_order_of_R_6_8(ws):
    """Break, closure day, meeting N (caseworker, then room), busy time, absence, notice, offer end."""
    db.session.add(LocalClosureDay(job_centre_id=ws.job_centre.id, teams=[ws.team],
                                   name="Personaledag", first_day=MONDAY, last_day=MONDAY))
    db.session.add(BusyTime(caseworker_id=ws.anna.id, starts_at=at(MONDAY, 11), ends_at=at(MONDAY, 13),
                            source_uid="x-2"))
    db.session.add(Absence(job_centre_id=ws.job_centre.id, caseworker_id=ws.anna.id,
                           kind=AbsenceKind.COURSE, starts_at=at(MONDAY, 11, 45),
                           ends_at=at(MONDAY, 16)))
    db.session.commit()
    # An appointment from the case system is a fact: it is booked whatever the calendar says.
    meeting = _book(ws, [ws.anna], at(MONDAY, 11, 30), minutes=60, room=ws.room,
                    citizens=[ws.citizens[0]], origin=BookingOrigin.IMPORTED)
    offer = _offer(ws, room_id=ws.room.id, fixed_end_date=MONDAY - timedelta(days=1))
    reasons = why_not_free(starts_at=at(MONDAY, 11, 45), offer=offer, now=at(MONDAY, 8))
    assert _codes(reasons) == ["break", "closure_local", "meeting",
                               "room_meeting", "busy_time", "absence", "too_soon", "after_offer_end"]
    assert f"samtale nr. {meeting.id}" in reasons[3].text("da")


def test_dates_are_read_as_given_not_today(ws):
    # A day the window of the calendar does not start on still finds its closure.
    day = date(2027, 3, 3)
    db.session.add(NationalClosureDay(day=day, name="Testdag"))
    db.session.commit()
    reasons = why_not_free(starts_at=at(day, 15, 45), ends_at=at(day + timedelta(days=1), 8),
                           caseworker_ids=[ws.anna.id], now=NOW)
    assert "closure_national" in _codes(reasons)
