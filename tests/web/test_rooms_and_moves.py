"""Moving a meeting to another time, caseworker or room, the room calendar and "why not free?" (R-6.5, R-6.8)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.workspace_setup import MONDAY, NOW, PASSWORD, at, build_workspace
from webapp.callins.calling import create_callins, from_template
from webapp.callins.moves import move_by_job_centre, move_proposals
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, Booking, BookingStatus, Letter, LetterActivity, Room


@pytest.fixture
def ws(app, reference_data, monkeypatch):
    for module in ("webapp.caseworker.routes", "webapp.caseworker.rooms", "webapp.admin.room_calendar"):
        monkeypatch.setattr(f"{module}.now_local", lambda: NOW)
        monkeypatch.setattr(f"{module}.today_local", lambda: NOW.date())
    return build_workspace()


def _book(ws, starts_at, citizen=0):
    data = replace(from_template(ws.templates["fixed"], today=NOW.date()),
                   cprs=[ws.citizens[citizen].cpr], starts_at=starts_at)
    result = create_callins(data, now=NOW, actor=ws.user)
    db.session.commit()
    return result.bookings[0]


@pytest.fixture
def booking(ws):
    return _book(ws, at(MONDAY, 9))


def _letters(booking, activity=LetterActivity.MOVE):
    return db.session.scalar(select(func.count()).select_from(Letter).where(
        Letter.booking_id == booking.id, Letter.activity == activity))


def _moved_entries(booking):
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.booking_id == booking.id, AuditEntry.event == AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE))


def _flash(response):
    return response.get_data(as_text=True)


# --- Proposals and a move that changes nothing (R-6.5) ----------------------------------------

def test_proposals_never_offer_the_current_slot_R_6_5(ws):
    # Anna's first free time after the clock is Friday 12:30, right after her break: book it.
    booking = _book(ws, at(NOW.date(), 12, 30))
    proposals = move_proposals(booking, now=NOW)
    assert proposals, "there are other free times"
    current = {link.caseworker_id for link in booking.caseworker_links}
    assert all(not (p.starts_at == booking.starts_at and set(p.caseworker_ids) & current)
               for p in proposals)
    assert len([p for p in proposals if ws.anna.id in p.caseworker_ids]) == 3


def test_a_move_that_changes_nothing_is_refused_and_sends_nothing_R_6_5(client, ws, booking):
    login(client, ws.user, PASSWORD)
    sequence = booking.ics_sequence
    response = client.post(f"/caseworker/bookings/{booking.id}/move", data={
        "proposal": "custom", "starts_at": booking.starts_at.strftime("%Y-%m-%dT%H:%M"),
        "caseworker_id": ws.anna.id, "room_id": ws.room.id}, follow_redirects=True)
    page = _flash(response)
    assert "Samtalen har allerede det tidspunkt, den sagsbehandler og det lokale." in page
    assert "Samtalen er flyttet" not in page
    db.session.expire_all()
    assert booking.ics_sequence == sequence and _letters(booking) == 0 and _moved_entries(booking) == 0


def test_the_booking_page_shows_proposals_with_danish_weekdays_R_6_5(client, ws, booking):
    login(client, ws.user, PASSWORD)
    page = client.get(f"/caseworker/bookings/{booking.id}").get_data(as_text=True)
    proposals = re.findall(r'name="proposal" value="([^"|]+)\|', page)
    assert proposals and booking.starts_at.isoformat() not in proposals
    listed = page.split('class="proposals"', 1)[1].split("</ul>", 1)[0]
    assert "fredag 26. februar 2027 kl. 12:30" in listed
    assert not re.search(r"\b(Mon|Tue|Wed|Thu|Fri)\b", listed)


# --- Another room (R-6.5) ----------------------------------------------------------------------

def test_a_meeting_moves_to_another_room_with_a_letter_R_6_5(client, ws, booking):
    login(client, ws.user, PASSWORD)
    response = client.post(f"/caseworker/bookings/{booking.id}/move", data={
        "proposal": "custom", "starts_at": "", "caseworker_id": ws.anna.id,
        "room_id": ws.small_room.id}, follow_redirects=True)
    assert "Samtalen er flyttet til 01.03.2027 09:00, Lille rum." in _flash(response)
    db.session.expire_all()
    assert booking.room_id == ws.small_room.id and booking.starts_at == at(MONDAY, 9)
    # Same time, another room: the update letter, not the move letter.
    assert _letters(booking, LetterActivity.UPDATE) == 1 and _letters(booking) == 0
    assert _moved_entries(booking) == 1


def test_a_proposal_keeps_the_chosen_room_R_6_5(client, ws, booking):
    login(client, ws.user, PASSWORD)
    client.post(f"/caseworker/bookings/{booking.id}/move", data={
        "proposal": f"{at(MONDAY, 10).isoformat()}|{ws.anna.id}", "room_id": ws.small_room.id})
    db.session.expire_all()
    assert (booking.starts_at, booking.room_id) == (at(MONDAY, 10), ws.small_room.id)


@pytest.mark.parametrize("room", ["other_team", "other_centre", "junk"])
def test_a_room_not_of_the_team_is_refused_and_nothing_changes_R_6_5(client, ws, booking, room,
                                                                       create_team):
    if room == "other_team":
        other = create_team(ws.job_centre, parent=ws.team.parent, name="Andet team")
        value = Room(job_centre=ws.job_centre, name="Andet lokale", teams=[other])
        db.session.add(value)
        db.session.commit()
        value = value.id
    elif room == "other_centre":
        value = build_workspace("Jobcenter Andetby", cprs=["0707861007"]).room.id
    else:
        value = "12abc"
    login(client, ws.user, PASSWORD)
    response = client.post(f"/caseworker/bookings/{booking.id}/move", data={
        "proposal": "custom", "starts_at": "", "caseworker_id": ws.anna.id, "room_id": value},
        follow_redirects=True)
    assert "Lokalet hører ikke til samtalens team." in _flash(response)
    db.session.expire_all()
    assert booking.room_id == ws.room.id and _letters(booking) == 0


def test_a_group_meeting_does_not_move_to_a_room_without_seats_for_it_R_6_5(ws):
    data = replace(from_template(ws.templates["group"], today=NOW.date()),
                   cprs=[c.cpr for c in ws.citizens[:3]], starts_at=at(MONDAY, 13))
    group = create_callins(data, now=NOW, actor=ws.user).bookings[0]
    db.session.commit()
    assert len(group.participants) == 3
    with pytest.raises(DomainError) as refused:
        move_by_job_centre(group, starts_at=group.starts_at, caseworker_id=None,
                           room_id=ws.small_room.id, now=NOW, actor=ws.user)
    assert refused.value.code == "room_too_small"
    assert "Lokalet Lille rum har kun plads til 1 borgere." in refused.value.message_da
    db.session.rollback()
    db.session.expire_all()
    assert group.room_id == ws.room.id and _letters(group) == 0


def test_a_taken_room_is_refused_with_the_reasons_R_6_5_R_6_8(client, ws, booking):
    other = _book(ws, at(MONDAY, 10), citizen=1)
    other.room_id = ws.small_room.id
    db.session.commit()
    login(client, ws.user, PASSWORD)
    response = client.post(f"/caseworker/bookings/{booking.id}/move", data={
        "proposal": "custom", "starts_at": at(MONDAY, 10).strftime("%Y-%m-%dT%H:%M"),
        "caseworker_id": ws.bo.id, "room_id": ws.small_room.id}, follow_redirects=True)
    page = _flash(response)
    assert (f"Tiden er ikke ledig: Lokalet Lille rum er optaget af samtale nr. {other.id} "
            f"01.03.2027 10:00–10:30.") in page
    db.session.expire_all()
    assert (booking.starts_at, booking.room_id) == (at(MONDAY, 9), ws.room.id) and _letters(booking) == 0


def test_a_refused_time_lists_the_reasons_in_order_R_6_8(client, ws, booking):
    login(client, ws.user, PASSWORD)
    response = client.post(f"/caseworker/bookings/{booking.id}/move", data={
        "proposal": "custom", "starts_at": at(MONDAY, 12).strftime("%Y-%m-%dT%H:%M"),
        "caseworker_id": ws.anna.id, "room_id": ws.room.id}, follow_redirects=True)
    assert "Tiden er ikke ledig: Anna Andersen holder pause 12:00–12:30." in _flash(response)
    db.session.expire_all()
    assert booking.starts_at == at(MONDAY, 9)


# --- Cancel asks first (R-6.5) -----------------------------------------------------------------

def test_cancel_asks_for_confirmation_before_anything_happens_R_6_5(client, ws, booking):
    login(client, ws.user, PASSWORD)
    asked = client.post(f"/caseworker/bookings/{booking.id}/cancel", data={"reason": "Syg"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'name="confirmed" value="1"' in page
    assert "Ja, aflys samtalen" in page and "borgeren får et brev" in page
    db.session.expire_all()
    assert booking.status == BookingStatus.BOOKED and _letters(booking, LetterActivity.CANCELLATION) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.booking_id == booking.id, AuditEntry.event == AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE)) == 0
    assert db.session.scalar(select(AuditEntry.details).where(
        AuditEntry.booking_id == booking.id, AuditEntry.event == AuditEvent.BOOKING_DETAILS_VIEWED)
        .order_by(AuditEntry.id.desc()).limit(1)) == "Aflysning: bekræftelse vist"
    done = client.post(f"/caseworker/bookings/{booking.id}/cancel",
                       data={"reason": "Syg", "confirmed": "1"}, follow_redirects=True)
    assert "Samtalen er aflyst" in done.get_data(as_text=True)
    db.session.expire_all()
    assert booking.status == BookingStatus.CANCELLED and _letters(booking, LetterActivity.CANCELLATION) == 1


def test_cancel_without_a_reason_asks_for_one_and_changes_nothing(client, ws, booking):
    login(client, ws.user, PASSWORD)
    response = client.post(f"/caseworker/bookings/{booking.id}/cancel",
                           data={"reason": " ", "confirmed": "1"}, follow_redirects=True)
    assert "Skriv en begrundelse for aflysningen." in response.get_data(as_text=True)
    db.session.expire_all()
    assert booking.status == BookingStatus.BOOKED


# --- The room calendar and its tenancy --------------------------------------------------

def test_room_calendar_day_and_week_have_one_column_per_room_R_6_5(client, ws, booking):
    login(client, ws.user, PASSWORD)
    week = client.get(f"/caseworker/rooms?team={ws.team.id}&date={MONDAY.isoformat()}").get_data(as_text=True)
    assert re.findall(r'<th scope="col" data-room="(\d+)"', week) == [str(ws.small_room.id), str(ws.room.id)]
    assert f"nr. {booking.id}" in week and "mandag 1. marts 2027" in week
    assert ws.citizens[0].name not in week          # no citizen on the page: nothing to audit
    day = client.get(f"/caseworker/rooms?team={ws.team.id}&date={MONDAY.isoformat()}&view=day")
    page = day.get_data(as_text=True)
    assert 'data-view="day"' in page and ">09:00<" in page
    cell = re.search(rf'<td class="busy" data-room="{ws.room.id}" data-at="2027-03-01T09:00:00">(.*?)</td>',
                     page, re.S)
    assert cell and f"nr. {booking.id}" in cell.group(1)


def test_room_calendar_greys_closure_days_R_6_5(client, ws):
    from tests.workspace_setup import add_local_closure
    add_local_closure(ws, MONDAY + timedelta(days=1), "Personaledag")
    login(client, ws.user, PASSWORD)
    page = client.get(f"/caseworker/rooms?team={ws.team.id}&date={MONDAY.isoformat()}").get_data(as_text=True)
    assert "Lukket: Personaledag" in page


def test_room_calendar_and_why_are_for_the_users_own_job_centre_and_teams(client, ws, booking):
    other = build_workspace("Jobcenter Andetby", cprs=["0707861007"])
    login(client, ws.user, PASSWORD)
    assert client.get(f"/caseworker/rooms?team={other.team.id}").status_code == 404
    assert client.get(f"/caseworker/why?room={other.room.id}&at=2027-03-01T09:00").status_code == 404
    assert client.get(f"/caseworker/why?caseworker={other.anna.id}&at=2027-03-01T09:00").status_code == 404
    assert client.get(f"/caseworker/why?team={other.team.id}&at=2027-03-01T09:00").status_code == 404
    assert client.get(f"/caseworker/why?caseworker={ws.anna.id}&at=junk").status_code == 400
    assert client.get("/caseworker/why?at=2027-03-01T09:00").status_code == 400
    assert client.get(f"/admin/roomcalendar/?team_id={ws.team.id}").status_code == 403
    client.post("/logout")
    login(client, other.admin, PASSWORD)
    assert client.get(f"/admin/roomcalendar/?team_id={ws.team.id}").status_code == 404
    assert client.get(f"/caseworker/rooms?team={ws.team.id}").status_code == 404
    client.post("/logout")
    assert client.get(f"/caseworker/rooms?team={ws.team.id}").status_code in (302, 401)
    assert client.get(f"/caseworker/why?team={ws.team.id}&at=2027-03-01T09:00").status_code in (302, 401)


def test_why_answers_for_a_caseworker_a_team_and_a_room_in_danish_R_6_8(client, ws, booking):
    login(client, ws.user, PASSWORD)
    body = client.get(f"/caseworker/why?caseworker={ws.anna.id}&at=2027-03-01T12:15:00").get_json()
    assert body["free"] is False and body["title"] == "Tiden er ikke ledig:"
    assert [r["text"] for r in body["reasons"]] == ["Anna Andersen holder pause 12:00–12:30."]
    assert body["reasons"][0]["message_en"] == "Anna Andersen has a break 12:00–12:30."
    room = client.get(f"/caseworker/why?room={ws.room.id}&at=2027-03-01T09:00").get_json()
    assert [r["code"] for r in room["reasons"]] == ["room_meeting"]
    team = client.get(f"/caseworker/why?team={ws.team.id}&at=2027-03-01T09:00").get_json()
    assert team == {"at": "2027-03-01T09:00:00", "when": "mandag 01.03.2027 kl. 09:00", "free": True,
                    "title": "Tiden er ledig.", "reasons": []}


def test_admin_room_calendar_and_the_why_form_on_the_team_calendar_R_6_5_R_6_8(client, ws, booking):
    login(client, ws.admin, PASSWORD)
    page = client.get(f"/admin/roomcalendar/?team_id={ws.team.id}&date=2027-03-01&view=day").get_data(as_text=True)
    assert "Mødelokale 1" in page and f"nr. {booking.id}" in page and 'data-view="day"' in page
    calendar = client.get(f"/admin/teamcalendar/?team_id={ws.team.id}&month=2027-03"
                          f"&why=caseworker-{ws.anna.id}&at=2027-03-01T09:00").get_data(as_text=True)
    answer = calendar.split('id="why-answer"', 1)[1].split("</div>", 1)[0]
    assert "Tiden er ikke ledig:" in answer
    assert f"Anna Andersen har samtale nr. {booking.id} 01.03.2027 09:00–09:30." in answer
    bad = client.get(f"/admin/teamcalendar/?team_id={ws.team.id}&why=room-999999&at=2027-03-01T09:00")
    assert bad.status_code == 200
    assert "Vælg en sagsbehandler, et lokale eller et tilbud fra teamet." in bad.get_data(as_text=True)
    bad = client.get(f"/admin/teamcalendar/?team_id={ws.team.id}&why=room-{ws.room.id}&at=nej")
    assert "Skriv dato og klokkeslæt" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


@pytest.mark.parametrize("proposal", ["9999-12-31|1", "custom"])
def test_a_move_to_year_9999_is_a_danish_refusal_not_a_server_error_R_7_4(client, ws, booking, proposal):
    """Found by the form fuzz: a proposal or custom time in year 9999 overflowed date arithmetic."""
    login(client, ws.user, PASSWORD)
    sequence = booking.ics_sequence
    response = client.post(f"/caseworker/bookings/{booking.id}/move", data={
        "proposal": proposal, "starts_at": "9999-12-31T10:00", "caseworker_id": ws.anna.id,
        "room_id": ws.room.id}, follow_redirects=True)
    assert response.status_code == 200
    assert "skal ligge mellem 1900 og 2100" in _flash(response)
    db.session.expire_all()
    assert booking.ics_sequence == sequence and _letters(booking) == 0
