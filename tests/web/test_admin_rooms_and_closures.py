"""Meeting rooms (R-1.4.x) and closure days (R-1.3.x) in the administration module."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.web.admin_support import field_errors, flashes, post
from webapp.extensions import db
from webapp.models import (AuditEntry, LocalClosureDay, NationalClosureDay, Role, Room, Team)


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    return create_user(Role.ADMINISTRATOR, job_centre)


def _team(name: str) -> Team:
    return db.session.scalar(select(Team).where(Team.name == name))


def _room(**changes: object) -> dict:
    data = {"name": "Mødelokale 2", "resource_type": "meeting_room", "capacity": "8",
            "accepts_overbooking": "y", "overbooking_seats": "2", "address": "Værkmestergade 2B",
            "postal_code": "8000", "city": "", "email": "lokale2@aarhus.dk",
            "usable_for_callins": "y", "comment": "Projektor", "teams": [_team("Ungeindsatsen").id]}
    return data | changes


def test_r_1_4_1_r_1_4_2_create_room_with_capacity_overbooking_and_teams(client, admin):
    login(client, admin)
    form = client.get("/admin/room/new/").get_data(as_text=True)
    assert ">Detaljer</a>" in form and ">Teams</a>" in form and ">Mødelokale</option>" in form
    assert post(client, "/admin/room/new/", _room())[0] == 302
    room = db.session.scalar(select(Room))
    assert (room.capacity, room.overbooking_seats, room.seats, room.city) == (8, 2, 10, "Aarhus C")
    assert [t.name for t in room.teams] == ["Ungeindsatsen"]

    # Saving again says so in plain Danish and names the room.
    assert post(client, f"/admin/room/edit/?id={room.id}", _room(capacity="9"))[0] == 302
    messages = " ".join(flashes(client.get("/admin/room/").get_data(as_text=True)))
    assert f"Mødelokale »{room.name}« er gemt." in messages and "Post blev gemt." not in messages


BAD_ROOM_INPUT = [
    ("capacity", {"capacity": "-3"}, "Kapaciteten -3 er ugyldig"),
    ("capacity", {"capacity": "0"}, "Kapaciteten 0 er ugyldig"),
    ("capacity", {"capacity": "otte"}, "Skriv et helt tal"),
    ("accepts_overbooking", {"capacity": ""}, "Overbooking kræver en maksimal kapacitet"),
    ("overbooking_seats", {"overbooking_seats": "0"}, "Angiv hvor mange ekstra pladser"),
    ("address", {"address": "Værkmestergade 2b"}, "skriv »Værkmestergade 2B«"),
    ("postal_code", {"postal_code": "9999"}, "Postnummeret 9999 findes ikke"),
    ("email", {"email": "lokale2@@aarhus.dk"}, "den må kun have ét @"),
    ("teams", {"teams": []}, "Vælg mindst ét team"),
    ("name", {"name": "Mødelokale 1"}, "Der findes allerede et mødelokale med navnet »Mødelokale 1«"),
]


@pytest.mark.parametrize(("field", "changes", "message"), BAD_ROOM_INPUT,
                         ids=[f"{f}-{i}" for i, (f, _c, _m) in enumerate(BAD_ROOM_INPUT)])
def test_r_1_4_1_bad_room_input_is_refused_on_the_field(client, admin, create_room, field, changes, message):
    """R-1.4.1/R-1.4.2: negative capacity, overbooking without capacity, duplicate name …"""
    create_room(admin.job_centre, name="Mødelokale 1")
    login(client, admin)
    status, page = post(client, "/admin/room/new/", _room(**changes))
    assert status == 200
    errors = field_errors(page, field)
    assert any(message in e for e in errors), errors
    assert db.session.scalar(select(func.count(Room.id))) == 1
    assert not db.session.scalar(select(func.count(AuditEntry.id)))


def test_r_1_4_5_a_room_with_future_meetings_cannot_be_deleted(client, admin, create_room,
                                                              create_caseworker, create_booking):
    """R-1.4.5: a room with future meetings cannot be deleted."""
    login(client, admin)
    used = create_room(admin.job_centre, name="Brugt", capacity=4)
    unused = create_room(admin.job_centre, name="Ledig")
    caseworker = create_caseworker(admin.job_centre)
    create_booking([caseworker], datetime(2030, 3, 5, 9), room_id=used.id)
    page = client.post("/admin/room/delete/", data={"id": used.id}, follow_redirects=True).get_data(as_text=True)
    assert any("har 1 kommende samtaler og kan ikke slettes" in m for m in flashes(page))
    client.post("/admin/room/delete/", data={"id": unused.id})
    db.session.expire_all()
    assert db.session.get(Room, used.id) is not None and db.session.get(Room, unused.id) is None


# --- closure days -------------------------------------------------------------------

def _closure(**changes: object) -> dict:
    data = {"teams": [_team("Aarhus Jobcenter").id], "name": "Personaledag",
            "first_day": "2030-03-05", "last_day": "2030-03-06"}
    return data | changes


BAD_CLOSURE_INPUT = [
    ("last_day", {"last_day": "2030-03-04"}, "Slutdatoen (04.03.2030) må ikke ligge før startdatoen (05.03.2030)"),
    ("name", {"name": " "}, "Giv lukkedagen et sigende navn"),
    ("first_day", {"first_day": "5. marts"}, "Skriv en gyldig dato"),
    ("teams", {"teams": []}, "Vælg mindst ét team, lukkedagen gælder for"),
]


@pytest.mark.parametrize(("field", "changes", "message"), BAD_CLOSURE_INPUT,
                         ids=[f for f, _c, _m in BAD_CLOSURE_INPUT])
def test_r_1_3_2_bad_closure_input_is_refused_on_the_field(client, admin, field, changes, message):
    login(client, admin)
    status, page = post(client, "/admin/localclosureday/new/", _closure(**changes))
    assert status == 200
    errors = field_errors(page, field)
    assert any(message in e for e in errors), errors
    assert not db.session.scalar(select(func.count(LocalClosureDay.id)))


def test_r_8_4_closure_days_are_edited_and_the_change_is_audited(client, admin):
    """R-8.4 (over R-1.3.3): a closure day can be edited from its list; the change is refused
    like a new one's bad input, and the audit trail keeps the teams before and after."""
    login(client, admin)
    assert post(client, "/admin/localclosureday/new/", _closure())[0] == 302
    closure = db.session.scalar(select(LocalClosureDay))
    assert f"/admin/localclosureday/edit/?id={closure.id}" in client.get(
        "/admin/localclosureday/").get_data(as_text=True)
    status, page = post(client, f"/admin/localclosureday/edit/?id={closure.id}",
                        _closure(name="Ændret", teams=[]))
    assert status == 200 and field_errors(page, "teams")
    db.session.expire_all()
    assert closure.name == "Personaledag"
    assert post(client, f"/admin/localclosureday/edit/?id={closure.id}",
                _closure(name="Ændret", teams=[_team("Ungeindsatsen").id]))[0] == 302
    db.session.expire_all()
    assert closure.name == "Ændret" and [t.name for t in closure.teams] == ["Ungeindsatsen"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.event == "admin_updated")).all()[-1]
    assert entry.before["teams"] == ["Aarhus Jobcenter"] and entry.after["teams"] == ["Ungeindsatsen"]
    client.post("/admin/localclosureday/delete/", data={"id": closure.id})
    assert not db.session.scalar(select(func.count(LocalClosureDay.id)))


