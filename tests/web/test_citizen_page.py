"""Citizens in the workspace and the admin (R-6.1): search by CPR number or name as a POST, the
citizen's page, one audit entry per look-up and per opening, contact details corrected by an
administrator, and citizens created from the register by the workspace's forms."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.workspace_setup import MONDAY, NOW, PASSWORD, at, build_workspace
from webapp.callins.calling import create_callins, from_template
from webapp.citizens.register import FileCitizenRegister
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, Citizen, Letter, Role, SelfBookingDeadline, User
from webapp.selfbooking.deadlines import create_deadline

REGISTER = FileCitizenRegister()
NEW = next(entry for entry in REGISTER.entries() if entry.contact_group)
UNKNOWN = "0707861007"


@pytest.fixture
def ws(app, reference_data, monkeypatch):
    monkeypatch.setattr("webapp.caseworker.routes.now_local", lambda: NOW)
    monkeypatch.setattr("webapp.caseworker.routes.today_local", lambda: NOW.date())
    monkeypatch.setattr("webapp.offers_staff.routes.now_local", lambda: NOW)
    return build_workspace()


def _views() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.event == AuditEvent.CITIZEN_CARD_VIEWED).order_by(AuditEntry.id)))


def _citizens() -> int:
    return db.session.scalar(select(func.count()).select_from(Citizen))


# --- search --------------------------------------------------------------------

def test_r_6_1_search_form_posts_and_a_get_searches_nothing(client, ws):
    """R-6.1: the search is a POST form; a CPR number in a URL finds nothing and is not audited."""
    login(client, ws.user, PASSWORD)
    page = client.get("/caseworker/citizens").get_data(as_text=True)
    assert 'method="post"' in page and 'name="query"' in page and "Find borger" in page
    page = client.get(f"/caseworker/citizens?query={ws.citizens[0].cpr}").get_data(as_text=True)
    assert ws.citizens[0].name not in page and _views() == []


def test_r_6_1_search_by_cpr_finds_the_citizen_and_is_audited_once(client, ws):
    """R-6.1: by CPR number in any written form; one audit entry naming the citizen, not the number."""
    login(client, ws.user, PASSWORD)
    cpr = ws.citizens[0].cpr
    response = client.post("/caseworker/citizens", data={"query": f"{cpr[:6]}-{cpr[6:]}"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/caseworker/citizens/{ws.citizens[0].id}"' in page and cpr not in page
    [entry] = _views()
    assert (entry.citizen_id, entry.user_id, entry.job_centre_id) == (
        ws.citizens[0].id, ws.user.id, ws.job_centre.id)
    assert cpr not in (entry.details or "") and cpr[:6] not in (entry.details or "")


def test_r_6_1_search_by_name_lists_only_the_own_job_centre(client, ws, create_job_centre, create_citizen):
    other = create_job_centre()
    create_citizen(other, name=ws.citizens[1].name)
    login(client, ws.user, PASSWORD)
    page = client.post("/caseworker/citizens", data={"query": ws.citizens[1].name.lower()}).get_data(as_text=True)
    assert page.count(ws.citizens[1].name) == 1
    assert f"/caseworker/citizens/{ws.citizens[1].id}" in page
    [entry] = _views()
    assert entry.citizen_id == ws.citizens[1].id and entry.details == "Borgersøgning: 1 fundet"
    page = client.post("/caseworker/citizens", data={"query": "Ingen Sådan"}).get_data(as_text=True)
    assert "Ingen borger i jobcentret passer til søgningen." in page
    assert len(_views()) == 2


@pytest.mark.parametrize("query, message", [
    ("", "Skriv et CPR-nummer eller et navn."),
    ("x", "Skriv mindst to bogstaver af navnet."),
    ("0101", "Et CPR-nummer har 10 cifre; du har skrevet 4."),
    ("320180-1234", "er ikke en gyldig dato"),
])
def test_r_6_1_bad_search_gets_a_danish_message_and_no_audit(client, ws, query, message):
    login(client, ws.user, PASSWORD)
    page = client.post("/caseworker/citizens", data={"query": query}).get_data(as_text=True)
    assert message in page and _views() == []


@pytest.mark.parametrize("role", [None, Role.SUPPORT])
def test_r_6_1_search_and_page_need_a_job_centre_staff_role(client, ws, role):
    if role is not None:
        support = User(username="support.s", name="Support", role=role)
        support.set_password(PASSWORD)
        db.session.add(support)
        db.session.commit()
        login(client, support, PASSWORD)
    for response in (client.post("/caseworker/citizens", data={"query": ws.citizens[0].cpr}),
                     client.get(f"/caseworker/citizens/{ws.citizens[0].id}")):
        assert response.status_code in (302, 403)
    assert _views() == []


# --- the citizen's page ------------------------------------------------------------

def test_r_6_1_citizen_page_shows_meetings_waiting_call_ins_deadlines_and_letters(client, ws):
    """R-6.1: one page with links to the meetings and letters; each opening is one audit entry."""
    citizen = ws.citizens[0]
    fixed = create_callins(replace(from_template(ws.templates["fixed"], today=NOW.date()),
                                   cprs=[citizen.cpr], starts_at=at(MONDAY, 9)), now=NOW, actor=ws.user)
    create_callins(replace(from_template(ws.templates["auto"], today=NOW.date()), cprs=[citizen.cpr],
                           conversation_type_id=ws.types[9].id), now=NOW, actor=ws.user)
    create_deadline(citizen, ws.types[7].id, date(2027, 3, 20), today=NOW.date(), actor=ws.user)
    db.session.commit()
    [booking] = fixed.bookings
    [letter] = db.session.scalars(select(Letter).where(Letter.citizen_id == citizen.id)).all()
    before = len(_views())
    login(client, ws.user, PASSWORD)
    page = client.get(f"/caseworker/citizens/{citizen.id}").get_data(as_text=True)
    assert citizen.name in page and citizen.masked_cpr in page and citizen.cpr not in page
    assert f'href="/caseworker/bookings/{booking.id}"' in page
    for heading in ("Ventende indkaldelser", "Tidligere indkaldelser", "Selvbookingsfrister", "Breve"):
        assert heading in page
    assert "20.03.2027" in page and "Ingen ventende indkaldelser." not in page
    assert f'href="/caseworker/bookings/{booking.id}/letters/{letter.id}"' in page
    assert len(_views()) == before + 1
    client.get(f"/caseworker/citizens/{citizen.id}")
    assert len(_views()) == before + 2 and _views()[-1].citizen_id == citizen.id


def test_r_6_1_citizen_page_of_another_job_centre_is_not_found(client, ws, create_job_centre, create_citizen):
    stranger = create_citizen(create_job_centre(), name="Fremmed Borger")
    login(client, ws.user, PASSWORD)
    assert client.get(f"/caseworker/citizens/{stranger.id}").status_code == 404
    assert _views() == []


# --- the workspace's forms create citizens from the register --------------------------

def test_r_6_1_call_in_form_creates_a_new_citizen_from_the_register(client, ws):
    login(client, ws.user, PASSWORD)
    template = ws.templates["auto"]
    form = {"template_id": template.id, "conversation_type_id": template.conversation_type_id,
            "variant_id": template.variant_id, "meeting_form": "individual",
            "holding_form_id": template.holding_form_id, "team_id": template.team_id,
            "caseworker_ids": [ws.anna.id], "duration_minutes": 30, "reporting_minutes": 15,
            "deadline_mode": "days_after_creation", "deadline_days": 14,
            "distribution": "automatic", "earliest_date": "2027-03-01"}
    before = _citizens()
    page = client.post("/caseworker/callins/new", data=form | {"cprs": UNKNOWN}).get_data(as_text=True)
    assert "CPR-nummeret 070786-**** findes ikke i CPR-registeret" in page and _citizens() == before
    client.post("/caseworker/callins/new", data=form | {"cprs": NEW.cpr})
    created = db.session.scalar(select(Citizen).where(Citizen.cpr == NEW.cpr))
    assert created is not None and created.name == NEW.name and _citizens() == before + 1


def test_r_6_1_deadline_form_creates_a_new_citizen_or_refuses_an_unknown_number(client, ws):
    login(client, ws.user, PASSWORD)
    form = {"conversation_type_id": ws.types[9].id, "deadline_date": "2027-03-20"}
    before = _citizens()
    page = client.post("/caseworker/deadlines/new", data=form | {"cpr": UNKNOWN}).get_data(as_text=True)
    assert "CPR-nummeret 070786-**** findes ikke i CPR-registeret" in page
    assert _citizens() == before and db.session.scalar(select(func.count()).select_from(SelfBookingDeadline)) == 0
    client.post("/caseworker/deadlines/new", data=form | {"cpr": NEW.cpr})
    [deadline] = db.session.scalars(select(SelfBookingDeadline)).all()
    assert deadline.citizen.cpr == NEW.cpr and deadline.citizen.name == NEW.name


# --- the admin ------------------------------------------------------------------

def test_r_6_1_admin_citizen_list_writes_no_audit_row_per_citizen(client, ws):
    """R-6.1: opening Borgere (names and masked numbers) no longer writes one entry per row."""
    login(client, ws.admin, PASSWORD)
    page = client.get("/admin/citizen/").get_data(as_text=True)
    assert all(c.name in page for c in ws.citizens) and not any(c.cpr in page for c in ws.citizens)
    assert _views() == []


def test_r_6_1_admin_corrects_contact_details_but_not_name_or_address(client, ws):
    """R-6.1: e-mail and phone are editable and checked; name and address stay the register's."""
    citizen = ws.citizens[0]
    name, address = citizen.name, citizen.address
    login(client, ws.admin, PASSWORD)
    form = client.get(f"/admin/citizen/edit/?id={citizen.id}").get_data(as_text=True)
    assert 'name="email"' in form and 'name="phone"' in form
    assert 'name="name"' not in form and 'name="address"' not in form
    assert [e.citizen_id for e in _views()] == [citizen.id]
    bad = client.post(f"/admin/citizen/edit/?id={citizen.id}",
                      data={"email": "ikke en adresse", "phone": "20 30 40 50"}).get_data(as_text=True)
    assert "e-mail" in bad.lower()
    db.session.expire_all()
    assert db.session.get(Citizen, citizen.id).phone != "+4520304050"
    client.post(f"/admin/citizen/edit/?id={citizen.id}",
                data={"email": " Ny@Example.DK ", "phone": "20 30 40 50", "name": "Andet Navn"})
    db.session.expire_all()
    saved = db.session.get(Citizen, citizen.id)
    assert (saved.email, saved.phone, saved.name, saved.address) == (
        "ny@example.dk", "+4520304050", name, address)
    updated = db.session.scalars(select(AuditEntry).where(
        AuditEntry.event == AuditEvent.ADMIN_UPDATED, AuditEntry.object_type == "Citizen")).all()
    assert len(updated) == 1 and updated[0].after == {"email": "ny@example.dk", "phone": "+4520304050"}


def test_r_6_1_admin_cannot_create_delete_or_edit_another_job_centres_citizen(
        client, ws, create_job_centre, create_citizen):
    stranger = create_citizen(create_job_centre(), name="Fremmed Borger")
    login(client, ws.admin, PASSWORD)
    assert client.get(f"/admin/citizen/edit/?id={stranger.id}").status_code == 404
    assert client.get("/admin/citizen/new/").status_code in (302, 403, 404)
    client.post("/admin/citizen/delete/", data={"id": ws.citizens[0].id})
    assert db.session.get(Citizen, ws.citizens[0].id) is not None
    assert _views() == []
