"""CSV and Excel export of the admin lists and the waiting list (R-6.11): scoped to the job centre,
CPR numbers masked, Danish labels and dates, no formulas, one audit entry per export."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import openpyxl
import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.workspace_setup import NOW, PASSWORD, build_workspace
from webapp.callins.calling import create_callins, from_template
from webapp.domain.export import plain_cell
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, CallIn, Citizen, Role


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _xlsx_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "spreadsheetml" in response.mimetype
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    return [["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)]


def _exports() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry)
                                   .where(AuditEntry.event == AuditEvent.DATA_EXPORTED)
                                   .order_by(AuditEntry.id)))


def _entries_since(before_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.id > before_id)
                                   .order_by(AuditEntry.id)))


def _last_id() -> int:
    return db.session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


# --- the cells ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["=1+2", "+4512345678", "-2", "@SUM(A1:A2)", "\t=1", "\r=1",
                                   '=HYPERLINK("http://example.com","klik")'])
def test_r_6_11_formula_cells_are_made_plain_text(value):
    """R-6.11: a cell a spreadsheet would run as a formula starts with an apostrophe (OWASP)."""
    assert plain_cell(value) == "'" + value


@pytest.mark.parametrize(("value", "expected"), [
    ("Anna Andersen", "Anna Andersen"), (None, ""), (True, "Ja"), (False, "Nej"), (12, "12"),
    (NOW.date(), NOW.date().strftime("%d.%m.%Y")), (NOW, NOW.strftime("%d.%m.%Y %H:%M")),
    ("Borger med CPR 0101901234", "Borger med CPR 010190-****"), (["a", "b"], "a, b")])
def test_r_6_11_cells_are_written_as_on_the_screens(value, expected):
    """R-6.11: dates dd.mm.yyyy, yes/no in Danish, CPR numbers masked, lists joined."""
    assert plain_cell(value) == expected


# --- the waiting list ----------------------------------------------------------------------

@pytest.fixture
def waiting(app, reference_data, monkeypatch):
    """Two job centres with waiting call-ins; one citizen's name and one reason look like formulas."""
    monkeypatch.setattr("webapp.caseworker.routes.now_local", lambda: NOW)
    monkeypatch.setattr("webapp.caseworker.routes.today_local", lambda: NOW.date())
    ws = build_workspace()
    other = build_workspace("Jobcenter Andetby")
    for space, citizens in ((ws, ws.citizens[:3]), (other, other.citizens[:1])):
        data = replace(from_template(space.templates["auto"], today=NOW.date()),
                       cprs=[c.cpr for c in citizens])
        create_callins(data, now=NOW, actor=space.user)
    ws.citizens[0].name = '=HYPERLINK("http://example.com","klik")'
    other.citizens[0].name = "Fremmed Borger"
    first = db.session.scalars(select(CallIn).where(CallIn.citizen_id == ws.citizens[1].id)).one()
    first.unplaced_reason = "@SUM(A1) ingen ledig tid"
    db.session.commit()
    return ws, other


def test_r_6_11_waiting_list_exports_csv_scoped_masked_and_audited_once(client, waiting):
    """R-6.11: the waiting list's CSV holds the job centre's waiting call-ins only, CPR numbers
    masked, Danish headers and dates, formulas neutralised; the export is one audit entry."""
    ws, _other = waiting
    login(client, ws.user, PASSWORD)
    before = _entries()
    response = client.get("/caseworker/waiting/export.csv")
    rows = _csv_rows(response)
    assert rows[0] == ["Borger", "CPR-nummer", "Samtaletype", "Team", "Tidligste dato", "Frist",
                       "Ventet (dage)", "Prioritet", "Status", "Ikke placeret, fordi"]
    waiting_ids = db.session.scalars(select(CallIn).where(CallIn.job_centre_id == ws.job_centre.id,
                                                          CallIn.status == "waiting")).all()
    assert len(rows) - 1 == len(waiting_ids) == 3
    body = response.get_data(as_text=True)
    assert "Fremmed Borger" not in body
    for citizen in ws.citizens[:3]:
        assert citizen.cpr not in body
        assert f"{citizen.cpr[:6]}-****" in body
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://example.com\",\"klik\")" in names
    assert "'@SUM(A1) ingen ledig tid" in [row[9] for row in rows[1:]]
    assert {row[8] for row in rows[1:]} == {"Venter"}
    assert all(len(row[5]) == 10 and row[5][2] == row[5][5] == "." for row in rows[1:])
    assert _entries() == before + 1
    [entry] = _exports()
    assert entry.user_id == ws.user.id and entry.job_centre_id == ws.job_centre.id
    assert entry.after["liste"] == "Afventerliste" and entry.after["rækker"] == 3
    assert entry.after["format"] == "csv" and entry.after["filtre"]["Teams"] == ws.team.name


