"""One booking of each origin, each made by its own writer, for the terms tests (R-4.5, R-4.9).

Self-booked through an online offer, called in at a fixed time, placed by the batch, and
received from the case system. The booking's team has no contact data of its own; its job
centre (the root team) has, so the terms must find the nearest ancestor's.
"""

from __future__ import annotations

import json
from dataclasses import replace
from sqlalchemy import select

from tests.workspace_setup import MONDAY, NOW, Workspace, at
from webapp.callins.calling import create_callins, from_template
from webapp.callins.inbound import receive
from webapp.extensions import db
from webapp.models import Booking, OnlineOffer
from webapp.planning import run as planning
from webapp.selfbooking import reservations as selfbooking

ORIGINS = ("self_booked", "fixed_time", "batch", "inbound")
ROOT_PHONE = "+4589401000"
ROOT_PHONE_SHOWN = "+45 89 40 10 00"
ROOT_EMAIL = "jobcenter@testby.dk"


def contact_on_the_root(ws: Workspace) -> None:
    ws.team.email, ws.team.phone = None, None
    root = ws.team.parent
    root.phone, root.email = ROOT_PHONE, ROOT_EMAIL
    db.session.commit()


def make_booking(ws: Workspace, origin: str) -> Booking:
    """A booked meeting of `origin` for `ws.citizens[0]`, committed, in the week of MONDAY."""
    citizen = ws.citizens[0]
    if origin == "self_booked":
        offer = OnlineOffer(job_centre_id=ws.job_centre.id, name="Book en jobsamtale",
                            team_id=ws.team.id, conversation_type_id=ws.templates["fixed"].conversation_type_id,
                            holding_form_id=ws.templates["fixed"].holding_form_id,
                            meeting_form=ws.templates["fixed"].meeting_form, duration_minutes=30,
                            rolling_end_weeks=4, active=True, rebooking_until_days=1)
        offer.caseworkers = [ws.anna]
        db.session.add(offer)
        db.session.commit()
        booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    elif origin == "fixed_time":
        data = replace(from_template(ws.templates["fixed"], today=NOW.date()),
                       cprs=[citizen.cpr], starts_at=at(MONDAY, 9))
        booking = create_callins(data, now=NOW, actor=ws.user).bookings[0]
    elif origin == "batch":
        data = replace(from_template(ws.templates["auto"], today=NOW.date()), cprs=[citizen.cpr])
        create_callins(data, now=NOW, actor=ws.user)
        db.session.commit()
        planning.run_allocation(ws.job_centre.id, now=NOW)
        booking = db.session.scalars(select(Booking)).one()
    else:
        message = {"appointment_id": "KSS-7", "action": "create", "caseworker": {"rid": ws.anna.rid},
                   "citizen_cpr": citizen.cpr, "starts_at": "2027-03-01T09:00:00+01:00",
                   "ends_at": "2027-03-01T09:30:00+01:00"}
        outcome = receive(ws.job_centre.id, json.dumps(message), now=NOW)
        booking = db.session.get(Booking, outcome.booking_id)
    db.session.commit()
    assert booking is not None and booking.starts_at.date() >= MONDAY
    return booking

