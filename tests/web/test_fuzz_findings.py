"""What the form fuzzing (test_form_fuzz.py) found, each pinned by a focused test (R-7.4)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.web.admin_support import breaks_data, field_errors, post, week_data
from webapp.extensions import db
from webapp.clock import now_local
from webapp.models import (Booking, Break, CallIn, Caseworker, ConversationType, HoldingForm,
                           Role)


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    return create_user(Role.ADMINISTRATOR, job_centre)


def _caseworker_form(admin, **changes: object) -> dict:
    team = next(t for t in admin.job_centre.teams if t.name == "Ungeindsatsen")
    return {"email": "anna@demo-jobcenter.dk", "name": "", "initials": "ASH", "rid": "09000137",
            "sync_mode": "one_way", "teams": [team.id], **week_data(),
            **breaks_data([(0, "12:00", "12:30")])} | changes


@pytest.mark.parametrize("day", ["31.12.9999", "½", "x", "", "7", "-1", str(2**70)])
def test_r_7_4_copy_breaks_from_a_day_that_is_no_weekday_is_refused_in_danish(client, admin, day):
    """R-7.4: "copy the breaks to the other days" with a day that is no weekday (0-6) says so on
    the breaks and keeps them, instead of a 500 (a non-number) or wiping every day's breaks (7)."""
    login(client, admin)
    status, page = post(client, "/admin/caseworker/new/",
                        _caseworker_form(admin, copy_breaks="1", copy_breaks_day=day))
    assert status == 200
    assert field_errors(page, "breaks") == ["Vælg den ugedag, pauserne skal kopieres fra."]
    assert page.count('value="12:30"') == 1  # Monday's break kept, not copied, not wiped
    assert db.session.scalar(select(func.count(Caseworker.id))) == 0


@pytest.mark.parametrize("other", ["abc", str(2**70), "-1", "999999"])
def test_r_7_4_copy_breaks_from_an_unknown_caseworker_is_404_not_500(client, admin, other):
    """R-7.4: "copy the breaks of another caseworker" naming no caseworker of the job centre
    (text, a number beyond any key, an unknown id) is 404, never a server error."""
    login(client, admin)
    response = client.post("/admin/caseworker/new/",
                           data=_caseworker_form(admin, copy_breaks_from="1",
                                                 copy_breaks_caseworker=other))
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(Break.id))) == 0


def test_copy_breaks_still_copies_a_weekday(client, admin):
    """The good path stays: Monday's break goes to the other working days (R-1.2.6)."""
    login(client, admin)
    status, page = post(client, "/admin/caseworker/new/",
                        _caseworker_form(admin, copy_breaks="1", copy_breaks_day="0"))
    assert status == 200 and page.count('value="12:30"') == 5


# --- the workspace's call-in form and meeting move -------------------------------------

@pytest.fixture
def workspace(admin, create_caseworker, create_citizen, create_booking):
    team = next(t for t in admin.job_centre.teams if t.name == "Ungeindsatsen")
    caseworker = create_caseworker(admin.job_centre, teams=[team])
    citizen = create_citizen(admin.job_centre)
    monday = now_local().date() + timedelta(days=14 - now_local().weekday())
    booking = create_booking([caseworker], datetime.combine(monday, time(10)), citizens=[citizen],
                             now=now_local())
    return {"team": team, "caseworker": caseworker, "booking": booking,
            "citizen": create_citizen(admin.job_centre)}  # one without a meeting, to call in


def _call_in(workspace) -> dict[str, str]:
    """A call-in form that is good as it stands (the test then spoils one field)."""
    return {"cprs": workspace["citizen"].cpr, "team_id": str(workspace["team"].id),
            "caseworker_ids": str(workspace["caseworker"].id), "duration_minutes": "30",
            "conversation_type_id": str(db.session.scalars(select(ConversationType.id)).first()),
            "holding_form_id": str(db.session.scalars(select(HoldingForm.id)).first()),
            "meeting_form": "individual", "deadline_mode": "days_after_creation", "deadline_days": "14",
            "distribution": "automatic"}


def test_the_good_call_in_form_calls_the_citizen_in(client, admin, workspace):
    """The form the tests below spoil is good as it stands: the citizen is called in."""
    login(client, admin)
    response = client.post("/caseworker/callins/new", data=_call_in(workspace))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert db.session.scalar(select(func.count(CallIn.id))) == 1


def test_the_call_in_result_agrees_with_its_number_R_8_3(client, admin, workspace):
    """R-8.3: one citizen is "1 borger", not "1 borgere"."""
    login(client, admin)
    page = client.post("/caseworker/callins/new", data=_call_in(workspace),
                       follow_redirects=True).get_data(as_text=True)
    assert "1 borger indkaldt" in page and "1 borgere" not in page and "1 samtaler" not in page


@pytest.mark.parametrize("field", ["duration_minutes", "reporting_minutes", "deadline_days", "team_id",
                                   "room_id", "template_id"])
@pytest.mark.parametrize("value", ["²", "١٢", str(2**70)])
def test_r_7_4_call_in_form_refuses_a_number_it_cannot_read_in_danish(client, admin, workspace,
                                                                      field, value):
    """R-7.4: a number field of the workspace's call-in form holding a digit int() cannot read
    ("²"), another script's digits or a number beyond the database's integer is refused with a
    Danish message, never a 500, and nobody is called in."""
    login(client, admin)
    data = _call_in(workspace) | {field: value}
    response = client.post("/caseworker/callins/new", data=data)
    assert response.status_code == 400
    assert "Skriv et helt tal" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CallIn.id))) == 0


@pytest.mark.parametrize("value", ["²", str(2**70)])
def test_r_7_4_call_in_form_ignores_caseworker_ids_that_are_no_ids(client, admin, workspace, value):
    """R-7.4: a caseworker choice that is no id ("²", beyond the database's integer) is no
    caseworker: the form says which caseworkers to choose, never a 500."""
    login(client, admin)
    data = _call_in(workspace) | {"caseworker_ids": value}
    response = client.post("/caseworker/callins/new", data=data)
    assert response.status_code == 400
    assert "Vælg mindst én vejleder." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CallIn.id))) == 0


def test_r_7_4_moving_a_meeting_to_a_proposal_that_names_no_caseworker_id_is_refused(client, admin,
                                                                                       workspace):
    """R-7.4: a move proposal whose caseworker part is no id ("²", which str.isdigit() takes and
    int() refuses) is refused with a Danish message on the meeting's page, never a 500; the
    meeting stays where it was."""
    booking_id, starts_at = workspace["booking"].id, workspace["booking"].starts_at
    login(client, admin)
    response = client.post(f"/caseworker/bookings/{booking_id}/move",
                           data={"proposal": "2030-03-04T09:00|²"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Vælg et af forslagene." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).starts_at == starts_at
