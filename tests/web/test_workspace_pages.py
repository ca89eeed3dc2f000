"""The workspace pages through the test client: role, job centre, audit, Danish errors (R-0.1, R-1.9.1, R-3.1)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.workspace_setup import MONDAY, NOW, add_local_closure, at, build_workspace
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, Booking, Break, CallIn, Letter
from webapp.callins.calling import create_callins, from_template


@pytest.fixture
def ws(app, reference_data, monkeypatch):
    # The pages read the clock; freeze it on the Friday before the test week.
    monkeypatch.setattr("webapp.caseworker.routes.now_local", lambda: NOW)
    monkeypatch.setattr("webapp.caseworker.routes.today_local", lambda: NOW.date())
    return build_workspace()


@pytest.fixture
def booking(ws):
    data = replace(from_template(ws.templates["fixed"], today=NOW.date()), cprs=[ws.citizens[0].cpr],
                   starts_at=at(MONDAY, 9))
    result = create_callins(data, now=NOW, actor=ws.user)
    db.session.commit()
    return result.bookings[0]


def _login(client, user):
    from tests.workspace_setup import PASSWORD
    login(client, user, PASSWORD)


def test_calendar_uses_the_vendored_fullcalendar_and_no_cdn(client, ws):
    """R-1.3.4: the week calendar is FullCalendar served from our static files."""
    _login(client, ws.user)
    page = client.get("/caseworker/").get_data(as_text=True)
    assert "Kalender: Anna Andersen" in page
    assert "/static/vendor/fullcalendar/index.global.min.js" in page
    assert "https://" not in page.split("<main", 1)[1]
    script = client.get("/static/vendor/fullcalendar/index.global.min.js")
    assert script.status_code == 200 and b"FullCalendar" in script.data[:200]
    script.close()


def test_events_show_bookings_breaks_closure_days_and_free_time(client, ws, booking):
    """R-1.3.4, R-2.1, R-1.2.6: bookings, breaks, greyed closure days and free time as JSON events."""
    add_local_closure(ws, MONDAY + timedelta(days=1), "Personaledag")
    _login(client, ws.user)
    events = client.get("/caseworker/events?start=2027-03-01T00:00:00%2B01:00"
                        "&end=2027-03-06T00:00:00%2B01:00").get_json()
    meetings = [e for e in events if "booking" in e.get("classNames", [])]
    assert [(m["id"], m["start"]) for m in meetings] == [(str(booking.id), "2027-03-01T09:00:00")]
    assert meetings[0]["url"] == f"/caseworker/bookings/{booking.id}"
    breaks = [e for e in events if "break" in e.get("classNames", [])]
    assert {b["start"][:10] for b in breaks} == {"2027-03-01", "2027-03-03", "2027-03-04", "2027-03-05"}
    closed = [e for e in events if "closure" in e.get("classNames", [])]
    assert closed[0]["start"] == "2027-03-02" and closed[0]["display"] == "background"
    free = [(e["start"], e["end"]) for e in events if "free" in e.get("classNames", [])]
    assert ("2027-03-01T08:00:00", "2027-03-01T09:00:00") in free
    assert not any(start.startswith("2027-03-02") for start, _ in free)
    team = client.get(f"/caseworker/events?team={ws.team.id}&start=2027-03-01&end=2027-03-06").get_json()
    assert [e["id"] for e in team if "booking" in e.get("classNames", [])] == [str(booking.id)]


def test_other_job_centres_and_other_roles_see_nothing(client, ws, booking, create_user):
    """R-0.1: another job centre's caseworker gets 404 for every object; citizens and support get no page."""
    other = build_workspace("Jobcenter Andetby", cprs=["1111901111"])
    _login(client, other.user)
    for url in (f"/caseworker/bookings/{booking.id}", f"/caseworker/citizens/{ws.citizens[0].id}",
                f"/caseworker/?caseworker={ws.anna.id}", f"/caseworker/?team={ws.team.id}",
                f"/caseworker/bookings/{booking.id}/letters/1"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/caseworker/bookings/{booking.id}/cancel",
                       data={"reason": "x"}).status_code == 404
    client.post("/logout")
    from webapp.models import Role
    support = create_user(Role.SUPPORT)
    login(client, support)
    assert client.get("/caseworker/").status_code == 403
    client.post("/logout")
    assert client.get("/caseworker/").status_code == 302  # to the login page


