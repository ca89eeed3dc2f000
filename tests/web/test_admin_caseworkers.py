"""Caseworkers (R-1.2.x): directory look-up, identity, teams, working time, breaks, sync, delete."""

from __future__ import annotations

import json
import re
from datetime import datetime, time

import pytest
from sqlalchemy import func, select


from tests.factories import login
from tests.web.admin_support import breaks_data, field_errors, flashes, post, week_data
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, Break, Caseworker, Role, Team

ANNA = "anna.holm@demo-jobcenter.dk"  # in seed/data/directory.json with a valid certificate
HANS = "hans.moeller@demo-jobcenter.dk"  # in the directory, certificate not valid


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    return create_user(Role.ADMINISTRATOR, job_centre)


def _team(name: str) -> Team:
    return db.session.scalar(select(Team).where(Team.name == name))


def _valid(**changes: object) -> dict:
    data = {"email": ANNA, "name": "", "initials": "ASH", "phone": "20 10 01 07",
            "rid": "09000137", "guid": "", "can_be_assigned_callins": "y",
            "sync_mode": "one_way", "busy_calendar_url": "",
            "teams": [_team("Ungeindsatsen").id], **week_data(), **breaks_data([])}
    return data | changes


def _count() -> int:
    return db.session.scalar(select(func.count(Caseworker.id)))


def test_r_1_2_1_fetch_data_fills_the_form_from_the_directory_without_saving(client, admin):
    login(client, admin)
    status, page = post(client, "/admin/caseworker/new/", {"email": " Anna.Holm@demo-jobcenter.dk ",
                                                           "fetch_directory": "1", **week_data()})
    assert status == 200
    assert 'value="Anna Skovgaard Holm"' in page and 'value="09000137"' in page
    assert 'value="+4520100107"' in page and 'value="ASH"' in page
    assert "Anna Skovgaard Holm er hentet fra AM-portalen" in " ".join(flashes(page))
    assert _count() == 0


def test_r_1_2_1_a_look_up_by_name_warns_that_names_match_all_job_centres(client, admin):
    """R-1.2.1 (manual §1.2.1): a name search is possible; the form warns that names match
    caseworkers of all job centres and the e-mail address is the safe key; the match chosen is
    fetched by its e-mail address. Nothing is saved."""
    login(client, admin)
    form = client.get("/admin/caseworker/new/").get_data(as_text=True)
    assert "Navne matcher vejledere fra alle jobcentre" in form and "Den fulde e-mailadresse er den sikre nøgle" in form
    status, page = post(client, "/admin/caseworker/new/", {"email": "", "directory_name": "gaard",
                                                           "search_directory_name": "1", **week_data()})
    assert status == 200
    table = page[page.index('id="directory-matches"'):page.index("</table>", page.index('id="directory-matches"'))]
    names = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>", table)
    assert [n for n, _e in names] == ["Anna Skovgaard Holm", "Bo Kjærsgaard", "Camilla Østergaard Lund",
                                      "Frederik Aagaard", "Jakob Nørgaard Friis", "Maja Kirkegaard",
                                      "Niels Bjerre Vestergaard"]
    assert ("Anna Skovgaard Holm", ANNA) in names
    assert any("Navnesøgningen finder vejledere fra alle jobcentre" in f and "E-mailadressen er den sikre nøgle" in f
               for f in flashes(page))
    status, page = post(client, "/admin/caseworker/new/", {"email": "", "directory_name": "gaard",
                                                           "pick_directory_email": ANNA, **week_data()})
    assert status == 200 and 'value="Anna Skovgaard Holm"' in page and f'value="{ANNA}"' in page
    assert _count() == 0


@pytest.mark.parametrize(("typed", "message"), [
    (" a ", "Skriv mindst to bogstaver af navnet"),
    ("Ingen Sådan", "Ingen i AM-portalen hedder »Ingen Sådan«. Søg hellere på den fulde e-mailadresse."),
])
def test_r_1_2_1_a_name_search_without_matches_says_why(client, admin, typed, message):
    login(client, admin)
    status, page = post(client, "/admin/caseworker/new/", {"email": "", "directory_name": typed,
                                                           "search_directory_name": "1", **week_data()})
    assert status == 200 and any(message in f for f in flashes(page)), flashes(page)
    assert 'id="directory-matches"' not in page and _count() == 0


