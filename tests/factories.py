"""Factory fixtures: `create_x(**overrides)` builds a valid object and commits it.

In a rolled-back test (tests/conftest.py) the commit only ends a savepoint, which costs as little
as a flush; a flush alone would let a view's rollback after a refused form take the rows with it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from webapp.extensions import db
from webapp.models import (Caseworker, Citizen, JobCentre, Role, Room, Team, TeamMembership,
                           User, WorkingTime)
from webapp.administration.organisation import create_job_centre as create_job_centre_service
from webapp.administration.reference import seed_reference_data

_counter = itertools.count(1)
PASSWORD = "correct horse 42"


def _n() -> int:
    return next(_counter)


@pytest.fixture
def reference_data(app: Any) -> None:
    seed_reference_data()
    db.session.commit()


@pytest.fixture
def create_job_centre(app: Any) -> Callable[..., JobCentre]:
    def make(name: str | None = None, municipality: str = "Aarhus", **kw: Any) -> JobCentre:
        n = _n()
        job_centre = create_job_centre_service(
            name or f"Jobcenter {n}", municipality,
            kw.pop("root_team", f"Rod {n}"), kw.pop("child_team", f"Team {n}"))
        db.session.commit()
        return job_centre
    return make


@pytest.fixture
def create_team(app: Any) -> Callable[..., Team]:
    def make(job_centre: JobCentre, parent: Team | None = None, **kw: Any) -> Team:
        team = Team(job_centre=job_centre, parent=parent, name=kw.pop("name", f"Team {_n()}"), **kw)
        db.session.add(team)
        db.session.commit()
        return team
    return make


@pytest.fixture
def create_user(app: Any) -> Callable[..., User]:
    def make(role: Role = Role.ADMINISTRATOR, job_centre: JobCentre | None = None,
             **kw: Any) -> User:
        n = _n()
        user = User(username=kw.pop("username", f"user{n}"), name=kw.pop("name", f"Bruger {n}"),
                    role=role, job_centre=job_centre, **kw)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture
def create_caseworker(app: Any) -> Callable[..., Caseworker]:
    def make(job_centre: JobCentre, teams: list[Team] | None = None, **kw: Any) -> Caseworker:
        n = _n()
        caseworker = Caseworker(
            job_centre=job_centre, email=kw.pop("email", f"cw{n}@demo-jobcenter.dk"),
            name=kw.pop("name", f"Vejleder {n}"), rid=kw.pop("rid", f"{100000 + n}"), **kw)
        for team in teams or job_centre.teams[:1]:
            caseworker.memberships.append(TeamMembership(team=team))
        for weekday in range(5):
            caseworker.working_times.append(
                WorkingTime(weekday=weekday, start_time=time(7, 30), end_time=time(16, 0)))
        db.session.add(caseworker)
        db.session.commit()
        return caseworker
    return make


@pytest.fixture
def create_room(app: Any) -> Callable[..., Room]:
    def make(job_centre: JobCentre, **kw: Any) -> Room:
        room = Room(job_centre=job_centre, name=kw.pop("name", f"Lokale {_n()}"), **kw)
        db.session.add(room)
        db.session.commit()
        return room
    return make


@pytest.fixture
def create_citizen(app: Any) -> Callable[..., Citizen]:
    def make(job_centre: JobCentre, **kw: Any) -> Citizen:
        n = _n()
        citizen = Citizen(job_centre=job_centre, cpr=kw.pop("cpr", f"0101{80 + n % 20:02d}{1000 + n:04d}"),
                          name=kw.pop("name", f"Borger {n}"), **kw)
        db.session.add(citizen)
        db.session.commit()
        return citizen
    return make


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.data[:500]


@pytest.fixture
def create_booking(app: Any, reference_data: None) -> Callable[..., Any]:
    """Book through the booking service (all rules apply); `now` defaults to a fixed Monday."""
    from datetime import datetime

    from tests.timehelpers import MONDAY, at
    from webapp.models import BookingOrigin, ConversationType, HoldingForm
    from webapp.booking.checks import MeetingRequest
    from webapp.booking.writer import create_booking as book

    monday_morning = at(MONDAY, 8)

    def make(caseworkers: list[Caseworker], starts_at: datetime, *, citizens: list[Citizen] = (),
             minutes: int = 30, now: datetime = monday_morning, commit: bool = True,
             **kw: Any) -> Any:
        first = caseworkers[0]
        reserve_for = kw.pop("reserve_for", None)
        req = MeetingRequest(
            job_centre_id=first.job_centre_id,
            team_id=kw.pop("team_id", None) or first.memberships[0].team_id,
            conversation_type_id=kw.pop("conversation_type_id", None)
            or db.session.scalars(db.select(ConversationType.id)).first(),
            holding_form_id=kw.pop("holding_form_id", None)
            or db.session.scalars(db.select(HoldingForm.id)).first(),
            caseworker_ids=[c.id for c in caseworkers], starts_at=starts_at,
            duration_minutes=minutes, origin=kw.pop("origin", BookingOrigin.CALLED_IN),
            citizen_ids=[c.id for c in citizens], **kw)
        booking = book(req, now=now, reserve_for=reserve_for)
        if commit:
            db.session.commit()
        return booking
    return make


@pytest.fixture
def create_offer(app: Any, reference_data: None) -> Callable[..., Any]:
    """An active online offer (R-4.1) of the first caseworker's team; rolling end 4 weeks."""
    from webapp.models import ConversationType, HoldingForm, MeetingForm, OnlineOffer

    def make(caseworkers: list[Caseworker], **kw: Any) -> OnlineOffer:
        first = caseworkers[0]
        offer = OnlineOffer(
            job_centre_id=first.job_centre_id, name=kw.pop("name", f"Tilbud {_n()}"),
            team_id=kw.pop("team_id", None) or first.memberships[0].team_id,
            conversation_type_id=kw.pop("conversation_type_id", None)
            or db.session.scalars(db.select(ConversationType.id)).first(),
            holding_form_id=kw.pop("holding_form_id", None)
            or db.session.scalars(db.select(HoldingForm.id)).first(),
            meeting_form=kw.pop("meeting_form", MeetingForm.INDIVIDUAL),
            duration_minutes=kw.pop("duration_minutes", 30),
            rolling_end_weeks=kw.pop("rolling_end_weeks", 4), active=kw.pop("active", True),
            **kw)
        offer.caseworkers = list(caseworkers)
        db.session.add(offer)
        db.session.commit()
        return offer
    return make
