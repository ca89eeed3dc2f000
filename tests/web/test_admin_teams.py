"""Teams (R-1.1.x): the tree, names, address, postal code, moving and deleting."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select


from tests.factories import login
from tests.web.admin_support import field_errors, flashes, post
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, Role, Team


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    return create_user(Role.ADMINISTRATOR, job_centre)


def _team(name: str) -> Team:
    return db.session.scalar(select(Team).where(Team.name == name))


def _valid(parent_team: Team, **changes: str) -> dict:
    data = {"name": "Jobparate", "parent": parent_team.id, "address": "Vestergade 12B",
            "postal_code": "8000", "city": "", "email": "jobparate@aarhus.dk",
            "phone": "87 13 00 00", "description": "Jobparate borgere"}
    return data | changes


def test_r_1_1_2_r_1_1_3_create_team_fills_city_and_normalises(client, admin):
    login(client, admin)
    status, _ = post(client, "/admin/team/new/", _valid(_team("Aarhus Jobcenter")))
    assert status == 302
    team = _team("Jobparate")
    assert (team.city, team.postal_code, team.phone, team.email) == (
        "Aarhus C", "8000", "+4587130000", "jobparate@aarhus.dk")
    assert team.parent.name == "Aarhus Jobcenter"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event == AuditEvent.ADMIN_CREATED))
    assert entry.after["name"] == "Jobparate" and entry.user_id == admin.id


BAD_TEAM_INPUT = [
    ("address", "Vestergade 12b", "Husnummerets bogstav skal være stort: skriv »Vestergade 12B«."),
    ("postal_code", "0000", "Postnummeret 0000 findes ikke"),
    ("postal_code", "80000", "er ugyldigt: et dansk postnummer er fire cifre"),
    ("name", "Ungeindsatsen", "Der findes allerede et team med navnet »Ungeindsatsen«"),
    ("name", "  ", "Skriv teamets navn."),
    ("email", "jobparate@aarhus", "E-mailadressen »jobparate@aarhus« er ikke gyldig"),
    ("email", "jobparate.aarhus.dk", "den mangler et @"),
    ("phone", "1234", "Telefonnummeret »1234« er ikke gyldigt"),
    ("parent", "", "Vælg et overordnet team"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_TEAM_INPUT,
                         ids=[f"{f}={v!r}" for f, v, _ in BAD_TEAM_INPUT])
def test_r_1_1_2_r_1_1_3_bad_team_input_is_refused_on_the_field(client, admin, field, value, message):
    """R-1.1.2/R-1.1.3/R-1.1.6: what a person would mistype gets a Danish message; nothing saved."""
    login(client, admin)
    before = db.session.scalar(select(func.count(Team.id)))
    data = _valid(_team("Aarhus Jobcenter"), **{field: value})
    if field == "parent":
        data.pop("parent")
    status, page = post(client, "/admin/team/new/", data)
    assert status == 200
    assert any(message in error for error in field_errors(page, field)), field_errors(page, field)
    assert db.session.scalar(select(func.count(Team.id))) == before
    assert not db.session.scalar(select(func.count(AuditEntry.id)))


def test_r_1_1_6_a_team_cannot_become_its_own_ancestor(client, admin, create_team):
    login(client, admin)
    root, child = _team("Aarhus Jobcenter"), _team("Ungeindsatsen")
    grandchild = create_team(admin.job_centre, parent=child, name="Unge under 25")
    for parent in (child, grandchild):
        status, page = post(client, f"/admin/team/edit/?id={child.id}",
                            {"name": "Ungeindsatsen", "parent": (parent if parent is grandchild else child).id})
        assert status == 200
        assert any("kan ikke flyttes ind under sig selv eller sine egne underteams" in e
                   for e in field_errors(page, "parent"))
    db.session.expire_all()
    assert _team("Ungeindsatsen").parent_id == root.id


def test_r_1_1_6_teams_are_renamed_and_moved(client, admin, create_team):
    login(client, admin)
    root, child = _team("Aarhus Jobcenter"), _team("Ungeindsatsen")
    other = create_team(admin.job_centre, parent=root, name="Sygedagpenge")
    status, _ = post(client, f"/admin/team/edit/?id={other.id}",
                     {"name": "Sygedagpengeteamet", "parent": child.id})
    assert status == 302
    db.session.expire_all()
    moved = _team("Sygedagpengeteamet")
    assert moved.parent_id == child.id and moved.ancestors() == [child, root]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event == AuditEvent.ADMIN_UPDATED))
    assert entry.before["name"] == "Sygedagpenge" and entry.after["name"] == "Sygedagpengeteamet"


def test_r_1_1_6_team_list_is_a_tree(client, admin, create_team):
    login(client, admin)
    child = _team("Ungeindsatsen")
    create_team(admin.job_centre, parent=_team("Aarhus Jobcenter"), name="Aaa-team")
    create_team(admin.job_centre, parent=child, name="Unge under 25")
    page = client.get("/admin/team/").get_data(as_text=True)
    nodes = re.findall(r'planner-tree-node depth-\d" style="margin-left:([\d.]+)rem">([^<]+)<', page)
    assert nodes == [("0.0", "Aarhus Jobcenter"), ("1.5", "Aaa-team"), ("1.5", "Ungeindsatsen"),
                     ("3.0", "Unge under 25")]


@pytest.fixture
def same_name_admin(reference_data, create_job_centre, create_user):
    job_centre = create_job_centre("Jobcenter Vejle", municipality="Vejle",
                                   root_team="Vejle Jobcenter", child_team="Vejle Jobcenter")
    return create_user(Role.ADMINISTRATOR, job_centre)


def test_r_1_1_1_two_levels_with_one_name_must_be_renamed_before_other_edits(client, same_name_admin):
    """R-1.1.1: the default structure with one name: rename first, and say why."""
    login(client, same_name_admin)
    root, child = sorted(same_name_admin.job_centre.teams, key=lambda t: t.parent_id or 0)
    assert child.pending_rename
    listing = client.get("/admin/team/").get_data(as_text=True)
    assert "To niveauer i teamstrukturen hedder »Vejle Jobcenter«" in listing
    # Another edit of the pending team is refused with the reason.
    status, page = post(client, f"/admin/team/edit/?id={child.id}",
                        {"name": "Vejle Jobcenter", "parent": root.id, "description": "Nyt"})
    assert status == 200
    assert any("Omdøb teamet »Vejle Jobcenter« under »Vejle Jobcenter«" in e
               for e in field_errors(page, "name"))
    # So is creating a team or editing the root in other ways.
    status, page = post(client, "/admin/team/new/", {"name": "Nyt team", "parent": root.id})
    assert status == 200 and any("før du foretager andre ændringer" in e for e in field_errors(page, "name"))
    status, page = post(client, f"/admin/team/edit/?id={root.id}",
                        {"name": "Vejle Jobcenter", "description": "Rod"})
    assert status == 200
    db.session.expire_all()
    assert child.description is None and root.description is None
    # Renaming settles it; then other edits are allowed.
    assert post(client, f"/admin/team/edit/?id={child.id}",
                {"name": "Jobklar", "parent": root.id})[0] == 302
    db.session.expire_all()
    assert not child.pending_rename and child.name == "Jobklar"
    assert post(client, "/admin/team/new/", {"name": "Nyt team", "parent": root.id})[0] == 302
    assert "To niveauer" not in client.get("/admin/team/").get_data(as_text=True)


def test_r_1_1_1_renaming_the_root_also_settles_the_same_name(client, same_name_admin):
    login(client, same_name_admin)
    root, child = sorted(same_name_admin.job_centre.teams, key=lambda t: t.parent_id or 0)
    assert post(client, f"/admin/team/edit/?id={root.id}", {"name": "Vejle Kommune Jobcenter"})[0] == 302
    db.session.expire_all()
    assert not child.pending_rename


@pytest.mark.parametrize("what", ["children", "caseworker", "room", "booking", "root"])
def test_r_1_1_6_a_team_in_use_cannot_be_deleted(client, admin, create_team, create_caseworker,
                                                 create_room, create_booking, what):
    login(client, admin)
    root = _team("Aarhus Jobcenter")
    team = create_team(admin.job_centre, parent=root, name="Slettes")
    expected = {"children": "det har underteams", "caseworker": "der er vejledere tilknyttet",
                "room": "der er mødelokaler tilknyttet", "booking": "kommende samtaler",
                "root": "det er øverst i teamstrukturen"}[what]
    if what == "children":
        create_team(admin.job_centre, parent=team, name="Under")
    elif what == "caseworker":
        create_caseworker(admin.job_centre, teams=[team])
    elif what == "room":
        room = create_room(admin.job_centre)
        room.teams.append(team)
        db.session.commit()
    elif what == "booking":
        from datetime import datetime
        other = create_caseworker(admin.job_centre, teams=[_team("Ungeindsatsen")])
        create_booking([other], datetime(2030, 3, 5, 9), team_id=team.id)
    elif what == "root":
        team = root
    page = client.post("/admin/team/delete/", data={"id": team.id},
                       follow_redirects=True).get_data(as_text=True)
    assert any(expected in message for message in flashes(page)), flashes(page)
    db.session.expire_all()
    assert db.session.get(Team, team.id) is not None
    assert not db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.event == AuditEvent.ADMIN_DELETED))


def test_r_1_1_6_an_unused_team_is_deleted_and_audited(client, admin, create_team):
    login(client, admin)
    team = create_team(admin.job_centre, parent=_team("Aarhus Jobcenter"), name="Midlertidig")
    client.post("/admin/team/delete/", data={"id": team.id})
    assert db.session.get(Team, team.id) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event == AuditEvent.ADMIN_DELETED))
    assert entry.before["name"] == "Midlertidig"


def test_r_1_3_2_a_deleted_team_takes_its_own_closure_days_and_leaves_shared_ones(client, admin,
                                                                                  create_team):
    """R-1.3.2: a closure day set on the deleted team alone goes with it; one also on another
    team stays for that team."""
    from datetime import date

    from webapp.models import LocalClosureDay
    login(client, admin)
    root = _team("Aarhus Jobcenter")
    team = create_team(admin.job_centre, parent=root, name="Midlertidig")
    other = create_team(admin.job_centre, parent=root, name="Bliver")
    day = date(2030, 3, 5)
    db.session.add_all([LocalClosureDay(job_centre=admin.job_centre, teams=[team], name="Egen",
                                        first_day=day, last_day=day),
                        LocalClosureDay(job_centre=admin.job_centre, teams=[team, other], name="Fælles",
                                        first_day=day, last_day=day)])
    db.session.commit()
    client.post("/admin/team/delete/", data={"id": team.id})
    db.session.expire_all()
    left = db.session.scalars(select(LocalClosureDay)).all()
    assert [(c.name, [t.name for t in c.teams]) for c in left] == [("Fælles", ["Bliver"])]


def test_r_1_1_1_support_creates_a_job_centre_with_the_default_structure(client, reference_data,
                                                                         create_user):
    support = create_user(Role.SUPPORT, None)
    login(client, support)
    status, _ = post(client, "/admin/jobcentre/new/", {"name": "Jobcenter Vejle", "municipality": "Vejle",
                                                       "sync_modes": "none,one_way",
                                                       "root_team": "", "child_team": ""})
    assert status == 302
    created = db.session.scalars(select(Team).order_by(Team.id)).all()
    assert [(t.name, t.parent is None, t.pending_rename) for t in created] == [
        ("Vejle Jobcenter", True, False), ("Vejle Jobcenter", False, True)]
    status, page = post(client, "/admin/jobcentre/new/", {"name": "Jobcenter Vejle", "municipality": "Vejle"})
    assert status == 200 and any("findes allerede" in e for e in field_errors(page, "name"))


def test_r_1_1_2_support_creates_a_team_in_the_parents_job_centre(client, admin, create_job_centre,
                                                                   create_user):
    """Support works in every job centre (roles): a new team belongs to its parent's job
    centre; without a parent the form says why one is needed, and nothing is saved."""
    create_job_centre("Jobcenter Vejle", root_team="Vejle Jobcenter", child_team="Vejle Unge")
    support = create_user(Role.SUPPORT, None)
    login(client, support)
    status, page = post(client, "/admin/team/new/", _valid(_team("Vejle Jobcenter")))
    assert status == 302, flashes(page)
    team = _team("Jobparate")
    assert team.job_centre.name == "Jobcenter Vejle" and team.parent.name == "Vejle Jobcenter"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event == AuditEvent.ADMIN_CREATED))
    assert entry.job_centre_id == team.job_centre_id and entry.user_id == support.id

    before = db.session.scalar(select(func.count(Team.id)))
    data = _valid(_team("Vejle Jobcenter"), name="Ledige")
    data.pop("parent")
    status, page = post(client, "/admin/team/new/", data)
    assert status == 200
    assert any("det afgør, hvilket jobcenter" in error for error in field_errors(page, "parent"))
    assert db.session.scalar(select(func.count(Team.id))) == before


@pytest.mark.parametrize("form", ["/admin/team/new/", "/admin/room/new/"])
def test_r_1_1_3_r_1_4_1_the_city_is_looked_up_while_the_postal_code_is_typed(client, admin, form):
    """R-1.1.3, R-1.4.1 (§1.1, §1.4 "fremkommer bynavnet automatisk"): the team and room forms
    name the look-up their script asks while the postal code is typed; it answers the city, or a
    clear refusal in both languages, and changes nothing."""
    login(client, admin)
    page = client.get(form).get_data(as_text=True)
    url = re.search(r'data-postal-city-url="([^"]+)"', page).group(1)
    assert url == form.replace("new/", "postal-city/")
    assert client.get(f"{url}?postal_code=8000").get_json() == {"city": "Aarhus C"}
    assert client.get(f"{url}?postal_code=DK-2100").get_json() == {"city": "København Ø"}
    unknown = client.get(f"{url}?postal_code=0001")
    assert unknown.status_code == 400
    body = unknown.get_json()
    assert body["city"] is None and body["code"] == "postal_code_unknown"
    assert "findes ikke" in body["message_da"] and "does not exist" in body["message_en"]
    assert client.get(f"{url}?postal_code=80x0").status_code == 400
    assert "admin_updated" not in {e.event for e in db.session.scalars(select(AuditEntry))}


def test_r_1_1_3_the_city_look_up_is_for_logged_in_staff_only(client, admin, create_user):
    """The look-up answers staff of the administration module only; it names no job centre's data."""
    assert client.get("/admin/team/postal-city/?postal_code=8000").status_code == 302
    login(client, create_user(Role.CASEWORKER, admin.job_centre, username="vejleder"))
    assert client.get("/admin/team/postal-city/?postal_code=8000").status_code == 403