def test_r_8_4_r_1_3_4_an_edited_closure_day_lists_the_bookings_it_now_falls_on(
        client, admin, create_caseworker, create_booking):
    """R-8.4, R-1.3.4: moving a closure day onto booked meetings lists them, as creating does."""
    login(client, admin)
    worker = create_caseworker(admin.job_centre, teams=[_team("Ungeindsatsen")])
    hit = create_booking([worker], datetime(2030, 3, 12, 9))
    response = client.post("/admin/localclosureday/new/", data=_closure())
    assert "/collisions/" not in response.location
    closure = db.session.scalar(select(LocalClosureDay))
    response = client.post(f"/admin/localclosureday/edit/?id={closure.id}",
                           data=_closure(first_day="2030-03-12", last_day="2030-03-12"))
    assert response.status_code == 302 and "/collisions/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert re.findall(r"<tr><td>(\d+)</td>", page) == [str(hit.id)]


def test_r_1_3_2_one_closure_day_entry_for_several_teams(client, admin, create_team, create_caseworker,
                                                          create_booking):
    """R-1.3.2 (§1.3 "til et eller flere teams"): one entry closes each chosen team and the
    teams below them, not a team beside them; its collisions are those of every chosen team."""
    login(client, admin)
    root, young = _team("Aarhus Jobcenter"), _team("Ungeindsatsen")
    adults = create_team(admin.job_centre, parent=root, name="Voksne")
    below = create_team(admin.job_centre, parent=young, name="Unge under 25")
    beside = create_team(admin.job_centre, parent=root, name="Sygedagpenge")
    hits = [create_booking([create_caseworker(admin.job_centre, teams=[team])], datetime(2030, 3, 5, 9))
            for team in (below, adults)]
    create_booking([create_caseworker(admin.job_centre, teams=[beside])], datetime(2030, 3, 5, 9))
    response = client.post("/admin/localclosureday/new/", data=_closure(teams=[young.id, adults.id]))
    assert response.status_code == 302 and "/collisions/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert sorted(re.findall(r"<tr><td>(\d+)</td>", page)) == sorted(str(b.id) for b in hits)
    closures = db.session.scalars(select(LocalClosureDay)).all()
    assert len(closures) == 1 and {t.name for t in closures[0].teams} == {"Ungeindsatsen", "Voksne"}
    for team, closed in ((young, True), (below, True), (adults, True), (beside, False), (root, False)):
        page = client.get(f"/admin/teamcalendar/?team_id={team.id}&month=2030-03").get_data(as_text=True)
        days = re.findall(r'class="[^"]*closed[^"]*" data-date="([\d-]+)"', page)
        assert (days == ["2030-03-05", "2030-03-06"]) is closed, (team.name, days)
    listing = client.get("/admin/localclosureday/").get_data(as_text=True)
    links = re.findall(r'<a href="/admin/teamcalendar/\?([^"]+)">([^<]+)</a>', listing)
    assert sorted(links) == sorted([(f"team_id={young.id}&amp;month=2030-03", "Ungeindsatsen"),
                                    (f"team_id={adults.id}&amp;month=2030-03", "Voksne")]), links


