"""The workspace's waiting list: filters, days waited, bulk actions, editing a call-in (R-6.2)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.integration.planning_support import make_callin
from tests.workspace_setup import NOW, PASSWORD, build_workspace
from webapp.extensions import db
from webapp.models import AuditEntry, CallIn, CallInStatus

TODAY = NOW.date()


@pytest.fixture
def wl(app, reference_data, monkeypatch, create_booking):
    monkeypatch.setattr("webapp.caseworker.waiting.today_local", lambda: TODAY)
    ws = build_workspace()
    near = make_callin(ws.team, ws.citizens[0], [ws.anna], earliest=TODAY,
                       deadline=TODAY + timedelta(days=3), created_at=datetime.combine(
                           TODAY - timedelta(days=12), datetime.min.time()))
    far = make_callin(ws.team, ws.citizens[1], [ws.bo], earliest=TODAY,
                      deadline=TODAY + timedelta(days=30), created_at=datetime.combine(
                          TODAY - timedelta(days=2), datetime.min.time()))
    placed = make_callin(ws.team, ws.citizens[2], [ws.anna], earliest=TODAY,
                         deadline=TODAY + timedelta(days=20))
    placed.booking_id = create_booking([ws.anna], datetime.combine(
        TODAY + timedelta(days=3), datetime.min.time()).replace(hour=9), team_id=ws.team.id).id
    placed.status = CallInStatus.PLACED
    db.session.commit()
    login(app.test_client(), ws.user, PASSWORD)
    return dict(ws=ws, near=near, far=far, placed=placed)


def _client(app, user):
    client = app.test_client()
    login(client, user, PASSWORD)
    return client


def _state(*callins):
    db.session.expire_all()
    return [(c.status, c.priority, c.deadline_date) for c in
            (db.session.get(CallIn, x.id) for x in callins)]


def _audits() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "CallIn"))


def test_r_6_2_waiting_list_shows_days_waited_and_marks_near_deadlines(app, wl):
    page = _client(app, wl["ws"].user).get("/caseworker/waiting").get_data(as_text=True)
    near_row = page.split(f'name="callin_ids" value="{wl["near"].id}"', 1)[1].split("</tr>", 1)[0]
    far_row = page.split(f'name="callin_ids" value="{wl["far"].id}"', 1)[1].split("</tr>", 1)[0]
    assert "<td>12</td>" in near_row and "<td>2</td>" in far_row
    assert "Frist snart" in near_row and "Frist snart" not in far_row
    assert wl["ws"].citizens[2].name not in page  # placed: not waiting


def test_r_6_2_deadline_warning_follows_the_setting(app, wl):
    app.config["PLANNER_DEADLINE_WARNING_DAYS"] = 30
    page = _client(app, wl["ws"].user).get("/caseworker/waiting").get_data(as_text=True)
    far_row = page.split(f'name="callin_ids" value="{wl["far"].id}"', 1)[1].split("</tr>", 1)[0]
    assert "Frist snart" in far_row


def test_r_6_2_filters_and_sorting(app, wl):
    client = _client(app, wl["ws"].user)
    names = [c.name for c in wl["ws"].citizens[:2]]

    def shown(query):
        page = client.get("/caseworker/waiting?" + query).get_data(as_text=True)
        return [n for n in names if n in page], page
    assert shown(f"caseworker={wl['ws'].bo.id}")[0] == [names[1]]
    assert shown("min_days=10")[0] == [names[0]]
    assert shown(f"deadline_by={(TODAY + timedelta(days=5)).isoformat()}")[0] == [names[0]]
    page = shown("sort=days_waited")[1]
    assert page.index(names[0]) < page.index(names[1])
    placed = shown("status=placed")[1]
    assert f'/caseworker/bookings/{wl["placed"].booking_id}' in placed


@pytest.mark.parametrize("query, message", [
    ("status=nope", "Vælg en status"), ("sort=cpr", "Vælg en sortering"),
    ("team=abc", "Team skal være et helt tal"), (f"team={2**70}", "Team skal være et helt tal"),
    ("min_days=-1", "Dage ventet skal være et helt tal"), ("deadline_by=31-12-2030", "åååå-mm-dd"),
])
def test_r_6_2_a_bad_filter_is_a_danish_message(app, wl, query, message):
    response = _client(app, wl["ws"].user).get("/caseworker/waiting?" + query)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_r_6_2_another_job_centres_team_is_refused(app, wl):
    other = build_workspace("Jobcenter Andetby", cprs=["1111901111"])
    response = _client(app, wl["ws"].user).get(f"/caseworker/waiting?team={other.team.id}")
    assert response.status_code == 400 and "Teamet findes ikke" in response.get_data(as_text=True)


def test_r_6_2_bulk_withdraw_with_reason_in_one_transaction(app, wl):
    client = _client(app, wl["ws"].user)
    response = client.post("/caseworker/waiting/actions", data={
        "callin_ids": [wl["near"].id, wl["far"].id], "action": "withdraw", "reason": "Flyttet"},
        follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "2 indkaldelser trukket tilbage" in page and wl["ws"].citizens[0].name in page
    assert [s for s, _, _ in _state(wl["near"], wl["far"])] == [CallInStatus.CANCELLED] * 2


def test_r_6_2_bulk_priority(app, wl):
    client = _client(app, wl["ws"].user)
    page = client.post("/caseworker/waiting/actions", data={
        "callin_ids": [wl["near"].id, wl["far"].id], "action": "priority", "priority": "7"},
        follow_redirects=True).get_data(as_text=True)
    assert "Prioritet sat til 7" in page
    assert [p for _, p, _ in _state(wl["near"], wl["far"])] == [7, 7]


@pytest.mark.parametrize("data, message", [
    ({"action": "withdraw", "reason": ""}, "Skriv en begrundelse"),
    ({"action": "priority", "priority": "0"}, "Prioritet"),
    ({"action": "priority", "priority": str(2**70)}, "Prioritet"),
    ({"action": "explode"}, "Vælg en handling"),
    ({"action": "withdraw", "reason": "x", "callin_ids": ["999999"]}, "findes ikke"),
    ({"action": "withdraw", "reason": "x", "callin_ids": [str(2**70)]}, "Skriv et helt tal"),
    ({"action": "withdraw", "reason": "x", "callin_ids": []}, "Vælg mindst én"),
])
def test_r_6_2_bad_bulk_input_changes_nothing(app, wl, data, message):
    before, audits = _state(wl["near"], wl["far"], wl["placed"]), _audits()
    payload = {"callin_ids": [wl["near"].id, wl["far"].id]} | data
    page = _client(app, wl["ws"].user).post("/caseworker/waiting/actions", data=payload,
                                            follow_redirects=True).get_data(as_text=True)
    assert message in page and "flash-error" in page
    assert _state(wl["near"], wl["far"], wl["placed"]) == before and _audits() == audits


def test_r_6_2_another_job_centres_callin_and_a_placed_one_change_nothing(app, wl):
    other = build_workspace("Jobcenter Andetby", cprs=["1111901111"])
    foreign = make_callin(other.team, other.citizens[0], [other.anna], earliest=TODAY,
                          deadline=TODAY + timedelta(days=9))
    client = _client(app, wl["ws"].user)
    for ids, message in (([wl["near"].id, foreign.id], f"nr. {foreign.id} findes ikke"),
                         ([wl["near"].id, wl["placed"].id], "afventer ikke længere")):
        page = client.post("/caseworker/waiting/actions", data={
            "callin_ids": ids, "action": "withdraw", "reason": "x"},
            follow_redirects=True).get_data(as_text=True)
        assert message in page
    assert _state(wl["near"], foreign)[0][0] == CallInStatus.WAITING
    assert _state(foreign)[0][0] == CallInStatus.WAITING
    assert client.get(f"/caseworker/callins/{foreign.id}/edit").status_code == 404


def _edit_form(wl, **changes):
    c = wl["near"]
    form = {"earliest_date": c.earliest_date.isoformat(), "deadline_date": c.deadline_date.isoformat(),
            "priority": "1", "duration_minutes": "30", "team_id": str(wl["ws"].team.id),
            "caseworker_ids": [str(wl["ws"].anna.id)], "room_id": "", "description": ""}
    return form | changes


def test_r_6_2_editing_a_waiting_callin_is_audited(app, wl):
    client = _client(app, wl["ws"].user)
    assert client.get(f"/caseworker/callins/{wl['near'].id}/edit").status_code == 200
    new_deadline = (TODAY + timedelta(days=20)).isoformat()
    page = client.post(f"/caseworker/callins/{wl['near'].id}/edit", data=_edit_form(
        wl, deadline_date=new_deadline, priority="5", caseworker_ids=[str(wl["ws"].bo.id)]),
        follow_redirects=True).get_data(as_text=True)
    assert "frist" in page and "prioritet" in page and "vejledere" in page
    db.session.expire_all()
    callin = db.session.get(CallIn, wl["near"].id)
    assert callin.deadline_date == date.fromisoformat(new_deadline) and callin.priority == 5
    assert [cw.id for cw in callin.caseworkers] == [wl["ws"].bo.id]
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "CallIn", AuditEntry.object_id == str(callin.id))).one()
    assert entry.user_id == wl["ws"].user.id


@pytest.mark.parametrize("changes, message", [
    ({"deadline_date": (TODAY - timedelta(days=1)).isoformat()}, "ligger før tidligste"),
    ({"earliest_date": (TODAY - timedelta(days=1)).isoformat()}, "kan ikke ligge i fortiden"),
    ({"deadline_date": "i morgen"}, "åååå-mm-dd"),
    ({"priority": "0"}, "Prioritet"), ({"priority": str(2**70)}, "Prioritet"),
    ({"caseworker_ids": []}, "Vælg mindst én vejleder"),
    ({"caseworker_ids": ["999999"]}, "Ukendt vejleder"),
    ({"team_id": "999999"}, "Vælg et team"),
    ({"duration_minutes": "0"}, "Varigheden skal være mellem 1 og 480"),
])
def test_r_6_2_a_bad_edit_changes_nothing(app, wl, changes, message):
    before, audits = _state(wl["near"]), _audits()
    response = _client(app, wl["ws"].user).post(f"/caseworker/callins/{wl['near'].id}/edit",
                                                data=_edit_form(wl, **changes))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _state(wl["near"]) == before and _audits() == audits


def test_r_6_2_a_placed_callin_cannot_be_edited(app, wl):
    response = _client(app, wl["ws"].user).post(f"/caseworker/callins/{wl['placed'].id}/edit",
                                                data=_edit_form(wl))
    assert response.status_code == 400 and "afventer ikke længere" in response.get_data(as_text=True)


def test_r_6_2_admin_waiting_list_shows_waiting_callins_by_default_with_the_citizen(app, wl):
    """R-6.2: *Afventerliste* opens on the waiting call-ins, with name and masked CPR; the
    filter reaches the placed ones."""
    client = _client(app, wl["ws"].admin)
    response = client.get("/admin/callin/")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    near, placed = wl["ws"].citizens[0], wl["ws"].citizens[2]
    assert f"{near.name} ({near.masked_cpr})" in page and placed.name not in page
    assert near.cpr not in page
    others = client.get(response.headers["Location"].replace("=waiting", "=placed")).get_data(as_text=True)
    assert f"{placed.name} ({placed.masked_cpr})" in others and near.name not in others
    everyone = client.get(response.headers["Location"].replace("=waiting", "=all")).get_data(as_text=True)
    assert near.name in everyone and placed.name in everyone


def test_r_6_2_withdraw_says_which_citizens_were_sent_a_letter_and_why_not(app, wl):
    """R-6.2: the page says in Danish who was told by letter and, for the others, why not."""
    ws = wl["ws"]
    wl["near"].variant_id, wl["near"].conversation_type_id = ws.variant.id, ws.types[7].id
    db.session.commit()
    client = _client(app, ws.user)
    page = client.post("/caseworker/waiting/actions", data={
        "callin_ids": [wl["near"].id, wl["far"].id], "action": "withdraw", "reason": "Flyttet"},
        follow_redirects=True).get_data(as_text=True)
    near, far = f"nr. {wl['near'].id} ({ws.citizens[0].name})", f"nr. {wl['far'].id} ({ws.citizens[1].name})"
    assert f"Der er sendt et brev på e-mail for {near}." in page
    assert (f"Der er ikke sendt brev for {far}: indkaldelsens variant har ingen brevregel for "
            "aflysning.") in page