def test_viewing_booking_details_citizen_card_and_letter_is_audited(client, ws, booking):
    """R-1.9.1: booking details viewed, citizen card viewed; the letter download is logged too."""
    _login(client, ws.user)
    page = client.get(f"/caseworker/bookings/{booking.id}").get_data(as_text=True)
    assert "010180-****" in page and "0101801001" not in page
    assert "Lokalegade 7, 8000 Aarhus C" in page
    letter = db.session.scalars(select(Letter).where(Letter.booking_id == booking.id)).one()
    response = client.get(f"/caseworker/bookings/{booking.id}/letters/{letter.id}")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get(f"/caseworker/citizens/{ws.citizens[0].id}").status_code == 200
    events = [(e.event, e.user_id) for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.event.in_([AuditEvent.BOOKING_DETAILS_VIEWED, AuditEvent.CITIZEN_CARD_VIEWED]))
        .order_by(AuditEntry.id))]
    assert events == [(AuditEvent.BOOKING_DETAILS_VIEWED, ws.user.id),
                      (AuditEvent.BOOKING_DETAILS_VIEWED, ws.user.id),
                      (AuditEvent.CITIZEN_CARD_VIEWED, ws.user.id)]


@pytest.mark.parametrize("form, expected", [
    ({"cprs": "999999-9999"}, "er ikke en gyldig dato"),
    ({"cprs": "0707861007"}, "CPR-nummeret 070786-**** findes ikke i CPR-registeret"),
    ({"cprs": "0101801001\n010180-1001"}, "står to gange på listen"),
    ({"cprs": "0101801001", "deadline_date": "2027-02-27"}, "ligger før tidligste samtaledato"),
    ({"cprs": "0101801001", "earliest_date": "27-02-2027"}, "Skriv en dato som åååå-mm-dd."),
])
def test_call_in_form_shows_danish_errors_and_saves_nothing(client, ws, form, expected):
    """R-3.1: the form keeps what was typed and shows the Danish message at the field; nothing saved."""
    _login(client, ws.user)
    template = ws.templates["auto"]
    page = client.get(f"/caseworker/callins/new?template={template.id}").get_data(as_text=True)
    assert 'value="30"' in page and "Husk CV&#39;et." in page  # pre-filled
    data = {"template_id": template.id, "conversation_type_id": template.conversation_type_id,
            "variant_id": template.variant_id, "meeting_form": "individual",
            "holding_form_id": template.holding_form_id, "team_id": template.team_id,
            "caseworker_ids": [ws.anna.id], "duration_minutes": 30, "reporting_minutes": 15,
            "deadline_mode": "days_after_creation", "deadline_days": 14,
            "distribution": "automatic", "earliest_date": "2027-03-01"} | form
    response = client.post("/caseworker/callins/new", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert expected in body
    assert db.session.scalar(select(func.count()).select_from(CallIn)) == 0


def test_call_in_form_books_a_fixed_time_and_moves_and_cancels_by_post(client, ws):
    """R-3.1, R-1.9.1: fixed time booked from the form; moved and cancelled from the booking page."""
    _login(client, ws.user)
    template = ws.templates["fixed"]
    start = at(MONDAY, 9)
    response = client.post("/caseworker/callins/new", data={
        "template_id": template.id, "cprs": "0101801001", "conversation_type_id": template.conversation_type_id,
        "variant_id": template.variant_id, "meeting_form": "individual",
        "holding_form_id": template.holding_form_id, "team_id": template.team_id,
        "room_id": template.room_id, "caseworker_ids": [ws.anna.id], "duration_minutes": 30,
        "deadline_mode": "days_after_creation", "deadline_days": 3650, "distribution": "fixed_time",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    booking = db.session.scalars(select(Booking)).one()
    moved = client.post(f"/caseworker/bookings/{booking.id}/move", data={
        "proposal": "custom", "starts_at": start.replace(hour=13).strftime("%Y-%m-%dT%H:%M"),
        "caseworker_id": ws.bo.id})
    assert moved.status_code == 302
    db.session.expire_all()
    assert booking.starts_at.hour == 13 and [cw.id for cw in booking.caseworkers] == [ws.bo.id]
    refused = client.post(f"/caseworker/bookings/{booking.id}/cancel", data={"reason": ""},
                          follow_redirects=True)
    assert "Skriv en begrundelse for aflysningen." in refused.get_data(as_text=True)
    client.post(f"/caseworker/bookings/{booking.id}/cancel", data={"reason": "Syg"})
    db.session.expire_all()
    assert booking.status.value == "booked"     # the first press asks for confirmation
    client.post(f"/caseworker/bookings/{booking.id}/cancel", data={"reason": "Syg", "confirmed": "1"})
    db.session.expire_all()
    assert booking.status.value == "cancelled"


def test_breaks_shorter_than_the_grid_still_show(client, ws):
    """R-1.2.6: a short break is still returned to the calendar as a background event."""
    db.session.add(Break(caseworker_id=ws.anna.id, weekday=0, start_time=at(MONDAY, 10).time(),
                         end_time=at(MONDAY, 10, 10).time()))
    db.session.commit()
    _login(client, ws.user)
    events = client.get("/caseworker/events?start=2027-03-01&end=2027-03-02").get_json()
    assert {"start": "2027-03-01T10:00:00", "end": "2027-03-01T10:10:00"}.items() <= next(
        e for e in events if e.get("start") == "2027-03-01T10:00:00" and "break" in e["classNames"]).items()


def test_r_1_9_1_the_meetings_revision_history_is_on_its_page_for_the_job_centres_administrators(
        client, ws, booking):
    """R-1.9.1 (§1.9): the meeting's own page shows its audit trail (who, when, what, in Danish)
    to the audit trail's readers of its job centre; a caseworker does not get it; the citizens it
    names are audited as seen; the CPR number stays masked."""
    _login(client, ws.user)
    page = client.get(f"/caseworker/bookings/{booking.id}").get_data(as_text=True)
    assert 'id="history"' not in page and "Revisionsspor" not in page
    client.post("/logout")

    _login(client, ws.admin)
    moved = client.post(f"/caseworker/bookings/{booking.id}/move", data={
        "proposal": "custom", "starts_at": at(MONDAY, 13).strftime("%Y-%m-%dT%H:%M"),
        "caseworker_id": ws.anna.id})
    assert moved.status_code == 302
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    page = client.get(f"/caseworker/bookings/{booking.id}").get_data(as_text=True)
    section = page[page.index('id="history"'):]
    section = section[:section.index("</section>")]
    assert "Revisionsspor" in section
    rows = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]]
    assert any("Anna Andersen" in row and "Booking oprettet" in row for row in rows), rows
    assert any("Admin" in row and "Booking flyttet af jobcenter" in row
               and "Start: 01.03.2027 09:00 → 01.03.2027 13:00" in row for row in rows), rows
    assert any("Borger: " in row and "010180-****" in row for row in rows), rows
    assert not any("_until" in row or "_id:" in row for row in rows), rows
    assert "0101801001" not in page
    seen = db.session.scalars(select(AuditEntry).where(AuditEntry.id > before)).all()
    assert {(e.event, e.citizen_id, e.user_name) for e in seen} >= {
        (AuditEvent.BOOKING_DETAILS_VIEWED, ws.citizens[0].id, "Admin")}

    other = build_workspace("Jobcenter Andetby", cprs=["1111901111"])
    client.post("/logout")
    _login(client, other.admin)
    assert client.get(f"/caseworker/bookings/{booking.id}").status_code == 404
