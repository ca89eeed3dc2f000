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
    """R-3.2, one owner per setting: the page and the scheduler's nightly check both read
    PLANNER_ALLOCATION_TIME through `planning.status.allocation_time`; the scheduler asks every
    PLANNER_ALLOCATION_CHECK_SECONDS which job centres' time has come."""
    from jobs.scheduler import REGISTRY

    job_centre, _ = waiting
    client.application.config["PLANNER_ALLOCATION_TIME"] = "03:15"
    login(client, create_user(Role.ADMINISTRATOR, job_centre))
    page = client.get("/admin/planning/").get_data(as_text=True)
    assert "hver nat, kl. 03:15" in page and "Planlægges hver nat kl. 03:15" in page, page[:2000]
    nightly = next(spec for spec in REGISTRY if spec.id == "allocate-nightly")
    assert str(nightly.trigger(client.application.config)) == "interval[0:01:00]"


def test_r_3_2_an_administrator_gives_the_job_centre_its_own_nightly_time(client, waiting, create_user,
                                                                          create_job_centre):
    """R-3.2: the planning page sets the job centre's own nightly time (HH:MM, audited); a bad time
    is refused in Danish and changes nothing; empty gives the common time back; another job
    centre's time is not the administrator's to set (R-0.1)."""
    from webapp.models import AuditEntry, AuditEvent, JobCentre

    job_centre, _ = waiting
    client.application.config["PLANNER_ALLOCATION_TIME"] = "02:00"
    login(client, create_user(Role.ADMINISTRATOR, job_centre))
    client.post("/admin/planning/time", data={"job_centre_id": job_centre.id, "allocation_time": "1:30"})
    db.session.expire_all()
    assert db.session.get(JobCentre, job_centre.id).allocation_time == "01:30"
    page = client.get("/admin/planning/").get_data(as_text=True)
    assert "planlægges hver nat kl. 01:30." in page and "Planlægges hver nat kl. 01:30" in page
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.event == AuditEvent.ADMIN_UPDATED)
                               .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and "01:30" in str(entry.after)
    for bad in ("25:00", "halv to", "01:30:00"):
        client.post("/admin/planning/time", data={"job_centre_id": job_centre.id, "allocation_time": bad})
        page = client.get("/admin/planning/").get_data(as_text=True)
        assert "Skriv tidspunktet for natlig planlægning som TT:MM" in page
        db.session.expire_all()
        assert db.session.get(JobCentre, job_centre.id).allocation_time == "01:30"
    client.post("/admin/planning/time", data={"job_centre_id": job_centre.id, "allocation_time": ""})
    db.session.expire_all()
    assert db.session.get(JobCentre, job_centre.id).allocation_time is None
    other = create_job_centre()
    response = client.post("/admin/planning/time", data={"job_centre_id": other.id, "allocation_time": "04:00"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(JobCentre, other.id).allocation_time is None


def test_r_3_2_support_sets_a_nightly_time_on_the_job_centre_form(client, reference_data, create_job_centre,
                                                                  create_user):
    """R-3.2: support's job centre form validates the time as HH:MM."""
    from tests.web.admin_support import field_errors
    from webapp.models import JobCentre

    job_centre = create_job_centre()
    login(client, create_user(Role.SUPPORT, None))
    data = {"name": job_centre.name, "municipality": job_centre.municipality,
            "sync_modes": job_centre.sync_modes, "allocation_time": "26:00"}
    response = client.post(f"/admin/jobcentre/edit/?id={job_centre.id}", data=data)
    assert response.status_code == 200
    assert any("TT:MM" in e for e in field_errors(response.get_data(as_text=True), "allocation_time"))
    response = client.post(f"/admin/jobcentre/edit/?id={job_centre.id}", data=data | {"allocation_time": "03:45"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(JobCentre, job_centre.id).allocation_time == "03:45"
