"""Removing a caseworker from a team with future meetings (R-1.2.8, R-1.2.9)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.factories import login
from tests.web.admin_support import field_errors, post, week_data
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, ConversationType, HoldingForm, MeetingForm,
                           MembershipState, OnlineOffer, Role, Team)


@pytest.fixture
def setup(reference_data, create_job_centre, create_user, create_caseworker, create_booking):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    team = db.session.scalar(select(Team).where(Team.name == "Ungeindsatsen"))
    root = db.session.scalar(select(Team).where(Team.name == "Aarhus Jobcenter"))
    leaving = create_caseworker(job_centre, teams=[team, root], name="Anna Holm",
                                email="anna@aarhus.dk", rid="09000137")
    colleague = create_caseworker(job_centre, teams=[team], name="Bo Kjærsgaard")
    free_slot = create_booking([leaving], datetime(2030, 3, 5, 9), team_id=team.id)
    busy_slot = create_booking([leaving], datetime(2030, 3, 5, 10), team_id=team.id)
    create_booking([colleague], datetime(2030, 3, 5, 10), team_id=team.id)
    meeting = dict(job_centre=job_centre, team=team, meeting_form=MeetingForm.INDIVIDUAL,
                   conversation_type=db.session.scalars(select(ConversationType)).first(),
                   holding_form=db.session.scalars(select(HoldingForm)).first(), rolling_end_weeks=4)
    alone = OnlineOffer(name="Kun Anna", caseworkers=[leaving], **meeting)
    shared = OnlineOffer(name="Anna og Bo", caseworkers=[leaving, colleague], **meeting)
    db.session.add_all([alone, shared])
    db.session.commit()
    admin = create_user(Role.ADMINISTRATOR, job_centre)
    return dict(admin=admin, team=team, root=root, leaving=leaving, colleague=colleague,
                free_slot=free_slot, busy_slot=busy_slot, alone=alone, shared=shared)


def _untick_team(client, s) -> str:
    data = {"email": "anna@aarhus.dk", "name": "Anna Holm", "rid": "09000137", "guid": "",
            "initials": "", "phone": "", "can_be_assigned_callins": "y", "sync_mode": "one_way",
            "teams": [s["root"].id], **week_data(), "breaks-0-weekday": "0"}
    response = client.post(f"/admin/caseworker/edit/?id={s['leaving'].id}", data=data)
    assert response.status_code == 302
    return response.location


def test_r_1_2_8_r_1_2_9_continue_to_rebooking(client, setup):
    """R-1.2.8: the two-choice dialog; per meeting only free caseworkers of the team; the rest is
    listed for manual handling. R-1.2.9: an offer left without a team caseworker is deactivated."""
    s = setup
    login(client, s["admin"])
    location = _untick_team(client, s)
    assert f"/admin/caseworker/remove-team/?id={s['leaving'].id}&team_id={s['team'].id}" in location
    dialog = client.get(location).get_data(as_text=True)
    assert "Anna Holm har 2 kommende samtaler for teamet Ungeindsatsen" in dialog
    # Not a bare "saved": the team is left only after the choice below.
    assert ("De øvrige ændringer er gemt. Anna Holm forbliver i Ungeindsatsen, indtil du "
            "nedenfor vælger, hvad der skal ske med møderne.") in dialog
    assert "Post blev gemt" not in dialog
    assert "Fortsæt til ombooking" in dialog and "Luk og behold møder" in dialog
    assert "Kun Anna" in dialog and "Anna og Bo" not in dialog
    response = client.post(location, data={"choice": "rebook"})
    rebook_url = response.location
    page = client.get(rebook_url).get_data(as_text=True)
    free_id, busy_id = s["free_slot"].id, s["busy_slot"].id
    options = re.findall(rf'name="booking-{free_id}"[^>]*>(.*?)</select>', page, re.S)[0]
    assert "Bo Kjærsgaard" in options and "Anna Holm" not in options
    assert f'name="booking-{busy_id}"' not in page
    assert "Ingen vejleder fra teamet er ledig" in page
    result = client.post(rebook_url, data={f"booking-{free_id}": s["colleague"].id}).get_data(as_text=True)
    assert "Bo Kjærsgaard" in result and f"nr. {busy_id}" in result
    assert "skal håndteres manuelt" in result and "Kun Anna" in result
    db.session.expire_all()
    assert [c.id for c in s["free_slot"].caseworkers] == [s["colleague"].id]
    assert [c.id for c in s["busy_slot"].caseworkers] == [s["leaving"].id]
    assert not s["alone"].active and "Anna Holm forlod Ungeindsatsen" in s["alone"].deactivated_reason
    assert s["shared"].active and s["shared"].caseworkers == [s["colleague"]]
    # A meeting is left, so the membership is closed rather than ended.
    states = {m.team_id: m.state for m in s["leaving"].memberships}
    assert states == {s["team"].id: MembershipState.CLOSED_KEEP_MEETINGS, s["root"].id: MembershipState.ACTIVE}
    events = db.session.scalars(select(AuditEntry.event).where(AuditEntry.booking_id == free_id)).all()
    assert AuditEvent.CASEWORKER_DETACHED in events and AuditEvent.CASEWORKER_ATTACHED in events


def test_r_1_2_8_close_and_keep_meetings(client, setup):
    s = setup
    login(client, s["admin"])
    location = _untick_team(client, s)
    response = client.post(location, data={"choice": "keep"})
    assert response.status_code == 302
    db.session.expire_all()
    membership = next(m for m in s["leaving"].memberships if m.team_id == s["team"].id)
    assert membership.state == MembershipState.CLOSED_KEEP_MEETINGS
    assert s["team"] not in s["leaving"].teams
    assert [c.id for c in s["free_slot"].caseworkers] == [s["leaving"].id]
    assert s["alone"].active
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.event == AuditEvent.ADMIN_UPDATED)
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.after["teams"] == ["Aarhus Jobcenter", "Ungeindsatsen (lukket, møder bevaret)"]


def test_r_1_2_8_a_taken_time_is_rechecked_when_rebooking(client, setup, create_booking):
    """The choice offered a moment ago is checked again; a time taken meanwhile goes to manual."""
    s = setup
    login(client, s["admin"])
    location = _untick_team(client, s)
    rebook_url = client.post(location, data={"choice": "rebook"}).location
    client.get(rebook_url)
    create_booking([s["colleague"]], datetime(2030, 3, 5, 9), team_id=s["team"].id)
    result = client.post(rebook_url, data={f"booking-{s['free_slot'].id}": s["colleague"].id})
    page = result.get_data(as_text=True)
    assert f"nr. {s['free_slot'].id}" in page and "skal håndteres manuelt" in page
    db.session.expire_all()
    assert [c.id for c in s["free_slot"].caseworkers] == [s["leaving"].id]


def test_r_1_2_9_a_deactivated_offer_is_reactivated_with_a_team_caseworker(client, setup):
    s = setup
    login(client, s["admin"])
    location = _untick_team(client, s)
    rebook_url = client.post(location, data={"choice": "rebook"}).location
    client.post(rebook_url, data={})
    db.session.expire_all()
    offer = s["alone"]
    assert not offer.active
    data = {"name": offer.name, "team": s["team"].id, "conversation_type": offer.conversation_type_id,
            "holding_form": offer.holding_form_id, "meeting_form": "individual", "active": "y",
            "duration_minutes": "30", "reporting_minutes": "0", "rolling_end_weeks": "4",
            "rebooking_until_days": "1", "variant": "__None", "room": "__None"}
    status, page = post(client, f"/admin/offer/edit/?id={offer.id}", data)
    assert status == 200
    assert any("Tilføj en vejleder fra tilbuddets team" in e for e in field_errors(page, "caseworkers"))
    status, _ = post(client, f"/admin/offer/edit/?id={offer.id}", data | {"caseworkers": [s["colleague"].id]})
    assert status == 302
    db.session.expire_all()
    assert offer.active and offer.deactivated_reason is None


def test_r_0_1_the_new_admin_pages_answer_404_for_another_job_centre(client, setup, create_job_centre,
                                                                    create_user):
    """R-0.1 on the dialog, rebooking, team calendar, template options and collision pages."""
    s = setup
    stranger = create_user(Role.ADMINISTRATOR, create_job_centre("Jobcenter Odense", municipality="Odense"))
    login(client, stranger)
    leaving, team = s["leaving"].id, s["team"].id
    for url in (f"/admin/caseworker/remove-team/?id={leaving}&team_id={team}",
                f"/admin/caseworker/rebook/?id={leaving}&team_id={team}",
                f"/admin/teamcalendar/?team_id={team}",
                f"/admin/callintemplate/team-options/?team_id={team}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/admin/caseworker/rebook/?id={leaving}&team_id={team}",
                       data={f"booking-{s['free_slot'].id}": s["colleague"].id}).status_code == 404
    db.session.expire_all()
    assert [c.id for c in s["free_slot"].caseworkers] == [leaving]
