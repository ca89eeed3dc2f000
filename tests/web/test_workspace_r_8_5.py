"""The workspace made usable (R-8.5): Plan now asks and answers, the team calendar has a column per
caseworker, choosing in a select reloads nothing, the call-in form tells everything at once and
letters open in the browser."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.workspace_setup import MONDAY, NOW, PASSWORD, add_local_closure, at, build_workspace
from webapp.callins.calling import create_callins, from_template
from webapp.extensions import db
from webapp.models import (Absence, AbsenceKind, Booking, CallIn, CallInStatus, Caseworker, Letter,
                           SystemLogEntry, Team, TeamMembership)


@pytest.fixture
def ws(app, reference_data, monkeypatch):
    for module in ("routes", "planning"):
        monkeypatch.setattr(f"webapp.caseworker.{module}.now_local", lambda: NOW)
    monkeypatch.setattr("webapp.caseworker.routes.today_local", lambda: NOW.date())
    return build_workspace()


def _other_team(ws, name: str = "Voksne Testby") -> tuple[Team, Caseworker]:
    """A second team of the job centre, with a caseworker of its own."""
    team = Team(job_centre=ws.job_centre, name=name, parent_id=ws.team.parent_id)
    dora = Caseworker(job_centre=ws.job_centre, email="dd@testby.dk", name="Dora Dahl",
                      initials="DD", rid="912345")
    dora.memberships.append(TeamMembership(team=team))
    db.session.add_all([team, dora])
    db.session.flush()
    return team, dora


def _wait(ws, citizens, template_key: str = "auto") -> None:
    data = replace(from_template(ws.templates[template_key], today=NOW.date()),
                   cprs=[c.cpr for c in citizens])
    create_callins(data, now=NOW, actor=ws.user)
    db.session.commit()


# ---------------------------------------------------------------------------
# Plan now
# ---------------------------------------------------------------------------

def test_plan_now_asks_first_and_says_it_plans_the_whole_job_centre_R_8_5(client, ws):
    """R-8.5: the waiting list's button opens a confirmation naming the scope: the whole job
    centre, team by team, the user's own team marked; an unconfirmed POST runs nothing."""
    other_team, dora = _other_team(ws)
    _wait(ws, ws.citizens[:2])
    other = replace(from_template(ws.templates["auto"], today=NOW.date()),
                    cprs=[ws.citizens[2].cpr], team_id=other_team.id, caseworker_ids=[dora.id],
                    variant_id=None)
    create_callins(other, now=NOW, actor=ws.user)
    db.session.commit()
    login(client, ws.user, PASSWORD)

    waiting = client.get("/caseworker/waiting").get_data(as_text=True)
    assert 'id="plan-now" href="/caseworker/plan-now"' in waiting
    page = client.get("/caseworker/plan-now").get_data(as_text=True)
    assert "Planlægningen gælder hele Jobcenter Testby, ikke kun dine teams." in page
    assert "3 indkaldelser afventer, heraf 2 i dine teams og 1 i andre teams." in page
    rows = re.findall(r"<tr( class=\"yours\")?><td>([^<]+)", page)
    assert rows == [(' class="yours"', f"{ws.team.name} "), ("", "Voksne Testby")]
    assert 'name="confirmed" value="1"' in page and 'role="status"' in page

    refused = client.post("/caseworker/plan-now", data={})
    assert refused.status_code == 302 and refused.location.endswith("/caseworker/plan-now")
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    assert db.session.scalar(select(func.count()).select_from(SystemLogEntry)
                             .where(SystemLogEntry.category == "allocation")) == 0


def test_plan_now_with_nothing_waiting_offers_no_run_R_8_5(client, ws):
    """R-8.5: with an empty waiting list the page says there is nothing to plan, and no button."""
    login(client, ws.user, PASSWORD)
    page = client.get("/caseworker/plan-now").get_data(as_text=True)
    assert "Ingen indkaldelser afventer, så der er intet at planlægge." in page
    assert "plan-now-confirm" not in page


def test_plan_now_result_links_every_meeting_it_booked_R_8_5(client, ws, create_user):
    """R-8.5: the confirmed run answers with its own page: the figures and a link to each meeting
    booked; another job centre's user gets 404 for it, and the page names no citizen."""
    _wait(ws, ws.citizens[:3])
    login(client, ws.user, PASSWORD)
    response = client.post("/caseworker/plan-now", data={"confirmed": "1"})
    assert response.status_code == 302
    match = re.search(r"/caseworker/plan-now/(\d+)$", response.location)
    assert match, response.location
    bookings = list(db.session.scalars(select(Booking).order_by(Booking.starts_at, Booking.id)))
    assert len(bookings) == 3
    assert {c.status for c in db.session.scalars(select(CallIn))} == {CallInStatus.PLACED}
    page = client.get(response.location).get_data(as_text=True)
    assert "3 af 3 ventende indkaldelser blev placeret." in page
    assert re.findall(r'href="/caseworker/bookings/(\d+)"', page) == [str(b.id) for b in bookings]
    assert all(c.name not in page for c in ws.citizens)
    assert "Anna Andersen" in page or "Bo Berg" in page

    other = build_workspace("Jobcenter Andetby", cprs=["1111901111"])
    db.session.commit()
    client.post("/logout")
    login(client, other.user, PASSWORD)
    assert client.get(response.location).status_code == 404
    assert client.get("/caseworker/plan-now/999999").status_code == 404


