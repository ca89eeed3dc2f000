"""Leaving a team leaves its offers and its waiting call-ins in the same transaction (R-6.6)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import delete, select

from tests.factories import login
from tests.integration.planning_support import make_callin
from tests.web.admin_support import week_data
from webapp.administration import caseworkers as caseworker_service
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, CallIn, ConversationType, HoldingForm,
                           MeetingForm, OnlineOffer, Role, Team, TeamMembership)
from webapp.planning import instance
from webapp.selfbooking import slots as slot_service

NOW = datetime(2030, 3, 1, 8, 0)   # a Friday; slots from Monday 4 March on
FIRST, LAST = date(2030, 3, 4), date(2030, 3, 8)


@pytest.fixture
def setup(reference_data, create_job_centre, create_user, create_caseworker, create_citizen):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    team = db.session.scalar(select(Team).where(Team.name == "Ungeindsatsen"))
    root = db.session.scalar(select(Team).where(Team.name == "Aarhus Jobcenter"))
    leaving = create_caseworker(job_centre, teams=[team, root], name="Anna Holm",
                                email="anna@aarhus.dk", rid="09000137")
    colleague = create_caseworker(job_centre, teams=[team], name="Bo Kjærsgaard")
    meeting = dict(job_centre=job_centre, team=team, meeting_form=MeetingForm.INDIVIDUAL,
                   conversation_type=db.session.scalars(select(ConversationType)).first(),
                   holding_form=db.session.scalars(select(HoldingForm)).first(), rolling_end_weeks=4)
    alone = OnlineOffer(name="Kun Anna", caseworkers=[leaving], **meeting)
    shared = OnlineOffer(name="Anna og Bo", caseworkers=[leaving, colleague], **meeting)
    elsewhere = OnlineOffer(name="Rodteamets tilbud", caseworkers=[leaving],
                            **(meeting | {"team": root}))
    db.session.add_all([alone, shared, elsewhere])
    db.session.commit()
    citizens = [create_citizen(job_centre) for _ in range(3)]
    window = dict(earliest=date(2030, 3, 4), deadline=date(2030, 3, 15))
    only_her = make_callin(team, citizens[0], [leaving], **window)
    both = make_callin(team, citizens[1], [leaving, colleague], **window)
    root_callin = make_callin(root, citizens[2], [leaving], **window)
    admin = create_user(Role.ADMINISTRATOR, job_centre)
    return dict(admin=admin, job_centre=job_centre, team=team, root=root, leaving=leaving,
                colleague=colleague, alone=alone, shared=shared, elsewhere=elsewhere,
                only_her=only_her, both=both, root_callin=root_callin)


def _edit_data(s, teams) -> dict:
    return {"email": "anna@aarhus.dk", "name": "Anna Holm", "rid": "09000137", "guid": "",
            "initials": "", "phone": "", "can_be_assigned_callins": "y", "sync_mode": "one_way",
            "teams": [t.id for t in teams], **week_data(), "breaks-0-weekday": "0"}


def _offered(offer: OnlineOffer, caseworker_id: int) -> bool:
    return any(caseworker_id in slot.caseworker_ids
               for slot in slot_service.list_slots(offer, now=NOW, first=FIRST, last=LAST))


def _callin_caseworkers(callin: CallIn) -> set[int]:
    return {cw.id for cw in db.session.get(CallIn, callin.id).caseworkers}


def _instance_caseworkers(job_centre_id: int) -> tuple[dict, set[str]]:
    prepared = instance.prepare(job_centre_id, now=NOW, horizon_days=14)
    meetings = {m["id"]: set(m["caseworkers"]) for m in prepared.document["meetings"]}
    return meetings, {cw["id"] for cw in prepared.document["caseworkers"]}


def test_r_6_6_leaving_a_team_leaves_its_offers_and_waiting_callins(client, setup):
    """R-6.6, R-1.2.9: without future meetings the team is left at once, and with it the team's
    offers (one left without a caseworker is deactivated, the administrator told in Danish) and
    the candidates of the team's waiting call-ins; no slot listing offers her there any more."""
    s = setup
    leaving = s["leaving"].id
    assert _offered(s["shared"], leaving) and _offered(s["alone"], leaving)
    login(client, s["admin"])
    response = client.post(f"/admin/caseworker/edit/?id={leaving}", data=_edit_data(s, [s["root"]]),
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("Online tilbuddet Kun Anna er deaktiveret: der er ingen vejleder fra Ungeindsatsen "
            "tilbage på det. Tilføj en vejleder fra teamet for at aktivere det igen.") in page
    assert "Anna Holm er fjernet fra online tilbuddene for Ungeindsatsen: Anna og Bo, Kun Anna." in page
    assert "Anna Holm er ikke længere vejleder på 2 afventende indkaldelser for Ungeindsatsen." in page
    db.session.expire_all()
    assert {m.team_id for m in s["leaving"].memberships} == {s["root"].id}
    alone, shared, elsewhere = s["alone"], s["shared"], s["elsewhere"]
    assert not alone.active and "Anna Holm forlod Ungeindsatsen" in alone.deactivated_reason
    assert alone.caseworkers == [] and shared.caseworkers == [s["colleague"]]
    assert shared.active
    assert elsewhere.caseworkers == [s["leaving"]] and elsewhere.active  # another team's offer
    # No slot listing (the portal's and the API's service) offers her on the team's offers.
    assert not _offered(shared, leaving) and not _offered(alone, leaving)
    assert slot_service.list_slots(alone, now=NOW, first=FIRST, last=LAST) == []
    assert _offered(shared, s["colleague"].id) and _offered(elsewhere, leaving)
    # The team's waiting call-ins no longer name her; the root team's still does.
    assert _callin_caseworkers(s["only_her"]) == set()
    assert _callin_caseworkers(s["both"]) == {s["colleague"].id}
    assert _callin_caseworkers(s["root_callin"]) == {leaving}
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.event == AuditEvent.ADMIN_UPDATED, AuditEntry.object_type == "CallIn")).all()
    assert {(e.object_id, e.citizen_id) for e in entries} == {
        (str(s["only_her"].id), s["only_her"].citizen_id), (str(s["both"].id), s["both"].citizen_id)}
    both = next(e for e in entries if e.object_id == str(s["both"].id))
    assert (both.before, both.after) == ({"caseworkers": ["Anna Holm", "Bo Kjærsgaard"]},
                                         {"caseworkers": ["Bo Kjærsgaard"]})
    # The optimiser's instance: the team's call-ins go to the team's remaining caseworker.
    meetings, _ = _instance_caseworkers(s["job_centre"].id)
    assert meetings[f"m{s['only_her'].id}"] == {f"cw{s['colleague'].id}"}
    assert meetings[f"m{s['both'].id}"] == {f"cw{s['colleague'].id}"}
    assert meetings[f"m{s['root_callin'].id}"] == {f"cw{leaving}"}


