"""A room is used only by the teams linked to it (R-1.4.2): call-ins and online offers refuse
another team's room in the service, so the workspace, the admin and every other caller do."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.web.admin_support import field_errors, post
from tests.workspace_setup import NOW, PASSWORD, build_workspace
from webapp.callins import lifecycle
from webapp.callins.calling import create_callins, from_template
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import Booking, CallIn, MeetingForm, OnlineOffer, Room
from webapp.selfbooking import offers

DANISH = "er ikke knyttet til teamet"


@pytest.fixture
def ws(app, reference_data):
    ws = build_workspace()
    root = next(t for t in ws.job_centre.teams if t.parent_id is None)
    # A room of the job centre that only the top team may use, not the caseworkers' team.
    ws.extra["canteen"] = Room(job_centre=ws.job_centre, name="Kantinen", capacity=20,
                               usable_for_callins=True, teams=[root])
    db.session.add(ws.extra["canteen"])
    db.session.commit()
    return ws


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_call_in_with_another_teams_room_is_refused_R_1_4_2(ws):
    """R-1.4.2: the call-in service refuses a room not linked to the call-in's team, in Danish and
    English with the room and the team named, and saves nothing."""
    data = replace(from_template(ws.templates["auto"], today=NOW.date()), cprs=[ws.citizens[0].cpr],
                   room_id=ws.extra["canteen"].id)
    with pytest.raises(DomainError) as caught:
        create_callins(data, now=NOW, actor=ws.user)
    error = caught.value
    assert error.code == "room_not_for_team" and error.field == "room_id"
    assert error.message_da == (f"Mødelokalet »Kantinen« er ikke knyttet til teamet »{ws.team.name}«. "
                                "Vælg et af teamets lokaler, eller knyt lokalet til teamet under "
                                "Mødelokaler.")
    assert "is not linked to the team" in error.message_en
    db.session.rollback()
    assert (_count(CallIn), _count(Booking)) == (0, 0)
    # The team's own room is fine.
    create_callins(replace(data, room_id=ws.small_room.id), now=NOW, actor=ws.user)
    assert _count(CallIn) == 1


def test_editing_a_waiting_call_in_to_another_teams_room_is_refused_R_1_4_2(ws):
    """R-1.4.2: the waiting list's edit goes through the same check; the call-in keeps its room."""
    data = replace(from_template(ws.templates["auto"], today=NOW.date()), cprs=[ws.citizens[0].cpr])
    callin = create_callins(data, now=NOW, actor=ws.user).callins[0]
    db.session.commit()
    changes = lifecycle.CallInChanges(
        earliest_date=callin.earliest_date, deadline_date=callin.deadline_date,
        priority=callin.priority, team_id=callin.team_id,
        caseworker_ids=[cw.id for cw in callin.caseworkers], room_id=ws.extra["canteen"].id,
        duration_minutes=callin.duration_minutes)
    with pytest.raises(DomainError, match="Kantinen"):
        lifecycle.edit_waiting(callin, changes, today=NOW.date(), actor=ws.user)
    db.session.rollback()
    assert db.session.get(CallIn, callin.id).room_id is None


def test_the_workspace_call_in_form_says_so_in_danish_R_1_4_2(client, ws):
    """R-1.4.2: the caseworker's call-in form shows the Danish message and calls nobody in."""
    login(client, ws.user, PASSWORD)
    template = ws.templates["auto"]
    response = client.post("/caseworker/callins/new", data={
        "cprs": ws.citizens[0].cpr, "team_id": str(ws.team.id),
        "caseworker_ids": str(ws.anna.id), "duration_minutes": "30",
        "conversation_type_id": str(template.conversation_type_id),
        "holding_form_id": str(template.holding_form_id), "meeting_form": "individual",
        "deadline_mode": "days_after_creation", "deadline_days": "14",
        "distribution": "automatic", "room_id": str(ws.extra["canteen"].id)})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Mødelokalet »Kantinen« er ikke knyttet til teamet" in page
    assert _count(CallIn) == 0


def test_an_offer_from_a_template_whose_room_left_the_team_is_refused_R_1_4_2(client, ws):
    """R-1.4.2: a template keeps a room that was linked to its team when it was saved; once the
    room is no longer the team's, an offer made from it is refused, in the service and on the
    workspace's offer page."""
    template = ws.templates["fixed"]
    template.room.teams = [next(t for t in ws.job_centre.teams if t.parent_id is None)]
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        offers.offer_from_template(template, name="Tilbud med fremmed lokale", actor=ws.user,
                                   rolling_end_weeks=2)
    assert caught.value.code == "room_not_for_team"
    db.session.rollback()
    login(client, ws.user, PASSWORD)
    response = client.post("/caseworker/offers/new", data={
        "template_id": template.id, "name": "Tilbud med fremmed lokale", "rolling_end_weeks": "2",
        "active": "on"})
    assert "Mødelokalet »Mødelokale 1« er ikke knyttet til teamet" in response.get_data(as_text=True)
    assert _count(OnlineOffer) == 0


def test_the_admin_offer_form_refuses_another_teams_room_R_1_4_2(client, ws):
    """R-1.4.2: the admin's offer form shows the message on the room field and keeps the offer."""
    offer = offers.offer_from_template(ws.templates["auto"], name="Åbent tilbud", actor=ws.user,
                                       rolling_end_weeks=4)
    db.session.commit()
    login(client, ws.admin, PASSWORD)
    data = {"name": offer.name, "team": ws.team.id, "conversation_type": offer.conversation_type_id,
            "holding_form": offer.holding_form_id, "meeting_form": MeetingForm.INDIVIDUAL.value,
            "active": "y", "duration_minutes": "30", "reporting_minutes": "0",
            "rolling_end_weeks": "4", "rebooking_until_days": "1", "variant": "__None",
            "caseworkers": [ws.anna.id], "room": ws.extra["canteen"].id}
    status, page = post(client, f"/admin/offer/edit/?id={offer.id}", data)
    assert status == 200
    assert any(DANISH in error for error in field_errors(page, "room")), field_errors(page, "room")
    db.session.expire_all()
    assert db.session.get(OnlineOffer, offer.id).room_id is None
    status, _ = post(client, f"/admin/offer/edit/?id={offer.id}", data | {"room": ws.small_room.id})
    assert status == 302
    db.session.expire_all()
    assert db.session.get(OnlineOffer, offer.id).room_id == ws.small_room.id
