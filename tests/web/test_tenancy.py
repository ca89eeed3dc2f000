"""R-0.1: a user of job centre A never sees or changes data of job centre B."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask_login import login_user
from sqlalchemy import select

from tests.factories import login
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, Booking, BookingOrigin, CallIn,
                           CallInTemplate, Competence, ContactGroup, ConversationType,
                           HoldingForm, InboundMessage, LetterTemplate, LocalClosureDay,
                           MeetingForm, OnlineOffer, OutboxMessage, Role, SelfBookingDeadline,
                           SystemLogEntry, Variant)


def _one_of_each(job_centre, create_caseworker, create_room, create_citizen) -> dict[str, int]:
    """One object of every job-centre-scoped admin list, keyed by admin endpoint."""
    team = job_centre.teams[0]
    ctype = db.session.scalars(select(ConversationType)).first()
    form = db.session.scalars(select(HoldingForm)).first()
    caseworker = create_caseworker(job_centre)
    room = create_room(job_centre, capacity=6)
    citizen = create_citizen(job_centre)
    meeting = dict(job_centre=job_centre, team=team, conversation_type=ctype, holding_form=form,
                   meeting_form=MeetingForm.INDIVIDUAL)
    objects = {
        "caseworker": caseworker,
        "competence": Competence(job_centre=job_centre, name="Sprog"),
        "team": team,
        "localclosureday": LocalClosureDay(job_centre=job_centre, teams=[team], name="Lukket",
                                           first_day=date(2027, 7, 1), last_day=date(2027, 7, 2)),
        "room": room,
        "callintemplate": CallInTemplate(name="Skabelon", deadline_days=14, **meeting),
        "variant": Variant(job_centre=job_centre, name="Variant"),
        "lettertemplate": LetterTemplate(job_centre=job_centre, name="Brev", subject="Emne",
                                         body="Tekst"),
        "audit": AuditEntry(job_centre_id=job_centre.id, event=AuditEvent.CALL_IN_CREATED,
                            user_name="x", occurred_at=datetime(2027, 1, 4, 9)),
        "systemlog": SystemLogEntry(job_centre_id=job_centre.id, category="allocation",
                                    message="Kørsel"),
        "inbound": InboundMessage(job_centre_id=job_centre.id, raw="{}", outcome="ignored"),
        "offer": OnlineOffer(name="Tilbud", rolling_end_weeks=4, **meeting),
        "callin": CallIn(citizen=citizen, earliest_date=date(2027, 3, 1),
                         deadline_date=date(2027, 3, 20), **meeting),
        "booking": Booking(starts_at=datetime(2027, 3, 2, 9), ends_at=datetime(2027, 3, 2, 9, 30),
                           origin=BookingOrigin.CALLED_IN, **meeting),
        "citizen": citizen,
        "deadline": SelfBookingDeadline(job_centre=job_centre, citizen=citizen,
                                        conversation_type=ctype, deadline_date=date(2027, 3, 15)),
        "outbox": OutboxMessage(job_centre_id=job_centre.id, kind="receipt",
                                recipient="borger@example.dk", subject="Kvittering", body_text="."),
    }
    db.session.add_all(objects.values())
    db.session.commit()
    return {endpoint: obj.id for endpoint, obj in objects.items()}


def _admin_view(app, endpoint):
    admin = app.extensions["admin"][0]
    return next(v for v in admin._views if v.endpoint == endpoint)


SCOPED_ENDPOINTS = ["caseworker", "competence", "team", "localclosureday", "room",
                    "callintemplate", "variant", "lettertemplate", "audit", "systemlog",
                    "inbound", "offer", "callin", "booking", "citizen", "deadline", "outbox"]


@pytest.fixture
def two_job_centres(reference_data, create_job_centre, create_user, create_caseworker,
                    create_room, create_citizen):
    a = create_job_centre("Jobcenter A")
    b = create_job_centre("Jobcenter B")
    ids_a = _one_of_each(a, create_caseworker, create_room, create_citizen)
    ids_b = _one_of_each(b, create_caseworker, create_room, create_citizen)
    admin_a = create_user(Role.ADMINISTRATOR, a)
    return admin_a, ids_a, ids_b


@pytest.mark.parametrize("endpoint", SCOPED_ENDPOINTS)
def test_r_0_1_other_job_centres_objects_are_404(client, two_job_centres, endpoint):
    """R-0.1: every edit, details and delete URL of job centre B answers 404 to A's admin."""
    admin_a, ids_a, ids_b = two_job_centres
    login(client, admin_a)
    foreign = ids_b[endpoint]
    view = _admin_view(client.application, endpoint)
    urls = [("get", f"/admin/{endpoint}/details/?id={foreign}", view.can_view_details)]
    urls.append(("get", f"/admin/{endpoint}/edit/?id={foreign}", view.can_edit))
    urls.append(("post", f"/admin/{endpoint}/edit/?id={foreign}", view.can_edit))
    urls.append(("post", f"/admin/{endpoint}/delete/", view.can_delete))
    for method, url, offered in urls:
        response = getattr(client, method)(url, data={"id": foreign, "name": "Overtaget"})
        # Where the screen exists it answers 404; where it does not, it redirects
        # to the list like for anybody's object, and nothing is shown or changed.
        assert response.status_code == (404 if offered else 302), (method, url)
    assert client.get(f"/admin/{endpoint}/details/?id={foreign}").status_code != 200
    # ...while A's own object opens.
    if view.can_view_details:
        assert client.get(f"/admin/{endpoint}/details/?id={ids_a[endpoint]}").status_code == 200