def test_r_1_1_6_each_node_of_the_team_tree_has_its_edit_action(client, admin, create_team):
    """R-1.1.6 (§1.1 "højre-klikke på teamet og vælge Rediger team"): every node of the tree has an
    edit action named after its team, which opens that team's form and comes back to the tree."""
    login(client, admin)
    create_team(admin.job_centre, parent=_team("Ungeindsatsen"), name="Unge & nye")
    page = client.get("/admin/team/").get_data(as_text=True)
    actions = re.findall(r'<a class="planner-tree-edit[^"]*" href="([^"]+)" aria-label="([^"]+)"', page)
    teams = db.session.scalars(select(Team).order_by(Team.id)).all()
    assert sorted(label for _href, label in actions) == sorted(
        f"Redigér team »{t.name}«".replace("&", "&amp;") for t in teams)
    for href, label in actions:
        team = next(t for t in teams if label == f"Redigér team »{t.name}«".replace("&", "&amp;"))
        assert href.startswith(f"/admin/team/edit/?id={team.id}&amp;url=/admin/team/")
        form = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
        assert re.search(rf'id="name"[^>]*value="{re.escape(str(escape(team.name)))}"', form), team.name
@pytest.mark.parametrize("bad", ["75", "7a1", "7511", "-75"])
def test_r_6_9_support_sets_the_municipality_code_three_digits_or_nothing(client, reference_data,
                                                                          create_job_centre,
                                                                          create_user, bad):
    """R-6.9: the code naming a job centre to the national data hub is three digits; anything
    else is refused with a Danish message and changes nothing; empty stays empty."""
    from webapp.models import JobCentre
    job_centre = create_job_centre("Jobcenter Vejle", municipality="Vejle")
    support = create_user(Role.SUPPORT, None)
    login(client, support)
    url = f"/admin/jobcentre/edit/?id={job_centre.id}"
    form = {"name": "Jobcenter Vejle", "municipality": "Vejle", "sync_modes": job_centre.sync_modes}
    status, page = post(client, url, form | {"municipality_code": bad})
    assert status == 200
    assert any("tre cifre" in error for error in field_errors(page, "municipality_code")), page
    db.session.expire_all()
    assert db.session.get(JobCentre, job_centre.id).municipality_code is None
    status, _ = post(client, url, form | {"municipality_code": " 630 "})
    assert status == 302
    db.session.expire_all()
    assert db.session.get(JobCentre, job_centre.id).municipality_code == "630"
    status, _ = post(client, url, form | {"municipality_code": ""})
    assert status == 302
    db.session.expire_all()
    assert db.session.get(JobCentre, job_centre.id).municipality_code is None