def test_r_6_11_waiting_list_excel_opens_with_openpyxl(client, waiting):
    """R-6.11: the Excel file opens, holds the same rows, and its formula-like cells are text."""
    ws, _other = waiting
    login(client, ws.admin, PASSWORD)
    rows = _xlsx_rows(client.get("/caseworker/waiting/export.xlsx"))
    assert rows[0][0] == "Borger" and len(rows) == 4
    assert not any(str(cell).startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert "'=HYPERLINK(\"http://example.com\",\"klik\")" in [row[0] for row in rows]
    assert len(_exports()) == 1


def test_r_6_11_waiting_list_page_offers_the_export(client, waiting):
    ws, _other = waiting
    login(client, ws.user, PASSWORD)
    page = client.get("/caseworker/waiting").get_data(as_text=True)
    assert "/caseworker/waiting/export.csv" in page and "/caseworker/waiting/export.xlsx" in page
    # An argument named like the route's own is left out of the links, not a 500.
    assert client.get("/caseworker/waiting?export_type=pdf").status_code == 200


def test_r_6_11_waiting_list_export_follows_the_pages_filters(client, waiting):
    """R-6.11: the export takes the page's filters (R-6.2) and names them in its audit entry."""
    ws, _other = waiting
    login(client, ws.user, PASSWORD)
    page = client.get("/caseworker/waiting?min_days=1000").get_data(as_text=True)
    assert "/caseworker/waiting/export.csv?min_days=1000" in page
    assert _csv_rows(client.get("/caseworker/waiting/export.csv?min_days=1000"))[1:] == []
    rows = _csv_rows(client.get(f"/caseworker/waiting/export.csv?team={ws.team.id}&sort=priority"))
    assert len(rows) == 4
    first, second = _exports()
    assert first.after["rækker"] == 0 and first.after["filtre"]["min_days"] == "1000"
    assert second.after["rækker"] == 3 and second.after["filtre"]["sort"] == "priority"


@pytest.mark.parametrize(("query", "message"), [("status=alle", "Vælg en status fra listen"),
                                                ("min_days=abc", "skal være et helt tal"),
                                                ("team=999999", "Teamet findes ikke")])
def test_r_6_11_bad_filter_refuses_the_export_in_danish(client, waiting, query, message):
    ws, _other = waiting
    login(client, ws.user, PASSWORD)
    before = _entries()
    response = client.get(f"/caseworker/waiting/export.xlsx?{query}")
    assert response.status_code == 302 and _entries() == before
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("export_type", ["pdf", "xls", "CSV", "csv%00"])
def test_r_6_11_unknown_export_type_is_refused_in_danish_and_nothing_audited(client, waiting,
                                                                             export_type):
    ws, _other = waiting
    login(client, ws.user, PASSWORD)
    before = _entries()
    response = client.get(f"/caseworker/waiting/export.{export_type}", follow_redirects=True)
    assert response.status_code == 200
    assert "kun hentes som CSV eller Excel" in response.get_data(as_text=True)
    assert _entries() == before


# --- the admin lists -----------------------------------------------------------------------

@pytest.fixture
def two_centres(reference_data, create_job_centre, create_user, create_citizen):
    a = create_job_centre("Jobcenter A")
    b = create_job_centre("Jobcenter B")
    create_citizen(a, name="Anna Borger", cpr="0101901234")
    create_citizen(a, name="@SUM(1+1)", cpr="0202902345")
    create_citizen(b, name="Bo Fremmed", cpr="0303903456")
    return a, b, create_user(Role.ADMINISTRATOR, a), create_user(Role.SUPPORT)


@pytest.mark.parametrize("export_type", ["csv", "xlsx"])
def test_r_6_11_admin_citizen_list_exports_scoped_masked_and_audited_once(client, two_centres,
                                                                         export_type):
    """R-6.11: an administrator's export holds her job centre's rows only, CPR numbers masked,
    Danish column labels; one audit entry with the list, the rows and the search."""
    a, _b, admin, _support = two_centres
    login(client, admin)
    before = _entries()
    response = client.get(f"/admin/citizen/export/{export_type}/?search=Borger")
    rows = _csv_rows(response) if export_type == "csv" else _xlsx_rows(response)
    assert rows[0][:2] == ["Navn", "CPR"]
    assert [row[:2] for row in rows[1:]] == [["Anna Borger", "010190-****"]]
    assert not any("0101901234" in str(cell) for row in rows for cell in row)
    assert _entries() == before + 1
    [entry] = _exports()
    assert entry.job_centre_id == a.id and entry.user_id == admin.id
    assert entry.after["rækker"] == 1 and entry.after["format"] == export_type
    assert entry.after["filtre"] == {"Søgning": "Borger"}


def test_r_6_11_admin_export_without_search_neutralises_formulas(client, two_centres):
    _a, _b, admin, _support = two_centres
    login(client, admin)
    rows = _csv_rows(client.get("/admin/citizen/export/csv/"))
    assert sorted(row[0] for row in rows[1:]) == ["'@SUM(1+1)", "Anna Borger"]
    assert all(row[1].endswith("-****") for row in rows[1:])


def test_r_6_11_support_sees_every_job_centre_with_cpr_masked(client, two_centres):
    """R-6.11: support exports across job centres; CPR numbers stay masked for support too."""
    _a, _b, _admin, support = two_centres
    login(client, support)
    response = client.get("/admin/citizen/export/csv/")
    rows = _csv_rows(response)
    assert {row[0] for row in rows[1:]} == {"Anna Borger", "'@SUM(1+1)", "Bo Fremmed"}
    body = response.get_data(as_text=True)
    assert not any(c.cpr in body for c in db.session.scalars(select(Citizen)))
    assert len(_exports()) == 1


def test_r_6_11_admin_lists_offer_export_and_refuse_other_types(client, two_centres):
    _a, _b, admin, _support = two_centres
    login(client, admin)
    page = client.get("/admin/citizen/").get_data(as_text=True)
    assert "/admin/citizen/export/csv/" in page and "/admin/citizen/export/xlsx/" in page
    before = _entries()
    response = client.get("/admin/citizen/export/pdf/")
    assert response.status_code == 302 and _entries() == before
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "kun hentes som CSV eller Excel" in page


def test_r_6_11_an_export_type_in_the_lists_url_is_dropped_not_a_500(client, two_centres):
    """R-6.11, R-7.4: the list hands its arguments to the export links; one named like the
    route's own would break the page, so it is dropped and the rest kept."""
    _a, _b, admin, _support = two_centres
    login(client, admin)
    response = client.get("/admin/citizen/?export_type=csv&search=Anna")
    assert response.status_code == 302 and "export_type" not in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Anna Borger" in page and "/admin/citizen/export/xlsx/?search=Anna" in page


@pytest.mark.parametrize("endpoint", ["team", "callin", "booking", "room", "caseworker", "audit",
                                      "deadline", "offer", "callintemplate", "outbox"])
def test_r_6_11_every_admin_list_exports_to_excel(client, two_centres, endpoint):
    """R-6.11: each job-centre list gives an Excel file that opens, audited once."""
    _a, _b, admin, _support = two_centres
    login(client, admin)
    rows = _xlsx_rows(client.get(f"/admin/{endpoint}/export/xlsx/"))
    assert rows and all(isinstance(label, str) and label for label in rows[0])
    assert len(_exports()) == 1


def test_r_6_11_caseworker_cannot_export_admin_lists(client, two_centres, create_user):
    a, _b, _admin, _support = two_centres
    caseworker = create_user(Role.CASEWORKER, a)
    login(client, caseworker)
    before = _entries()
    assert client.get("/admin/citizen/export/csv/").status_code == 403
    assert _entries() == before


def test_r_6_11_callin_export_writes_dates_the_danish_way(client, waiting):
    ws, _other = waiting
    login(client, ws.admin, PASSWORD)
    rows = _csv_rows(client.get("/admin/callin/export/csv/"))
    header = rows[0]
    deadline = header.index("Frist") if "Frist" in header else header.index("Deadline")
    expected = {c.deadline_date.strftime("%d.%m.%Y") for c in db.session.scalars(
        select(CallIn).where(CallIn.job_centre_id == ws.job_centre.id))}
    assert {row[deadline] for row in rows[1:]} == expected


@pytest.mark.parametrize(("url", "export_type"), [("/caseworker/waiting/export.csv?sort=priority", "csv"),
                                                  ("/admin/callin/export/xlsx/", "xlsx")])
def test_r_6_11_an_export_is_one_data_exported_entry_not_a_citizen_viewing(client, waiting, url,
                                                                          export_type):
    """R-6.11, R-1.9.1: an export is recorded as `data_exported` with the list, the format, the
    rows and the filters; it is not a viewing of a citizen card, and nothing else is written."""
    ws, _other = waiting
    login(client, ws.admin, PASSWORD)
    before = _last_id()
    response = client.get(url)
    assert response.status_code == 200
    [entry] = _entries_since(before)
    assert entry.event == AuditEvent.DATA_EXPORTED
    assert entry.user_id == ws.admin.id and entry.job_centre_id == ws.job_centre.id
    assert entry.citizen_id is None
    assert set(entry.after) == {"liste", "format", "rækker", "filtre"}
    assert entry.after["format"] == export_type
    assert entry.after["rækker"] >= 3
    assert entry.details.startswith(f"Eksport ({entry.after['format']}) af »{entry.after['liste']}«")