def test_r_1_3_4_a_new_closure_day_lists_the_bookings_it_falls_on(client, admin, create_team,
                                                                   create_caseworker, create_booking):
    """R-1.3.4: bookings of the team and the teams below it on the days are listed for rebooking."""
    login(client, admin)
    sub = create_team(admin.job_centre, parent=_team("Ungeindsatsen"), name="Unge under 25")
    other = create_team(admin.job_centre, parent=_team("Aarhus Jobcenter"), name="Andet team")
    below = create_caseworker(admin.job_centre, teams=[sub])
    beside = create_caseworker(admin.job_centre, teams=[other])
    hit = create_booking([below], datetime(2030, 3, 5, 9))
    create_booking([beside], datetime(2030, 3, 5, 9))
    create_booking([below], datetime(2030, 3, 7, 9))
    response = client.post("/admin/localclosureday/new/",
                           data=_closure(teams=[_team("Ungeindsatsen").id]))
    assert response.status_code == 302 and "/collisions/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "rammer 1 bookede samtaler" in page
    rows = re.findall(r"<tr><td>(\d+)</td>", page)
    assert rows == [str(hit.id)]


def test_r_1_3_2_r_1_3_4_team_calendar_greys_inherited_and_national_closure_days(client, admin,
                                                                                create_team):
    login(client, admin)
    sub = create_team(admin.job_centre, parent=_team("Ungeindsatsen"), name="Unge under 25")
    db.session.add(NationalClosureDay(day=date(2030, 3, 1), name="Testhelligdag"))
    db.session.commit()
    assert post(client, "/admin/localclosureday/new/", _closure())[0] == 302
    page = client.get(f"/admin/teamcalendar/?team_id={sub.id}&month=2030-03").get_data(as_text=True)
    closed = re.findall(r'class="[^"]*closed[^"]*" data-date="([\d-]+)"', page)
    assert closed == ["2030-03-01", "2030-03-05", "2030-03-06"]
    assert "Personaledag (Aarhus Jobcenter)" in page and "Marts 2030" in page
    # A sibling branch's closure does not reach the sub-team.
    assert post(client, "/admin/localclosureday/new/",
                _closure(teams=[create_team(admin.job_centre, parent=_team("Aarhus Jobcenter"),
                                            name="Andet").id], first_day="2030-03-12",
                         last_day="2030-03-12", name="Kun andet"))[0] == 302
    page = client.get(f"/admin/teamcalendar/?team_id={sub.id}&month=2030-03").get_data(as_text=True)
    assert "2030-03-12" not in re.findall(r'class="[^"]*closed[^"]*" data-date="([\d-]+)"', page)


