"""Login, CSRF, roles, the Danish admin menu and the audit of admin changes (R-0.1, §1)."""

from __future__ import annotations

import re

import pytest
from flask_babel import refresh
from sqlalchemy import select

from tests.factories import PASSWORD, login
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, Role, Room, User

# Fravær is not in the manual; it follows the caseworkers it belongs to.
MENU_DA = ["Vejledere", "Fravær", "Teams", "Lokale lukkedage", "Mødelokaler", "Indkaldelsesskabeloner",
           "Samtaletyper", "Samtaletypevarianter", "Brevmodul", "Revisionsspor", "Systemlog",
           "WSRM-log", "Om"]


@pytest.fixture
def admin(reference_data, create_job_centre, create_user) -> User:
    return create_user(Role.ADMINISTRATOR, create_job_centre("Jobcenter Aarhus"))


def _menu(html: str) -> list[str]:
    menu = html[html.index('id="admin-menu"'):html.index("</nav>", html.index('id="admin-menu"'))]
    return [re.sub(r"\s+", " ", label).strip()
            for label in re.findall(r'class="nav-link[^"]*"[^>]*>(.*?)</a>', menu, re.S)]


def test_r_0_1_admin_menu_is_danish_in_the_manuals_order(client, admin):
    """SPEC §1: left menu in this order; Competences is hidden (R-1.2.11)."""
    login(client, admin)
    html = client.get("/admin/", follow_redirects=True).get_data(as_text=True)
    assert _menu(html)[1:1 + len(MENU_DA)] == MENU_DA
    assert "Kompetencer" not in _menu(html)


def test_r_0_1_the_administration_module_opens_on_vejledere_with_the_set_up_order_one_click_away(
        client, admin):
    """SPEC §1 (the manual's Administrationsmodulet): opening the module lands on the caseworker
    list; the set-up order, Brevmodul included, is linked from it in the manual's order."""
    login(client, admin)
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/caseworker/"
    page = client.get("/admin/caseworker/").get_data(as_text=True)
    strip = re.search(r'<nav class="planner-setup[^"]*" aria-label="Opsætningsrækkefølge".*?</nav>', page, re.S)
    assert strip, "no set-up order on the caseworker list"
    links = re.findall(r'<a href="(/admin/[a-z]+/)"[^>]*>([^<]+)</a>', strip.group(0))
    assert links == [("/admin/team/", "Teams"), ("/admin/caseworker/", "Vejledere"),
                     ("/admin/localclosureday/", "Lokale lukkedage"), ("/admin/room/", "Mødelokaler"),
                     ("/admin/lettertemplate/", "Brevmodul"),
                     ("/admin/callintemplate/", "Indkaldelsesskabeloner"),
                     ("/admin/variant/", "Samtaletypevarianter")]
    assert 'aria-current="page"' in strip.group(0).split("/admin/caseworker/")[1].split("</a>")[0]
    assert "Sæt jobcentret op i denne rækkefølge:" in strip.group(0)


def test_english_is_selectable(client, admin):
    login(client, admin)
    response = client.post("/lang/en?next=/admin/room/")
    assert response.status_code == 302
    refresh()  # the fixture's app context outlives requests; drop its cached locale
    html = client.get("/admin/room/").get_data(as_text=True)
    assert "Meeting rooms" in _menu(html) and "Caseworkers" in _menu(html)
    assert "Create" in html  # Flask-Admin's own strings follow
    client.post("/lang/da")
    refresh()
    html = client.get("/admin/room/").get_data(as_text=True)
    assert "Mødelokaler" in _menu(html) and "Opret" in html
    # Our catalog wins over the awkward words of Flask-Admin's bundled Danish.
    assert "Oprette" not in html and "Eksportere" not in html


def test_r_0_1_administration_link_only_for_administrators_and_support(
        client, admin, create_user):
    login(client, admin)
    assert "Administration" in client.get("/home").get_data(as_text=True)
    client.post("/logout")
    caseworker = create_user(Role.CASEWORKER, admin.job_centre)
    login(client, caseworker)
    page = client.get("/home").get_data(as_text=True)
    assert "Administration" not in page
    client.post("/logout")
    support = create_user(Role.SUPPORT, None)
    login(client, support)
    assert "Administration" in client.get("/home").get_data(as_text=True)


