"""Absence in the workspace: registration, tenancy, the calendar, the dry run and confirming (R-6.4)."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.workspace_setup import MONDAY, NOW, PASSWORD, at, build_workspace
from webapp.callins.calling import create_callins, from_template
from webapp.extensions import db
from webapp.models import (Absence, AuditEntry, AuditEvent, Booking, BookingStatus, CallIn,
                           CallInStatus, Letter, LetterActivity)


@pytest.fixture
def ws(app, reference_data, monkeypatch):
    for module in ("webapp.caseworker.routes", "webapp.caseworker.absences", "webapp.admin.views"):
        monkeypatch.setattr(f"{module}.now_local", lambda: NOW)
        monkeypatch.setattr(f"{module}.today_local", lambda: NOW.date())
    return build_workspace()


def _meetings(ws, hours=(9, 10, 11)):
    booked = []
    for i, hour in enumerate(hours):
        data = replace(from_template(ws.templates["fixed"], today=NOW.date()),
                       cprs=[ws.citizens[i].cpr], starts_at=at(MONDAY, hour), room_id=None)
        booked.append(create_callins(data, now=NOW, actor=ws.user).bookings[0])
    db.session.commit()
    return booked


def _register(client, caseworker, **fields):
    form = {"caseworker_id": caseworker.id, "kind": "sickness", "whole_days": "1",
            "first_day": MONDAY.isoformat(), "last_day": MONDAY.isoformat()} | fields
    return client.post("/caseworker/absences", data=form)


def _confirm_form(dry):
    """The dry run's confirm form as the browser sends it back."""
    return {name: [html.unescape(v) for v in re.findall(rf'name="{name}" value="([^"]*)"', dry)]
            for name in ("move", "left", "signature")}


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_caseworker_registers_their_own_absence_and_sees_it_in_the_calendar_R_6_4(client, ws):
    """R-6.4: registered in the workspace by the caseworker; a labelled block in the calendar."""
    login(client, ws.user, PASSWORD)
    page = client.get("/caseworker/absences").get_data(as_text=True)
    assert "Registrér fravær" in page and "Anna Andersen" in page and "Bo Berg" not in page
    response = _register(client, ws.anna)
    assert response.status_code == 302
    absence = db.session.scalars(select(Absence)).one()
    assert response.headers["Location"].endswith(f"/caseworker/absences/{absence.id}")
    detail = client.get(f"/caseworker/absences/{absence.id}").get_data(as_text=True)
    assert "Sygdom" in detail and "01.03.2027" in detail and "Fraværet rammer ingen samtaler." in detail
    events = client.get("/caseworker/events?start=2027-03-01&end=2027-03-06").get_json()
    labels = [e for e in events if "absence-label" in e.get("classNames", [])]
    assert [(e["title"], e["start"], e.get("allDay")) for e in labels] == [
        ("Fravær: Sygdom", "2027-03-01", True)]
    assert not any("free" in e.get("classNames", []) and e["start"].startswith("2027-03-01")
                   for e in events)


def test_no_break_is_drawn_over_an_absence_R_6_4(client, ws):
    """R-6.4: a whole day away shows no 12:00 break that day; part of a day clips the break."""
    login(client, ws.user, PASSWORD)
    _register(client, ws.anna)  # Monday, whole day
    _register(client, ws.anna, whole_days="0", day=(MONDAY + timedelta(days=1)).isoformat(),
              from_time="12:15", to_time="14:00")
    events = client.get("/caseworker/events?start=2027-03-01&end=2027-03-04").get_json()
    breaks = [(e["start"], e["end"]) for e in events if "break" in e.get("classNames", [])]
    assert breaks == [("2027-03-02T12:00:00", "2027-03-02T12:15:00"),
                      ("2027-03-03T12:00:00", "2027-03-03T12:30:00")]


def test_part_of_a_day_from_the_form_R_6_4(client, ws):
    """R-6.4: part of a day: day, from and to."""
    login(client, ws.user, PASSWORD)
    _register(client, ws.anna, whole_days="0", day=MONDAY.isoformat(), from_time="09:00",
              to_time="12:00")
    absence = db.session.scalars(select(Absence)).one()
    assert (absence.starts_at, absence.ends_at) == (at(MONDAY, 9), at(MONDAY, 12))