# ---------------------------------------------------------------------------
# The team calendar
# ---------------------------------------------------------------------------

def test_team_calendar_has_a_column_per_caseworker_with_the_name_as_header_R_8_5(client, ws):
    """R-8.5: the team's week has, for each day, one column per caseworker headed by the name;
    each meeting is in its caseworker's column of its day; a closure day is greyed and named."""
    fixed = ws.templates["fixed"]
    for citizen, caseworker, hour in ((ws.citizens[0], ws.anna, 9), (ws.citizens[1], ws.bo, 9)):
        data = replace(from_template(fixed, today=NOW.date()), cprs=[citizen.cpr],
                       caseworker_ids=[caseworker.id], starts_at=at(MONDAY, hour), room_id=None)
        create_callins(data, now=NOW, actor=ws.user)
    add_local_closure(ws, MONDAY + timedelta(days=2), "Personaledag")
    db.session.commit()
    login(client, ws.user, PASSWORD)
    page = client.get(f"/caseworker/?team={ws.team.id}&date={MONDAY.isoformat()}").get_data(as_text=True)
    names = re.findall(r'<th scope="col" class="tg-cw[^"]*" data-caseworker="\d+" title="[^"]*">([^<]+)</th>', page)
    assert names == ["Anna Andersen", "Bo Berg", "Carl Clausen"] * 5
    assert "fullcalendar" not in page  # drawn on the server: no script needed
    for booking in db.session.scalars(select(Booking)):
        cw = booking.caseworkers[0]
        cell = re.search(rf'<td class="tg-col[^"]*" data-caseworker="{cw.id}" data-day="{MONDAY.isoformat()}"'
                         r'.*?</td>', page, re.S).group(0)
        assert f'data-booking="{booking.id}"' in cell
    assert "Lukket: Personaledag" in page
    closed = re.findall(r'<td class="tg-col[^"]*closed[^"]*" data-caseworker="\d+" data-day="([^"]+)"', page)
    assert set(closed) == {(MONDAY + timedelta(days=2)).isoformat()}
    # The day view: one day, the same columns; its arrows skip the weekend.
    day = client.get(f"/caseworker/?team={ws.team.id}&date={(MONDAY + timedelta(days=4)).isoformat()}"
                     "&view=day").get_data(as_text=True)
    assert len(re.findall(r'class="tg-cw', day)) == 3
    assert f"date={(MONDAY + timedelta(days=7)).isoformat()}" in day


def test_team_calendar_shows_absences_and_free_time_per_caseworker_R_8_5(client, ws):
    """R-8.5, R-6.4: a whole-day absence is labelled in that caseworker's column only; the others
    keep their free time."""
    db.session.add(Absence(job_centre_id=ws.job_centre.id, caseworker_id=ws.bo.id,
                           kind=AbsenceKind.SICKNESS, starts_at=at(MONDAY, 0),
                           ends_at=at(MONDAY + timedelta(days=1), 0)))
    db.session.commit()
    login(client, ws.user, PASSWORD)
    page = client.get(f"/caseworker/?team={ws.team.id}&date={MONDAY.isoformat()}&view=day").get_data(as_text=True)
    cells = dict(re.findall(r'<td class="tg-col[^"]*" data-caseworker="(\d+)".*?>(.*?)</td>', page, re.S))
    assert "Fravær: Sygdom" in cells[str(ws.bo.id)]
    assert "Fravær" not in cells[str(ws.anna.id)]
    assert 'tg-bg free' in cells[str(ws.anna.id)] and 'tg-bg free' not in cells[str(ws.bo.id)]


# ---------------------------------------------------------------------------
# Selects do not reload the page
# ---------------------------------------------------------------------------

def test_workspace_selects_reload_nothing_and_a_show_button_chooses_R_8_5(client, ws):
    """R-8.5: no select of the workspace submits on change; each form has its own "Vis" (or
    "Brug skabelon") button, which works without scripts."""
    login(client, ws.user, PASSWORD)
    for url in ("/caseworker/", f"/caseworker/?team={ws.team.id}", "/caseworker/rooms",
                "/caseworker/callins/new", "/caseworker/waiting", "/caseworker/absences",
                "/caseworker/oversigt"):
        page = client.get(url).get_data(as_text=True)
        assert "onchange" not in page, url
    page = client.get("/caseworker/").get_data(as_text=True)
    assert 'id="calendar-show"' in page and "<noscript><button" not in page
    chosen = client.get(f"/caseworker/?subject=team-{ws.team.id}&date=2027-03-03")
    assert chosen.status_code == 302
    assert chosen.location.endswith(f"/caseworker/?team={ws.team.id}&date=2027-03-03")
    assert client.get(f"/caseworker/?subject=caseworker-{ws.bo.id}").location.endswith(
        f"/caseworker/?caseworker={ws.bo.id}")
    for bad in ("team-x", "room-1", "caseworker-99999999999", ""):
        assert client.get(f"/caseworker/?subject={bad}").status_code == 404, bad


