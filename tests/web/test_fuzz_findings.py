"""What the form fuzzing (test_form_fuzz.py) found, each pinned by a focused test (R-7.4)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.web.admin_support import breaks_data, field_errors, post, week_data
from webapp.extensions import db
from webapp.models import Break, Caseworker, Role


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
