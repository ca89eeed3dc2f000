"""R-7.4: request size and JSON depth caps, bounded fields, no 500, no raw SQL, bulk actions on PostgreSQL."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import func, select, text

from tests.factories import login
from tests.web.admin_support import flashes
from webapp.services import rooms as room_service
from webapp.extensions import db
from webapp.models import (CallInTemplate, Competence, ConversationType, HoldingForm, LetterTemplate,
                           LocalClosureDay, MeetingForm, OnlineOffer, Role, Room, Team, Variant)

# --- Bulk delete through the list's action (finding 5) -------------------------------

EDITABLE_ENDPOINTS = ["caseworker", "competence", "team", "localclosureday", "room",
                      "callintemplate", "variant", "lettertemplate", "offer"]


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    return create_user(Role.ADMINISTRATOR, job_centre)


def _deletable_row(endpoint: str, job_centre, create_caseworker, create_room) -> object:
    """One row the administrator may delete, of the model behind `endpoint`."""
    team = job_centre.teams[0]
    meeting = dict(job_centre=job_centre, team=team,
                   conversation_type=db.session.scalars(select(ConversationType)).first(),
                   holding_form=db.session.scalars(select(HoldingForm)).first(),
                   meeting_form=MeetingForm.INDIVIDUAL)
    rows = {
        "caseworker": lambda: create_caseworker(job_centre),
        "competence": lambda: Competence(job_centre=job_centre, name="Sprog"),
        "team": lambda: Team(job_centre=job_centre, parent=team, name="Blad"),
        "localclosureday": lambda: LocalClosureDay(job_centre=job_centre, team=team, name="Lukket",
                                                   first_day=date(2027, 7, 1), last_day=date(2027, 7, 2)),
        "room": lambda: create_room(job_centre, capacity=6),
        "callintemplate": lambda: CallInTemplate(name="Skabelon", deadline_days=14, **meeting),
        "variant": lambda: Variant(job_centre=job_centre, name="Variant"),
        "lettertemplate": lambda: LetterTemplate(job_centre=job_centre, name="Brev", subject="Emne",
                                                 body="Tekst"),
        "offer": lambda: OnlineOffer(name="Tilbud", rolling_end_weeks=4, **meeting),
    }
    row = rows[endpoint]()
    db.session.add(row)
    db.session.commit()
    return row


def _view(app, endpoint: str):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)


@pytest.mark.parametrize("endpoint", EDITABLE_ENDPOINTS)
def test_r_7_4_bulk_delete_action_works_on_every_editable_view(client, admin, create_caseworker,
                                                                create_room, endpoint):
    """R-7.4: the list's bulk delete takes Flask-Admin's string row ids on PostgreSQL too."""
    row = _deletable_row(endpoint, admin.job_centre, create_caseworker, create_room)
    model, row_id = type(row), row.id
    login(client, admin)
    response = client.post(f"/admin/{endpoint}/action/", data={"action": "delete", "rowid": str(row_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get(model, row_id) is None
    assert _view(client.application, endpoint).can_delete


@pytest.mark.parametrize("rowid", ["abc", "1.5", "", "99999999999999999999", "1 OR 1=1"])
def test_r_7_4_bulk_delete_refuses_row_ids_that_are_not_integers(client, admin, create_room, rowid):
    """R-7.4: a row id that is no integer of the key's range is refused; nothing is deleted."""
    create_room(admin.job_centre, name="Lokale A")
    login(client, admin)
    response = client.post("/admin/room/action/", data={"action": "delete", "rowid": rowid},
                           follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert any("Ugyldigt række-id" in message for message in flashes(page)), flashes(page)
    assert db.session.scalar(select(func.count(Room.id))) == 1


@pytest.mark.parametrize("rowid", ["abc", "99999999999999999999", "-1", "1;2"])
def test_r_7_4_a_row_id_that_is_no_integer_is_404_not_500(client, admin, create_room, rowid):
    """R-7.4: edit, details and delete of an id that cannot be a key answer 404."""
    create_room(admin.job_centre, name="Lokale A")
    login(client, admin)
    assert client.get(f"/admin/room/edit/?id={rowid}").status_code == 404
    assert client.get(f"/admin/room/details/?id={rowid}").status_code == 404
    assert client.post("/admin/room/delete/", data={"id": rowid}).status_code == 404
    assert db.session.scalar(select(func.count(Room.id))) == 1


# --- Never raw SQL in a page ----------------------------------------------------------

RAW_SQL_MARKS = ("INSERT INTO", "SELECT ", "[SQL:", "[parameters:", "sqlalche.me", "psycopg", "sqlite3")


def _no_raw_sql(page: str) -> None:
    for mark in RAW_SQL_MARKS:
        assert mark not in page, (mark, page[page.find(mark) - 200:page.find(mark) + 200])


def test_r_7_4_a_database_error_is_shown_in_danish_without_its_text_and_logged_without_parameters(
        client, admin, create_room, monkeypatch, caplog):
    """R-7.4: a failing statement while saving shows a generic Danish message, never the SQL or its
    parameters; the log has the statement's placeholders but not the values (a CPR, R-7.8)."""
    create_room(admin.job_centre, name="Lokale A")

    def failing_statement(room):  # a real statement the database refuses, holding a CPR
        db.session.execute(text("SELECT id FROM no_such_table WHERE cpr = :cpr"), {"cpr": "0101801234"})

    monkeypatch.setattr(room_service, "validate_room", failing_statement)
    login(client, admin)
    team = db.session.scalar(select(Team).where(Team.name == "Ungeindsatsen"))
    with caplog.at_level(logging.ERROR):
        response = client.post("/admin/room/new/", data={"name": "Lokale B", "resource_type": "meeting_room",
                                                         "teams": [team.id]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    _no_raw_sql(page)
    assert "0101801234" not in page
    assert any("intet blev gemt" in message for message in flashes(page)), flashes(page)
    assert db.session.scalar(select(func.count(Room.id))) == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "no_such_table" in logged and "0101801234" not in logged