@pytest.mark.parametrize("fields, message", [
    ({"last_day": "2027-02-27"}, "Fraværet skal slutte efter det starter."),
    ({"whole_days": "0", "day": "2027-03-01", "from_time": "12:00", "to_time": "09:00"},
     "Fraværet skal slutte efter det starter."),
    ({"first_day": "", "last_day": ""}, "Skriv hvornår fraværet starter og slutter."),
    ({"kind": "<script>"}, "Vælg en fraværstype"),
])
def test_bad_input_shows_a_danish_message_and_saves_nothing_R_6_4(client, ws, fields, message):
    """R-6.4: bad input: a clear Danish message, nothing saved, no server error."""
    login(client, ws.user, PASSWORD)
    response = _register(client, ws.anna, **fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(Absence) == 0


def test_a_caseworker_cannot_register_or_open_someone_elses_absence_R_6_4(client, ws):
    """R-6.4, R-0.1: a caseworker only their own; another job centre's absence is not found."""
    login(client, ws.user, PASSWORD)
    response = _register(client, ws.bo)
    assert "Du kan kun registrere og ændre dit eget fravær." in response.get_data(as_text=True)
    assert _count(Absence) == 0
    client.post("/logout")
    login(client, ws.admin, PASSWORD)
    assert _register(client, ws.bo).status_code == 302
    bos = db.session.scalars(select(Absence)).one()
    other = build_workspace("Jobcenter Andetsted", cprs=["0707861007"])
    client.post("/logout")
    login(client, ws.user, PASSWORD)
    for url in (f"/caseworker/absences/{bos.id}",):
        assert client.get(url).status_code == 404
    for action in ("edit", "remove", "replan", "replan/confirm"):
        assert client.post(f"/caseworker/absences/{bos.id}/{action}").status_code == 404
    client.post("/logout")
    login(client, other.admin, PASSWORD)
    assert client.get(f"/caseworker/absences/{bos.id}").status_code == 404
    assert client.post(f"/caseworker/absences/{bos.id}/remove").status_code == 404
    assert db.session.get(Absence, bos.id) is not None
    client.post("/logout")
    assert client.get("/caseworker/absences").status_code == 302  # to the login


def test_dry_run_then_confirm_moves_the_meetings_with_letters_R_6_4(client, ws):
    """R-6.4: the hit meetings are listed; Genplanlæg shows the dry run; confirming moves them."""
    booked = _meetings(ws)
    login(client, ws.admin, PASSWORD)
    _register(client, ws.anna)
    absence = db.session.scalars(select(Absence)).one()
    page = client.get(f"/caseworker/absences/{absence.id}").get_data(as_text=True)
    assert all(f"Samtale nr. {b.id}" in page for b in booked) and "Genplanlæg" in page
    letters_before = _count(Letter)
    dry = client.post(f"/caseworker/absences/{absence.id}/replan").get_data(as_text=True)
    assert "3 flyttes, 0 tilbage på afventerlisten" in dry
    assert _count(Letter) == letters_before
    assert all(b.caseworker_links[0].caseworker_id == ws.anna.id for b in booked)
    form = _confirm_form(dry)
    done = client.post(f"/caseworker/absences/{absence.id}/replan/confirm", data=form)
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "Genplanlagt: 3 flyttes, 0 tilbage på afventerlisten." in text
    for booking in booked:
        db.session.refresh(booking)
        assert booking.caseworker_links[0].caseworker_id != ws.anna.id
        assert booking.starts_at.date() == MONDAY
    assert _count(Letter) - letters_before == 3
    # Same time, another caseworker: the update letter.
    assert db.session.scalar(select(func.count()).select_from(Letter).where(
        Letter.activity == LetterActivity.UPDATE)) == 3
    # Showing the citizens' names is audited.
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.event == AuditEvent.BOOKING_DETAILS_VIEWED,
        AuditEntry.booking_id.in_([b.id for b in booked]))) >= 3