def test_r_1_2_1_r_1_2_4_r_1_2_5_create_caseworker_with_team_and_default_week(client, admin):
    login(client, admin)
    form = client.get("/admin/caseworker/new/").get_data(as_text=True)
    # the default week is offered: 07:30-16:00 Monday to Friday.
    assert 'name="working_time-0-start" id="working_time-0-start" value="07:30"' in form
    assert 'name="working_time-5-start" id="working_time-5-start" value="00:00"' in form
    for tab in ("Kontaktinfo", "Teams", "Arbejdstid", "Pauser", "Kalendersynk"):
        assert f">{tab}</a>" in form
    assert '<option selected value="one_way">Envejs</option>' in form or \
        '<option value="one_way" selected>Envejs</option>' in form or ">Envejs</option>" in form
    status, _ = post(client, "/admin/caseworker/new/", _valid(name="Typed Over"))
    assert status == 302
    caseworker = db.session.scalar(select(Caseworker))
    assert caseworker.name == "Anna Skovgaard Holm"  # the directory's name
    assert [t.name for t in caseworker.teams] == ["Ungeindsatsen"]
    assert [(w.weekday, w.start_time, w.end_time) for w in caseworker.working_times][:2] == [
        (0, time(7, 30), time(16)), (1, time(7, 30), time(16))]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event == AuditEvent.ADMIN_CREATED))
    assert entry.after["teams"] == ["Ungeindsatsen"]
    assert "Mandag 07:30-16:00" in entry.after["working_time"]


BAD_CASEWORKER_INPUT = [
    ("email", {"email": "anna.holm@demo-jobcenter"}, "E-mailadressen »anna.holm@demo-jobcenter« er ikke gyldig"),
    ("email", {"email": "ukendt@demo-jobcenter.dk"}, "findes ikke i AM-portalen"),
    ("email", {"email": HANS}, "har ikke et gyldigt medarbejdercertifikat"),
    ("rid", {"rid": "12ab"}, "RID-nummeret »12ab« er ugyldigt"),
    ("rid", {"rid": ""}, "Udfyld RID"),
    ("guid", {"rid": "", "guid": "3f2504e0-4f89-11d3-9a0c"}, "GUID'en »3f2504e0-4f89-11d3-9a0c« er ugyldig"),
    ("guid", {"guid": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}, "Udfyld enten RID eller GUID, ikke begge"),
    ("phone", {"phone": "2010"}, "Telefonnummeret »2010« er ikke gyldigt"),
    ("teams", {"teams": []}, "Vælg mindst ét team"),
    ("sync_mode", {"sync_mode": "one_way_fasit"}, "Vælg en af mulighederne"),
    ("working_time", week_data({0: ("16:00", "08:00")}), "Mandag: Arbejdstiden 16:00–08:00 slutter før den begynder."),
    ("breaks", {**week_data({0: ("00:00", "00:00"), 1: ("07:30", "16:00")}),
                **breaks_data([(0, "12:00", "12:30")])}, "Mandag: der er ingen arbejdstid (00:00–00:00)"),
    ("breaks", breaks_data([(2, "06:00", "07:00")]), "Onsdag: Pausen 06:00–07:00 ligger uden for arbejdstiden."),
    ("breaks", breaks_data([(1, "12:00", "12:30"), (1, "12:15", "12:45")]), "Tirsdag: Pausen 12:15–12:45 overlapper en anden pause."),
    ("breaks", breaks_data([(1, "12:30", "12:00")]), "Tirsdag: Pausen 12:30–12:00 skal slutte efter den begynder."),
    ("breaks", breaks_data([(1, "12", "12:30")]), "Tirsdag: »12« er ikke et klokkeslæt"),
]


@pytest.mark.parametrize(("field", "changes", "message"), BAD_CASEWORKER_INPUT,
                         ids=[f"{f}-{i}" for i, (f, _c, _m) in enumerate(BAD_CASEWORKER_INPUT)])
