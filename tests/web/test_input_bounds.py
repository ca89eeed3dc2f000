"""R-7.4: request size and JSON depth caps, bounded fields, no 500, no raw SQL, bulk actions on PostgreSQL."""

from __future__ import annotations

import html
import io
import logging
import re
from datetime import date

import pytest
from sqlalchemy import func, select, text

from tests.factories import login
from tests.web.admin_support import field_errors, flashes
from webapp.administration import rooms as room_service
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
        "localclosureday": lambda: LocalClosureDay(job_centre=job_centre, teams=[team], name="Lukket",
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


# --- Bounded fields in the admin (finding 9) ----------------------------------------------

def _team_id(name: str) -> int:
    return db.session.scalar(select(Team.id).where(Team.name == name))


def _room_form(**changes: object) -> dict:
    return {"name": "Mødelokale 2", "resource_type": "meeting_room", "capacity": "8",
            "overbooking_seats": "0", "address": "", "postal_code": "", "email": "",
            "usable_for_callins": "y", "comment": "", "teams": [_team_id("Ungeindsatsen")]} | changes


def _closure_form(**changes: object) -> dict:
    return {"teams": [_team_id("Aarhus Jobcenter")], "name": "Personaledag",
            "first_day": "05.03.2030", "last_day": "06.03.2030"} | changes


def _letter_form(**changes: object) -> dict:
    return {"name": "Indkaldelse", "subject": "Samtale", "body": "Kære borger"} | changes


def _competence_form(**changes: object) -> dict:
    return {"name": "Sprog"} | changes


FORMS = {"room": (_room_form, Room), "localclosureday": (_closure_form, LocalClosureDay),
         "lettertemplate": (_letter_form, LetterTemplate), "competence": (_competence_form, Competence)}

BAD_FIELDS = [
    # endpoint, field, value, words of the message (the field's label is checked as well)
    ("localclosureday", "first_day", "31.12.9999", "skal ligge mellem 1900 og 2100"),
    ("localclosureday", "last_day", "31.12.9999", "skal ligge mellem 1900 og 2100"),
    ("localclosureday", "first_day", "01.01.1899", "skal ligge mellem 1900 og 2100"),
    ("room", "capacity", str(10**12), "må højst være 10000"),
    ("room", "capacity", "10001", "må højst være 10000"),
    ("room", "overbooking_seats", str(2**31), "må højst være 10000"),
    ("room", "name", "Lokale\x00B", "må ikke indeholde styretegn"),
    ("room", "name", "Lokale\nB", "må ikke indeholde styretegn"),
    ("room", "name", "L" * 121, "må højst have 120 tegn"),
    ("room", "comment", "Projektor\x07", "må ikke indeholde styretegn"),
    ("room", "comment", "x" * 20_001, "må højst have 20000 tegn"),
    ("localclosureday", "name", "Lukket\x1b[31m", "må ikke indeholde styretegn"),
    ("lettertemplate", "name", "Brev\x00", "må ikke indeholde styretegn"),
    ("lettertemplate", "subject", "S" * 201, "må højst have 200 tegn"),
    ("lettertemplate", "body", "Kære\x00borger", "må ikke indeholde styretegn"),
    ("competence", "name", "\x7f", "må ikke indeholde styretegn"),
]


def _label(page: str, field: str) -> str:
    match = re.search(rf'<label for="{field}"[^>]*>\s*(.*?)\s*(?:&nbsp;|<strong|</label>)', page, re.S)
    assert match, f"no label for {field}"
    return html.unescape(match.group(1).strip())


@pytest.mark.parametrize(("endpoint", "field", "value", "message"), BAD_FIELDS,
                         ids=[f"{e}-{f}-{i}" for i, (e, f, _v, _m) in enumerate(BAD_FIELDS)])
def test_r_7_4_admin_fields_are_bounded_with_a_danish_message_naming_the_field(
        client, admin, endpoint, field, value, message):
    """R-7.4: text lengths from the columns, no control characters, dates 1900–2100, integers
    within sensible bounds: refused on the field, no 500, no SQL in the page, no row saved."""
    form, model = FORMS[endpoint]
    login(client, admin)
    response = client.post(f"/admin/{endpoint}/new/", data=form(**{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:3000]
    _no_raw_sql(page)
    errors = field_errors(page, field)
    assert any(message in e and f"»{_label(page, field)}«" in e for e in errors), (errors, flashes(page))
    db.session.rollback()
    assert db.session.scalar(select(func.count(model.id))) == 0


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_r_7_4_good_values_at_the_bounds_are_saved(client, admin, endpoint):
    """R-7.4: the bounds refuse only what is out of them: values at the edge are saved."""
    form, model = FORMS[endpoint]
    edge = {"room": {"capacity": "10000", "name": "L" * 120, "comment": "Linje 1\r\nLinje 2\tx"},
            "localclosureday": {"first_day": "01.01.2099", "last_day": "31.12.2100"},
            "lettertemplate": {"body": "Kære borger,\r\n\r\nvelkommen.\t" + "x" * 19_000},
            "competence": {"name": "Æ" * 120}}[endpoint]
    login(client, admin)
    response = client.post(f"/admin/{endpoint}/new/", data=form(**edge))
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count(model.id))) == 1


def test_r_7_4_the_services_refuse_out_of_bounds_values_themselves(admin, create_room):
    """R-7.4: a caller that skips the form (a script, a future screen) meets the same bounds."""
    from webapp.domain.errors import DomainError
    from webapp.calendar import closures as closure_service

    room = create_room(admin.job_centre, capacity=8)
    # No flush before the check: PostgreSQL itself would refuse the value.
    with db.session.no_autoflush, pytest.raises(DomainError) as refused:
        room.capacity = 10**12
        room.teams.append(admin.job_centre.teams[0])
        room_service.validate_room(room)
    db.session.rollback()
    assert (refused.value.field, refused.value.message_da) == ("capacity", "»Maks. kapacitet« må højst være 10000.")
    closure = LocalClosureDay(job_centre=admin.job_centre, teams=[admin.job_centre.teams[0]], name="Lukket",
                              first_day=date(2030, 1, 1), last_day=date(9999, 12, 31))
    with pytest.raises(DomainError) as refused:
        closure_service.validate_local_closure(closure)
    assert refused.value.field == "last_day" and "mellem 1900 og 2100" in refused.value.message_da


# --- Request size and JSON depth (findings 7 and 8) -----------------------------------------

class EndlessBody(io.RawIOBase):
    """A request body of `size` bytes made while it is read; counts what the app read."""

    def __init__(self, size: int) -> None:
        self.left, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.left)
        buffer[:n] = b" " * n
        self.left -= n
        self.read_bytes += n
        return n