def test_r_1_3_1_national_closure_days_are_for_support_only(client, admin, create_user):
    login(client, admin)
    assert client.get("/admin/nationalclosureday/").status_code == 403
    client.post("/logout")
    support = create_user(Role.SUPPORT, None)
    login(client, support)
    response = client.post("/admin/nationalclosureday/new/", data={"day": "2030-03-05", "name": "Ekstra"})
    assert response.status_code == 302
    status, page = post(client, "/admin/nationalclosureday/new/", {"day": "2030-03-05", "name": "Igen"})
    assert status == 200 and any("er allerede en national lukkedag" in e for e in field_errors(page, "day"))
    assert client.get("/admin/nationalclosureday/edit/?id=1").status_code == 302


def test_r_1_3_2_dates_are_typed_and_shown_the_danish_way(client, admin):
    login(client, admin)
    assert post(client, "/admin/localclosureday/new/",
                _closure(first_day="24.12.2030", last_day="31.12.2030"))[0] == 302
    closure = db.session.scalar(select(LocalClosureDay))
    assert (closure.first_day, closure.last_day) == (date(2030, 12, 24), date(2030, 12, 31))
    page = client.get("/admin/localclosureday/").get_data(as_text=True)
    assert "24.12.2030" in page and "31.12.2030" in page


def test_r_1_3_4_a_national_days_meetings_are_shown_to_support_by_job_centre_and_a_local_days_only_its_own(
        client, admin, create_user, create_job_centre, create_caseworker, create_citizen, create_booking):
    """R-1.3.4, R-0.1: a national closure day closes every job centre, so support (national)
    sees the meetings of each, with its job centre; an administrator never sees that list, and a
    local closure day's list holds only its own job centre's meetings."""
    other = create_job_centre("Jobcenter Randers", root_team="Randers Jobcenter", child_team="Unge")
    day = date(2030, 3, 5)
    ours = create_booking([create_caseworker(admin.job_centre)], datetime(2030, 3, 5, 9),
                          citizens=[create_citizen(admin.job_centre)], now=datetime(2030, 3, 1, 8))
    theirs = create_booking([create_caseworker(other)], datetime(2030, 3, 5, 10),
                            citizens=[create_citizen(other)], now=datetime(2030, 3, 1, 8))
    support = create_user(Role.SUPPORT, None)
    login(client, support)
    response = client.post("/admin/nationalclosureday/new/", data={"day": day.isoformat(), "name": "Ekstra"})
    assert "/collisions/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d+)</td><td>[^<]+</td><td>([^<]+)</td>", page)
    assert rows == [(str(ours.id), "Jobcenter Aarhus"), (str(theirs.id), "Jobcenter Randers")]
    national = response.location
    client.post("/logout")
    login(client, admin)
    assert client.get(national).status_code == 403
    response = client.post("/admin/localclosureday/new/", data=_closure(
        first_day=day.isoformat(), last_day=day.isoformat()))
    page = client.get(response.location).get_data(as_text=True)
    assert re.findall(r"<tr><td>(\d+)</td>", page) == [str(ours.id)]