def test_r_1_2_x_bad_caseworker_input_is_refused_on_the_field(client, admin, field, changes, message):
    """R-1.2.1, R-1.2.2, R-1.2.4, R-1.2.5, R-1.2.6, R-1.2.7: Danish message on the field, nothing saved."""
    login(client, admin)
    status, page = post(client, "/admin/caseworker/new/", _valid(**changes))
    assert status == 200
    errors = field_errors(page, field)
    assert any(message in error for error in errors), errors
    assert _count() == 0
    assert not db.session.scalar(select(func.count(AuditEntry.id)))


def test_r_1_2_2_a_fasit_guid_instead_of_a_rid(client, admin):
    login(client, admin)
    status, _ = post(client, "/admin/caseworker/new/",
                     _valid(rid="", guid="{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"))
    assert status == 302
    caseworker = db.session.scalar(select(Caseworker))
    assert (caseworker.rid, caseworker.guid) == (None, "3f2504e0-4f89-11d3-9a0c-0305e82c3301")


def test_r_1_2_3_the_call_in_flag_is_saved(client, admin):
    """R-1.2.3: the flag is saved as ticked and as unticked (a flag always False would pass the
    unticked half alone)."""
    login(client, admin)
    assert post(client, "/admin/caseworker/new/", _valid())[0] == 302
    ticked = db.session.scalar(select(Caseworker))
    assert ticked.can_be_assigned_callins is True
    data = _valid(name="Anna Skovgaard Holm")
    data.pop("can_be_assigned_callins")
    assert post(client, f"/admin/caseworker/edit/?id={ticked.id}", data)[0] == 302
    db.session.expire_all()
    assert ticked.can_be_assigned_callins is False


def test_r_1_2_5_copy_monday_to_all_weekdays(client, admin):
    login(client, admin)
    status, page = post(client, "/admin/caseworker/new/",
                        _valid(copy_monday="1", **week_data({0: ("08:00", "15:00"), 4: ("09:00", "12:00")})))
    assert status == 200 and _count() == 0
    for day in range(5):
        assert f'id="working_time-{day}-start" value="08:00"' in page
        assert f'id="working_time-{day}-end" value="15:00"' in page
    assert 'id="working_time-6-start" value="00:00"' in page


def test_r_1_2_6_copy_breaks_to_the_other_days_and_save_with_short_break_warning(client, admin):
    login(client, admin)
    status, page = post(client, "/admin/caseworker/new/",
                        _valid(copy_breaks="1", copy_breaks_day="0",
                               **breaks_data([(0, "12:00", "12:30"), (0, "14:00", "14:10")])))
    assert status == 200 and _count() == 0
    assert page.count('value="12:00"') == 5 and page.count('value="14:10"') == 5
    # The short break is allowed but flagged.
    assert "Mandag: pausen 14:00–14:10 er under 15 minutter" in page
    rows = [(d, "12:00", "12:30") for d in range(5)] + [(d, "14:00", "14:10") for d in range(5)]
    status, page = post(client, "/admin/caseworker/new/", _valid(**breaks_data(rows)))
    assert status == 302
    page = client.get("/admin/caseworker/").get_data(as_text=True)
    assert "pausen 14:00–14:10 er under 15 minutter og kan ikke vises i kalenderen" in page
    assert db.session.scalar(select(func.count(Break.id))) == 10


def test_r_1_2_6_copy_breaks_from_another_caseworker(client, admin, create_caseworker):
    login(client, admin)
    other = create_caseworker(admin.job_centre, name="Bo Kjærsgaard")
    other.breaks.append(Break(weekday=2, start_time=time(11, 30), end_time=time(12)))
    db.session.commit()
    status, page = post(client, "/admin/caseworker/new/",
                        _valid(copy_breaks_from="1", copy_breaks_caseworker=str(other.id)))
    assert status == 200
    assert 'name="breaks-0-start" value="11:30"' in page
    assert '<option value="2" selected>Onsdag</option>' in page
    assert "Pauserne fra Bo Kjærsgaard er indsat" in page