def test_r_6_6_a_refused_save_leaves_offers_and_callins_as_they_were(client, setup):
    """R-6.6: one transaction. A save refused after the team was unticked changes nothing."""
    s = setup
    login(client, s["admin"])
    data = _edit_data(s, [s["root"]]) | {"working_time-0-start": "16:00", "working_time-0-end": "08:00"}
    response = client.post(f"/admin/caseworker/edit/?id={s['leaving'].id}", data=data)
    assert response.status_code == 200
    db.session.expire_all()
    assert {m.team_id for m in s["leaving"].memberships} == {s["team"].id, s["root"].id}
    assert s["alone"].active and s["alone"].caseworkers == [s["leaving"]]
    assert len(s["shared"].caseworkers) == 2
    assert _callin_caseworkers(s["only_her"]) == {s["leaving"].id}
    assert not db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "CallIn")).all()


def test_r_6_6_the_instance_only_considers_members_of_the_callins_team(setup):
    """R-6.6: a call-in that still names a former member (ended outside the admin, e.g. by an
    older version) never sends her to the optimiser; with no member left it is not sent."""
    s = setup
    db.session.execute(delete(TeamMembership).where(TeamMembership.caseworker_id == s["leaving"].id,
                                                    TeamMembership.team_id == s["team"].id))
    db.session.commit()
    prepared = instance.prepare(s["job_centre"].id, now=NOW, horizon_days=14)
    meetings = {m["id"]: set(m["caseworkers"]) for m in prepared.document["meetings"]}
    assert meetings[f"m{s['both'].id}"] == {f"cw{s['colleague'].id}"}
    assert f"m{s['only_her'].id}" not in meetings
    code, reason = prepared.not_sent[s["only_her"].id]
    assert code == "no_caseworker" and "stadig på teamet" in reason
    assert meetings[f"m{s['root_callin'].id}"] == {f"cw{s['leaving'].id}"}


def test_r_6_6_closing_with_meetings_kept_leaves_the_waiting_callins(setup, create_booking):
    """R-6.6 with R-1.2.8: "close and keep meetings" keeps her meetings and offers for them but
    gives her no new ones: she leaves the team's waiting call-ins."""
    s = setup
    create_booking([s["leaving"]], datetime(2030, 3, 5, 9), team_id=s["team"].id)
    caseworker_service.close_keep_meetings(s["leaving"], s["team"], actor=s["admin"])
    db.session.commit()
    db.session.expire_all()
    assert _callin_caseworkers(s["only_her"]) == set()
    assert _callin_caseworkers(s["both"]) == {s["colleague"].id}
    assert _callin_caseworkers(s["root_callin"]) == {s["leaving"].id}
    assert s["alone"].active and s["alone"].caseworkers == [s["leaving"]]
    meetings, _ = _instance_caseworkers(s["job_centre"].id)
    assert f"cw{s['leaving'].id}" not in meetings[f"m{s['both'].id}"]