def _post_stream(client, url: str, body: EndlessBody, headers: dict, content_length: int | None = None):
    """POST `body` as a server would hand it on: chunked (no length, input terminated) or with a length."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request
    environ = EnvironBuilder(path=url, method="POST", headers=headers).get_environ()
    environ["wsgi.input"] = body
    if content_length is None:
        environ.pop("CONTENT_LENGTH", None)
        environ.update({"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    else:
        environ["CONTENT_LENGTH"] = str(content_length)
    return client.open(Request(environ))


@pytest.fixture
def portal(admin, create_citizen):
    """Headers of an external portal acting for a citizen of the job centre."""
    from webapp.administration.api_clients import issue_client
    citizen = create_citizen(admin.job_centre)
    _, token = issue_client(admin.job_centre, "Borgerportal")
    db.session.commit()
    return {"Authorization": f"Bearer {token}", "X-Citizen-CPR": citizen.cpr,
            "Content-Type": "application/json"}


@pytest.fixture
def case_system(admin):
    from webapp.administration.api_clients import issue_client
    _, token = issue_client(admin.job_centre, "KSS", "case_system")
    db.session.commit()
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _too_large(response) -> None:
    assert response.status_code == 413
    body = response.get_json()
    assert body["code"] == "too_large" and "for stor" in body["message_da"] and "too large" in body["message_en"]


@pytest.mark.parametrize("url", ["/integration/v1/appointments", "/api/v1/bookings"])
def test_r_7_4_a_chunked_body_without_length_is_cut_at_the_endpoints_cap(client, portal, case_system, url):
    """R-7.4: 100 MB sent chunked (no Content-Length) is refused with 413 after at most the cap."""
    headers = case_system if url.startswith("/integration") else portal
    body = EndlessBody(100 * 1024 * 1024)
    response = _post_stream(client, url, body, headers)
    _too_large(response)
    assert body.read_bytes <= 128 * 1024


@pytest.mark.parametrize("url", ["/integration/v1/appointments", "/api/v1/bookings"])
def test_r_7_4_a_body_over_the_cap_is_refused_before_it_is_read(client, portal, case_system, url):
    """R-7.4: a 30 MB body with its Content-Length is refused without reading it."""
    headers = case_system if url.startswith("/integration") else portal
    body = EndlessBody(30 * 1024 * 1024)
    response = _post_stream(client, url, body, headers, content_length=30 * 1024 * 1024)
    _too_large(response)
    assert body.read_bytes == 0


def test_r_7_4_a_chunked_form_over_the_app_wide_cap_is_a_danish_413_page(client, admin):
    """R-7.4: pages other than the API answer an oversized body with a Danish page, not a 500."""
    login(client, admin)
    body = EndlessBody(100 * 1024 * 1024)
    response = _post_stream(client, "/admin/room/new/", body,
                            {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert "for stor" in response.get_data(as_text=True)
    assert body.read_bytes <= 2 * 1024 * 1024
    assert db.session.scalar(select(func.count(Room.id))) == 0


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 20_000])
def test_r_7_4_json_nested_too_deep_is_a_stable_400_in_both_languages(client, portal, depth):
    """R-7.4: JSON deeper than 32 levels is refused before it is parsed: never a RecursionError."""
    response = client.post("/api/v1/bookings", data='{"offer_id": ' + _nested(depth) + "}", headers=portal)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "json_too_deep"
    assert "32" in body["message_da"] and "32" in body["message_en"]


def test_r_7_4_json_nested_100000_deep_is_refused_by_size_or_depth(client, portal):
    """R-7.4: the finding's 100,000 levels: a 4xx with a JSON body, never a 500."""
    response = client.post("/api/v1/bookings", data=_nested(100_000), headers=portal)
    assert response.status_code in (400, 413)
    assert response.get_json()["code"] in ("json_too_deep", "too_large")