def test_r_1_2_7_sync_modes_follow_the_job_centres_set_up(client, admin):
    login(client, admin)
    page = client.get("/admin/caseworker/new/").get_data(as_text=True)
    assert ">Tovejs</option>" in page and ">Envejs (FASIT)</option>" not in page
    admin.job_centre.sync_modes = "none,one_way,one_way_fasit"
    db.session.commit()
    page = client.get("/admin/caseworker/new/").get_data(as_text=True)
    assert ">Envejs (FASIT)</option>" in page and ">Tovejs</option>" not in page
    assert post(client, "/admin/caseworker/new/", _valid(sync_mode="one_way_fasit"))[0] == 302


def test_r_1_2_4_edit_keeps_at_least_one_team_and_audits_before_after(client, admin, create_caseworker):
    login(client, admin)
    caseworker = create_caseworker(admin.job_centre, teams=[_team("Ungeindsatsen")], email=ANNA)
    edit = _valid(name="Anna Skovgaard Holm",
                  teams=[_team("Ungeindsatsen").id, _team("Aarhus Jobcenter").id],
                  **week_data({d: ("08:00", "15:00") for d in range(5)}))
    assert post(client, f"/admin/caseworker/edit/?id={caseworker.id}", edit)[0] == 302
    db.session.expire_all()
    assert sorted(t.name for t in caseworker.teams) == ["Aarhus Jobcenter", "Ungeindsatsen"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event == AuditEvent.ADMIN_UPDATED))
    assert "Mandag 07:30-16:00" in entry.before["working_time"]
    assert "Mandag 08:00-15:00" in entry.after["working_time"]
    # The teams, the rule's subject, are in the before/after too.
    assert entry.before["teams"] == ["Ungeindsatsen"]
    assert sorted(entry.after["teams"]) == ["Aarhus Jobcenter", "Ungeindsatsen"]
    status, page = post(client, f"/admin/caseworker/edit/?id={caseworker.id}",
                        _valid(name="Anna Skovgaard Holm", teams=[]))
    assert status == 200 and any("Vælg mindst ét team" in e for e in field_errors(page, "teams"))
    # Kept: the refused edit left both teams and wrote no second change.
    db.session.expire_all()
    assert sorted(t.name for t in caseworker.teams) == ["Aarhus Jobcenter", "Ungeindsatsen"]
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.event == AuditEvent.ADMIN_UPDATED)) == 1


def test_r_1_2_10_delete_asks_and_refuses_with_future_meetings(client, admin, create_caseworker,
                                                                create_booking):
    """R-1.2.10: a caseworker with future meetings cannot be deleted; delete asks first."""
    login(client, admin)
    busy = create_caseworker(admin.job_centre, teams=[_team("Ungeindsatsen")])
    free = create_caseworker(admin.job_centre, teams=[_team("Ungeindsatsen")])
    create_booking([busy], datetime(2030, 3, 5, 9))
    listing = client.get("/admin/caseworker/").get_data(as_text=True)
    # Asks first: each row's delete button confirms, in Danish and naming the row.
    forms = re.findall(r'<form class="icon" method="POST" action="/admin/caseworker/delete/">(.*?)</form>',
                       listing, re.S)
    assert len(forms) == 2
    for form in forms:
        question = json.loads(re.search(r"safeConfirm\((.*?)\);'", form).group(1))
        assert re.fullmatch(r"Slet vejleder »[^«]+«\?", question), question
    page = client.post("/admin/caseworker/delete/", data={"id": busy.id},
                       follow_redirects=True).get_data(as_text=True)
    assert any("har 1 kommende samtaler og kan ikke slettes" in m for m in flashes(page))
    client.post("/admin/caseworker/delete/", data={"id": free.id})
    db.session.expire_all()
    assert db.session.get(Caseworker, busy.id) is not None
    assert db.session.get(Caseworker, free.id) is None


def test_caseworker_details_never_show_the_calendar_feed_secret(client, admin, create_caseworker):
    caseworker = create_caseworker(admin.job_centre, ics_token="hemmelig-feed-noegle-42")
    login(client, admin)
    page = client.get(f"/admin/caseworker/details/?id={caseworker.id}").get_data(as_text=True)
    assert caseworker.name in page and "hemmelig-feed-noegle-42" not in page
