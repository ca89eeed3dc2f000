"""Planlægning in the admin: recent runs and the CSRF-protected "Planlæg nu" button (R-3.2, R-0.1, R-1.10.1)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.factories import PASSWORD, login
from tests.integration.planning_support import make_callin
from tests.web.admin_support import flashes
from webapp.clock import today_local
from webapp.extensions import db
from webapp.models import Booking, CallIn, CallInStatus, Role, SystemLogEntry, User
from webapp.planning.lock import allocation_lock


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _login(client: FlaskClient, user: User) -> None:
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


def _bookings() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


@pytest.fixture
def waiting(reference_data, create_job_centre, create_caseworker, create_citizen):
    """A job centre with two call-ins waiting from tomorrow on."""
    job_centre = create_job_centre()
    team = job_centre.teams[0]
    caseworker = create_caseworker(job_centre, [team], name="Alma Andersen")
    tomorrow = today_local() + timedelta(days=1)
    callins = [make_callin(team, create_citizen(job_centre), [caseworker], earliest=tomorrow,
                           deadline=tomorrow + timedelta(days=21)) for _ in range(2)]
    return job_centre, callins


def test_r_3_2_administrator_plans_now_from_the_admin(csrf_app, waiting, create_user):
    """R-3.2: "Planlæg nu" runs the allocation for the administrator's job centre; R-1.10.1: the run is listed."""
    job_centre, callins = waiting
    admin = create_user(Role.ADMINISTRATOR, job_centre)
    client = csrf_app.test_client()
    _login(client, admin)
    page = client.get("/admin/planning/").get_data(as_text=True)
    assert "Planlægning" in page and "Planlæg nu" in page and "Ingen kørsler endnu" in page
    assert "Ventende indkaldelser: 2" in page

    refused = client.post("/admin/planning/run", data={"job_centre_id": job_centre.id})
    assert refused.status_code == 400  # no CSRF token: nothing runs
    assert _bookings() == 0

    response = client.post("/admin/planning/run", data={"job_centre_id": job_centre.id,
                                                        "csrf_token": _token(page)},
                           follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert any(f"Planlægning for {job_centre.name}: 2 af 2 ventende indkaldelser placeret" in f
               for f in flashes(page)), flashes(page)
    assert 'id="planning-runs"' in page and "Administrator" in page
    db.session.expire_all()
    assert _bookings() == 2
    assert all(db.session.get(CallIn, c.id).status == CallInStatus.PLACED for c in callins)
    booking = db.session.scalar(select(Booking))
    assert booking.created_by_user_id == admin.id
    run = db.session.scalar(select(SystemLogEntry).where(SystemLogEntry.category == "allocation"))
    assert run.job_centre_id == job_centre.id and run.figures["trigger"] == "admin"


def test_r_0_1_planning_is_for_administrators_of_that_job_centre(client, waiting, create_job_centre,
                                                                  create_user):
    """R-0.1: caseworkers cannot plan; an administrator of another job centre gets 404 and nothing runs."""
    job_centre, _callins = waiting
    caseworker_user = create_user(Role.CASEWORKER, job_centre)
    login(client, caseworker_user)
    assert client.get("/admin/planning/").status_code == 403
    assert client.post("/admin/planning/run", data={"job_centre_id": job_centre.id}).status_code == 403
    client.post("/logout")

    stranger = create_user(Role.ADMINISTRATOR, create_job_centre())
    login(client, stranger)
    page = client.get("/admin/planning/").get_data(as_text=True)
    assert job_centre.name not in page
    assert client.post("/admin/planning/run", data={"job_centre_id": job_centre.id}).status_code == 404
    assert _bookings() == 0
    # Nothing ran: no entry but the logins' own (R-6.3).
    assert db.session.scalar(select(func.count(SystemLogEntry.id))
                             .where(SystemLogEntry.category != "staff_login")) == 0


def test_r_3_3_support_plans_any_job_centre_and_a_running_one_is_refused(client, waiting, create_user):
    """R-3.3: support picks the job centre; while a run holds it, the button says so and nothing is booked."""
    job_centre, _callins = waiting
    support = create_user(Role.SUPPORT, None)
    login(client, support)
    page = client.get("/admin/planning/").get_data(as_text=True)
    assert job_centre.name in page
    with allocation_lock(job_centre.id):
        page = client.post("/admin/planning/run", data={"job_centre_id": job_centre.id},
                           follow_redirects=True).get_data(as_text=True)
    assert any(f"Der kører allerede en planlægning for {job_centre.name}." in f for f in flashes(page))
    assert _bookings() == 0
    page = client.post("/admin/planning/run", data={"job_centre_id": job_centre.id},
                       follow_redirects=True).get_data(as_text=True)
    assert _bookings() == 2
    assert client.post("/admin/planning/run", data={"job_centre_id": 999_999}).status_code == 404


def test_r_3_2_the_planning_page_names_the_time_the_scheduler_runs_at(client, waiting, create_user):
    """R-3.2, one owner per setting: the page and the scheduler's nightly trigger both read
    PLANNER_ALLOCATION_TIME through `planning.status.allocation_time`."""
    from jobs.scheduler import REGISTRY

    job_centre, _ = waiting
    client.application.config["PLANNER_ALLOCATION_TIME"] = "03:15"
    login(client, create_user(Role.ADMINISTRATOR, job_centre))
    page = client.get("/admin/planning/").get_data(as_text=True)
    assert "hver nat kl. 03:15" in page, page[:2000]
    nightly = next(spec for spec in REGISTRY if spec.id == "allocate-nightly")
    assert str(nightly.trigger(client.application.config)) == "cron[hour='3', minute='15', second='0']"