def test_r_7_4_json_within_the_depth_is_parsed(client, portal):
    """R-7.4: 32 levels are parsed; the answer is about the value, not the depth."""
    response = client.post("/api/v1/bookings", data='{"offer_id": ' + _nested(31) + "}", headers=portal)
    assert response.status_code == 400
    assert response.get_json()["field"] == "offer_id"


def test_r_7_4_json_depth_ignores_brackets_inside_strings(client, portal):
    response = client.post("/api/v1/bookings", data='{"offer_id": "' + "[" * 1000 + '"}', headers=portal)
    assert response.status_code == 400
    assert response.get_json()["field"] == "offer_id"


def test_r_7_4_inbound_json_nested_too_deep_is_a_stable_400(client, case_system):
    response = client.post("/integration/v1/appointments", data=_nested(20_000), headers=case_system)
    assert response.status_code in (400, 422)
    assert response.status_code < 500 and response.get_json()["code"]


@pytest.mark.parametrize("value", ["2500-01-01T09:00:00", "1850-01-01T09:00", "2101-01-01"])
def test_r_7_4_api_dates_lie_within_1900_to_2100(app, value):
    """R-7.4: the API's dates and times keep the admin's bound, 1900–2100, and say so."""
    from webapp.api.schemas import parse_date, parse_datetime
    from webapp.domain.errors import DomainError
    parse = parse_date if len(value) == 10 else parse_datetime
    with pytest.raises(DomainError) as refused:
        parse(value, "from")
    assert refused.value.field == "from"
    assert "1900" in refused.value.message_da and "2100" in refused.value.message_en


@pytest.mark.parametrize("code", [str(2**70), str(2**31)])
def test_r_7_4_a_unique_integer_is_bounded_before_its_uniqueness_is_asked(client, admin, create_user, code):
    """R-7.4: the integer bound runs before Flask-Admin's Unique validator, which would hand 2**70 to the
    database (OverflowError on SQLite, integer out of range on PostgreSQL)."""
    from webapp.models import ConversationType
    support = create_user(Role.SUPPORT)
    login(client, support)
    before = db.session.scalar(select(func.count(ConversationType.id)))
    response = client.post("/admin/conversationtype/new/", data={"code": code, "name": "Ny samtaletype"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    _no_raw_sql(page)
    assert any("må højst være" in e for e in field_errors(page, "code"))
    db.session.rollback()
    assert db.session.scalar(select(func.count(ConversationType.id))) == before


@pytest.mark.parametrize("url, field, data", [
    ("/admin/holdingform/new/", "code", {"code": "a\x00b", "name": "Ny afholdelsesform"}),
    ("/admin/contactgroup/new/", "code", {"code": "a\x00b", "name": "Ny kontaktgruppe"}),
    ("/admin/jobcentre/new/", "name", {"name": "Jobcenter\x00 Nul"}),
])
def test_r_7_4_a_unique_text_is_bounded_before_its_uniqueness_is_asked(client, create_user, url, field, data):
    """R-7.4: the text bound runs before Flask-Admin's Unique validator, which would hand a NUL to
    PostgreSQL (psycopg DataError, a 500)."""
    login(client, create_user(Role.SUPPORT))
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    _no_raw_sql(page)
    assert field_errors(page, field), page[:2000]