def test_a_tampered_plan_is_refused_and_changes_nothing_R_6_4(client, ws):
    """R-6.4: confirm with a plan that does not cover the hit meetings: refused, nothing moved."""
    booked = _meetings(ws, hours=(9,))
    login(client, ws.admin, PASSWORD)
    _register(client, ws.anna)
    absence = db.session.scalars(select(Absence)).one()
    response = client.post(f"/caseworker/absences/{absence.id}/replan/confirm",
                           data={"move": [f"{booked[0].id}|nonsense"]}, follow_redirects=True)
    assert "Planen er ikke den, prøvekørslen viste" in response.get_data(as_text=True)
    db.session.refresh(booked[0])
    assert booked[0].caseworker_links[0].caseworker_id == ws.anna.id
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


@pytest.mark.parametrize("reason", ["Borgeren er udeblevet tre gange.", "x" * 5000, ""])
def test_a_reason_changed_in_the_confirm_form_is_refused_and_saves_nothing_R_6_4(client, ws, reason):
    """R-6.4: the reasons of what goes back to the waiting list become the call-in's reason and
    the letter's text: one edited or oversized on its way back is refused, nothing changes."""
    [booking] = _meetings(ws, hours=(9,))
    callin = db.session.scalars(select(CallIn).where(CallIn.booking_id == booking.id)).one()
    callin.earliest_date = callin.deadline_date = NOW.date()  # cannot move: back to waiting
    db.session.commit()
    login(client, ws.admin, PASSWORD)
    for caseworker in (ws.bo, ws.carl, ws.anna):  # no one else that day
        _register(client, caseworker)
    absence = db.session.scalars(select(Absence).where(Absence.caseworker_id == ws.anna.id)).one()
    dry = client.post(f"/caseworker/absences/{absence.id}/replan").get_data(as_text=True)
    assert "0 flyttes, 1 tilbage på afventerlisten" in dry
    form = _confirm_form(dry)
    assert form["left"] == [f"{booking.id}|Fristen 26.02.2027 er overskredet; samtalen kan ikke "
                            "flyttes inden fristen."]
    before = (_count(Letter), _count(AuditEntry))
    form["left"] = [f"{booking.id}|{reason}"]
    response = client.post(f"/caseworker/absences/{absence.id}/replan/confirm", data=form,
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Planen er ikke den, prøvekørslen viste" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.BOOKED
    callin = db.session.get(CallIn, callin.id)
    assert (callin.status, callin.unplaced_reason) == (CallInStatus.PLACED, None)
    assert _count(Letter) == before[0]
    assert _count(AuditEntry) == before[1] + 1  # the absence page's own view entry only


# ---------------------------------------------------------------------------
# The admin's "Fravær"
# ---------------------------------------------------------------------------

def _admin_form(caseworker, **changes):
    return {"caseworker": str(caseworker.id), "kind": "holiday", "starts_at": "2027-03-01 00:00:00",
            "ends_at": "2027-03-03 00:00:00", "note": ""} | changes


def test_the_admin_registers_through_the_service_and_lands_on_the_hit_meetings_R_6_4(client, ws):
    """R-6.4: "Fravær" in the admin: thin over the service, audited, then the hit meetings."""
    booked = _meetings(ws, hours=(9,))
    login(client, ws.admin, PASSWORD)
    assert "Fravær" in client.get("/admin/", follow_redirects=True).get_data(as_text=True)
    form = client.get("/admin/absence/new/").get_data(as_text=True)
    assert "Anna Andersen" in form
    response = client.post("/admin/absence/new/", data=_admin_form(ws.anna))
    assert response.status_code == 302
    absence = db.session.scalars(select(Absence)).one()
    assert response.headers["Location"].endswith(f"/caseworker/absences/{absence.id}")
    assert (absence.starts_at, absence.ends_at, absence.whole_days) == (at(MONDAY, 0), at(MONDAY.replace(day=3), 0), True)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.event == AuditEvent.ABSENCE_REGISTERED)) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Samtale nr. {booked[0].id}" in page and "Genplanlæg" in page
    listing = client.get("/admin/absence/").get_data(as_text=True)
    assert "01.03.2027–02.03.2027" in listing and "Ferie" in listing