@pytest.mark.parametrize("endpoint", SCOPED_ENDPOINTS)
def test_r_0_1_lists_show_only_own_job_centre(client, two_job_centres, endpoint):
    admin_a, ids_a, ids_b = two_job_centres
    login(client, admin_a)
    # Afventerliste opens on its waiting call-ins by a redirect.
    assert client.get(f"/admin/{endpoint}/", follow_redirects=True).status_code == 200
    view = _admin_view(client.application, endpoint)
    with client.application.test_request_context():
        login_user(admin_a)
        count, rows = view.get_list(0, None, None, None, [])
    own = set(db.session.scalars(select(view.model.id).where(
        view.model.job_centre_id == admin_a.job_centre_id)))
    assert ids_a[endpoint] in own and ids_b[endpoint] not in own
    assert {row.id for row in rows} == own
    assert count == len(own)


def test_r_0_1_related_choices_are_limited_to_own_job_centre(client, two_job_centres):
    admin_a, _, _ = two_job_centres
    login(client, admin_a)
    html = client.get("/admin/localclosureday/new/").get_data(as_text=True)
    assert "Rod" in html
    assert "Jobcenter B" not in html
    team_names_b = [t.name for t in db.session.scalars(select(ContactGroup))]
    assert team_names_b  # reference data stays visible to everyone


def test_r_0_1_new_objects_get_the_users_job_centre(client, two_job_centres):
    admin_a, _, _ = two_job_centres
    login(client, admin_a)
    response = client.post("/admin/competence/new/", data={"name": "Tolkning"})
    assert response.status_code == 302
    competence = db.session.scalar(select(Competence).where(Competence.name == "Tolkning"))
    assert competence.job_centre_id == admin_a.job_centre_id


def test_r_0_1_support_sees_every_job_centre(client, two_job_centres, create_user):
    _, ids_a, ids_b = two_job_centres
    support = create_user(Role.SUPPORT, None)
    login(client, support)
    for object_id in (ids_a["room"], ids_b["room"]):
        assert client.get(f"/admin/room/details/?id={object_id}").status_code == 200


def test_r_0_1_caseworkers_have_no_administration(client, two_job_centres, create_user):
    _, _, _ = two_job_centres
    from webapp.models import JobCentre
    job_centre = db.session.scalar(select(JobCentre).where(JobCentre.name == "Jobcenter A"))
    caseworker_user = create_user(Role.CASEWORKER, job_centre)
    login(client, caseworker_user)
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/room/").status_code == 403
    assert "Administration" not in client.get("/home").get_data(as_text=True)


def test_r_0_1_support_only_screens_refuse_administrators(client, two_job_centres):
    admin_a, _, _ = two_job_centres
    login(client, admin_a)
    # Users are no longer support-only: administrators manage their own job centre's.
    for endpoint in ("jobcentre", "nationalclosureday"):
        assert client.get(f"/admin/{endpoint}/").status_code == 403


def test_r_0_1_login_required_everywhere_but_health(client):
    assert client.get("/health").status_code == 200
    for url in ("/admin/", "/admin/room/", "/home", "/portal/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