def test_passwords_are_hashed_and_checked(client, admin):
    assert PASSWORD not in admin.password_hash
    response = client.post("/login", data={"username": admin.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Forkert brugernavn eller adgangskode." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_disabled_users_cannot_log_in(client, admin):
    admin.is_enabled = False
    db.session.commit()
    response = client.post("/login", data={"username": admin.username, "password": PASSWORD})
    assert response.status_code == 200


def test_login_redirect_stays_on_this_site(client, admin):
    response = client.post("/login?next=https://evil.example/x",
                           data={"username": admin.username, "password": PASSWORD})
    assert response.headers["Location"] == "/admin/"


def test_r_0_1_post_without_csrf_token_is_refused(csrf_app, reference_data, create_job_centre,
                                                  create_user):
    client = csrf_app.test_client()
    user = create_user(Role.ADMINISTRATOR, create_job_centre())
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400  # the login form itself needs its token
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    response = client.post("/admin/room/new/", data={"name": "Uden token"})
    assert response.status_code == 400
    assert db.session.scalar(select(Room).where(Room.name == "Uden token")) is None


def test_r_1_9_1_admin_changes_are_audited_with_before_and_after(client, admin):
    """R-1.9.1: every admin change is recorded: who, when, before/after."""
    login(client, admin)
    team = admin.job_centre.teams[0].id  # a room belongs to at least one team
    assert client.post("/admin/room/new/", data={"name": "Lokale 1", "capacity": "4",
                                                 "teams": team}).status_code == 302
    room = db.session.scalar(select(Room).where(Room.name == "Lokale 1"))
    assert room.job_centre_id == admin.job_centre_id
    client.post(f"/admin/room/edit/?id={room.id}", data={"name": "Lokale 1", "capacity": "6",
                                                         "teams": team})
    client.post("/admin/room/delete/", data={"id": room.id})
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.event for e in entries] == [AuditEvent.ADMIN_CREATED, AuditEvent.ADMIN_UPDATED,
                                          AuditEvent.ADMIN_DELETED]
    created, updated, deleted = entries
    assert created.user_id == admin.id and created.object_type == "Room"
    assert created.after["capacity"] == 4
    assert updated.before == {"capacity": 4} and updated.after == {"capacity": 6}
    assert deleted.before["name"] == "Lokale 1"
    assert all(e.job_centre_id == admin.job_centre_id for e in entries)


def test_r_1_9_2_audit_trail_offers_no_edit_or_delete(client, admin):
    """R-1.9.2: no create, edit or delete in the list, and a delete posted anyway leaves the
    entry (a 302 alone is also what a successful delete answers)."""
    entry = AuditEntry(event=AuditEvent.ADMIN_CREATED, job_centre_id=admin.job_centre_id,
                       user_name="Anne Admin", object_type="Team", object_id="1")
    db.session.add(entry)
    db.session.commit()
    login(client, admin)
    html = client.get("/admin/audit/").get_data(as_text=True)
    assert "/admin/audit/new/" not in html and "/admin/audit/delete/" not in html
    assert f"/admin/audit/edit/?id={entry.id}" not in html
    assert client.get("/admin/audit/new/").status_code == 302
    assert client.post("/admin/audit/delete/", data={"id": entry.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(AuditEntry, entry.id) is not None


def test_r_1_12_1_about_page(client, admin):
    """R-1.12.1: version, database, scheduler status and last batch run."""
    login(client, admin)
    html = client.get("/admin/about/").get_data(as_text=True)
    assert "Version" in html and "Database" in html and "Seneste kørsel" in html


def test_r_1_6_1_conversation_types_are_read_only_for_administrators(client, admin):
    """R-1.6.1: the central list is read-only for job centres."""
    login(client, admin)
    html = client.get("/admin/conversationtype/").get_data(as_text=True)
    assert "Jobsamtale" in html
    assert client.get("/admin/conversationtype/new/").status_code == 302
    assert client.post("/admin/conversationtype/edit/?id=1", data={"name": "X"}).status_code == 302
    from webapp.models import ConversationType
    assert db.session.get(ConversationType, 1).name != "X"


def test_cpr_numbers_never_reach_the_log_in_clear(app, caplog):
    """Personal data: the app's logger masks CPR numbers (R-0.1 set-up)."""
    app.logger.warning("Opslag på %s fejlede", "0101901234")
    app.logger.warning("Opslag på 010190-1234 fejlede")
    text = caplog.text
    assert "0101901234" not in text and "010190-1234" not in text
    assert text.count("010190-****") == 2


def test_r_0_1_a_caseworker_starts_in_the_workspace_calendar(client, reference_data,
                                                             create_job_centre, create_user,
                                                             create_caseworker):
    """R-0.1: caseworkers land in their calendar; administrators get a link to it."""
    centre = create_job_centre()
    caseworker = create_caseworker(centre)
    user = create_user(Role.CASEWORKER, centre, caseworker_id=caseworker.id)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] == "/caseworker/"
    assert client.get("/caseworker/").status_code == 200