def test_the_admin_form_refuses_bad_input_and_other_job_centres_R_6_4(client, ws):
    """R-6.4, R-0.1: end before start is refused with the Danish text; another centre's row is not found."""
    login(client, ws.admin, PASSWORD)
    page = client.post("/admin/absence/new/", data=_admin_form(
        ws.anna, ends_at="2027-02-28 00:00:00")).get_data(as_text=True)
    assert "Fraværet skal slutte efter det starter." in page
    assert _count(Absence) == 0
    other = build_workspace("Jobcenter Andetsted", cprs=["0707861007"])
    client.post("/admin/absence/new/", data=_admin_form(other.anna))
    assert _count(Absence) == 0
    _register(client, ws.bo)
    bos = db.session.scalars(select(Absence)).one()
    client.post("/logout")
    login(client, other.admin, PASSWORD)
    assert client.get(f"/admin/absence/edit/?id={bos.id}").status_code == 404
    assert client.post("/admin/absence/delete/", data={"id": str(bos.id)}).status_code == 404
    assert "Bo Berg" not in client.get("/admin/absence/").get_data(as_text=True)
    assert db.session.get(Absence, bos.id) is not None


def test_a_closure_day_added_late_re_plans_its_meetings_the_same_way_R_6_4(client, ws):
    """R-6.4: a whole team's day (a local closure day added late): the same dry run and Genplanlæg."""
    booked = _meetings(ws, hours=(9, 10))
    login(client, ws.admin, PASSWORD)
    response = client.post("/admin/localclosureday/new/", data={
        "teams": [str(ws.team.id)], "name": "Akut lukket", "first_day": MONDAY.isoformat(),
        "last_day": MONDAY.isoformat()})
    assert response.status_code == 302 and "/collisions/" in response.location
    closure_id = int(response.location.rsplit("id=", 1)[1])
    page = client.get(response.location).get_data(as_text=True)
    assert "Genplanlæg" in page
    dry = client.post(f"/admin/localclosureday/collisions/replan/?id={closure_id}").get_data(as_text=True)
    assert "2 flyttes, 0 tilbage på afventerlisten" in dry
    for booking in booked:
        db.session.refresh(booking)
        assert booking.starts_at.date() == MONDAY
    form = _confirm_form(dry)
    done = client.post(f"/admin/localclosureday/collisions/replan/confirm/?id={closure_id}", data=form,
                       follow_redirects=True).get_data(as_text=True)
    assert "Genplanlagt: 2 flyttes, 0 tilbage på afventerlisten." in done
    for booking in booked:
        db.session.refresh(booking)
        assert booking.starts_at.date() == MONDAY + timedelta(days=1)
    assert db.session.scalar(select(func.count()).select_from(Letter).where(
        Letter.activity == LetterActivity.MOVE)) == 2


def test_the_admin_team_calendar_shows_who_is_away_each_day_R_6_4(client, ws, create_job_centre,
                                                                  create_caseworker):
    """R-6.4: an absence shows in the calendars, the admin's month of the team included; only
    the team's own caseworkers, of its own job centre."""
    from webapp.calendar import absences
    from webapp.calendar.absences import AbsenceInput

    absences.register(ws.job_centre.id, AbsenceInput(
        caseworker_id=ws.anna.id, kind="holiday", whole_days=True, first_day=MONDAY,
        last_day=MONDAY + timedelta(days=1)), actor=ws.admin)
    elsewhere = create_job_centre("Jobcenter Andetsted")
    stranger = create_caseworker(elsewhere, name="Ulla Udefra")
    db.session.add(Absence(job_centre_id=elsewhere.id, caseworker_id=stranger.id, kind="sickness",
                           starts_at=at(MONDAY, 0), ends_at=at(MONDAY + timedelta(days=1), 0)))
    db.session.commit()

    login(client, ws.admin, PASSWORD)
    page = client.get(f"/admin/teamcalendar/?team_id={ws.team.id}&month={MONDAY:%Y-%m}").get_data(as_text=True)
    cells = dict(re.findall(r'data-date="([\d-]+)"[^>]*>(.*?)</td>', page, re.S))
    assert "Fravær: Anna Andersen (Ferie)" in cells[MONDAY.isoformat()]
    assert "Fravær: Anna Andersen (Ferie)" in cells[(MONDAY + timedelta(days=1)).isoformat()]
    assert "Fravær" not in cells[(MONDAY + timedelta(days=2)).isoformat()]
    assert "Ulla Udefra" not in page