# ---------------------------------------------------------------------------
# The call-in form
# ---------------------------------------------------------------------------

def test_call_in_form_shows_every_error_at_once_R_8_5(client, ws):
    """R-8.5: a form with five things wrong says all five, each at its field and in a summary
    on top that links to them; nothing is saved."""
    login(client, ws.user, PASSWORD)
    response = client.post("/caseworker/callins/new", data={
        "cprs": "", "conversation_type_id": "", "holding_form_id": "", "team_id": ws.team.id,
        "caseworker_ids": [], "duration_minutes": "abc", "reporting_minutes": "0",
        "deadline_mode": "days_after_creation", "deadline_days": "14",
        "distribution": "automatic", "earliest_date": "27-02-2027"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    fields = re.findall(r'<p class="error" id="([a-z_]+)-error">', body)
    assert sorted(fields) == sorted(["cprs", "conversation_type_id", "holding_form_id",
                                     "caseworker_ids", "duration_minutes", "earliest_date"])
    assert "Indkaldelsen er ikke oprettet: 6 ting skal rettes." in body
    summary = body.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert summary.count("<li>") == 6 and 'href="#cprs"' in summary
    assert "Skriv mindst ét CPR-nummer." in summary and "Vælg mindst én vejleder." in summary
    assert db.session.scalar(select(func.count()).select_from(CallIn)) == 0


def test_call_in_form_shows_the_chosen_teams_caseworkers_only_R_8_5(client, ws):
    """R-8.5: the caseworkers of other teams are there for the script, hidden; each says its teams."""
    other_team, dora = _other_team(ws)
    db.session.commit()
    login(client, ws.user, PASSWORD)
    page = client.get(f"/caseworker/callins/new?template={ws.templates['auto'].id}").get_data(as_text=True)
    labels = {value: hidden for _teams, hidden, value in re.findall(
        r'<label data-teams="([\d ]*)" (hidden)?><input type="checkbox" name="caseworker_ids" '
        r'value="(\d+)"', page)}
    assert labels[str(dora.id)] == "hidden"
    assert labels[str(ws.anna.id)] == labels[str(ws.bo.id)] == labels[str(ws.carl.id)] == ""
    assert f'data-teams="{other_team.id}"' in page
    assert "Kun det valgte teams vejledere vises." in page


def test_call_in_form_fixed_time_and_group_box_only_where_they_apply_R_8_5(client, ws):
    """R-8.5: under automatic distribution "Fast tidspunkt" is hidden (the earliest date shows);
    an individual meeting's form has the group-meeting box hidden and not ticked; a group
    template's has it shown and ticked. Without scripts every field shows (noscript style)."""
    login(client, ws.user, PASSWORD)
    auto = client.get(f"/caseworker/callins/new?template={ws.templates['auto'].id}").get_data(as_text=True)
    assert re.search(r'data-when-distribution="fixed_time" hidden><label for="starts_at">', auto)
    assert re.search(r'data-when-distribution="automatic" ><label for="earliest_date">', auto)
    box = re.search(r'<label data-when-meeting-form="group" (hidden)?><input type="checkbox" '
                    r'name="more_sessions" id="more_sessions" value="1" (checked)?', auto)
    assert box.groups() == ("hidden", None)
    fixed = client.get(f"/caseworker/callins/new?template={ws.templates['fixed'].id}").get_data(as_text=True)
    assert re.search(r'data-when-distribution="fixed_time" ><label for="starts_at">', fixed)
    assert re.search(r'data-when-distribution="automatic" hidden><label for="earliest_date">', fixed)
    group = client.get(f"/caseworker/callins/new?template={ws.templates['group'].id}").get_data(as_text=True)
    box = re.search(r'<label data-when-meeting-form="group" (hidden)?><input type="checkbox" '
                    r'name="more_sessions" id="more_sessions" value="1" (checked)?', group)
    assert box.groups() == (None, "checked")
    assert "<noscript><style>#callin-form [hidden] { display:revert !important; }</style></noscript>" in auto


def test_letter_opens_in_the_browser_R_8_5(client, ws):
    """R-8.5: the letter's PDF is sent inline, so the browser shows it instead of downloading."""
    data = replace(from_template(ws.templates["fixed"], today=NOW.date()), cprs=[ws.citizens[0].cpr],
                   starts_at=at(MONDAY, 9))
    booking = create_callins(data, now=NOW, actor=ws.user).bookings[0]
    db.session.commit()
    login(client, ws.user, PASSWORD)
    letter = db.session.scalars(select(Letter).where(Letter.booking_id == booking.id)).one()
    response = client.get(f"/caseworker/bookings/{booking.id}/letters/{letter.id}")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="{letter.filename}"'

