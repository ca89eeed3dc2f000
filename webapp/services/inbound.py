"""Appointments from the municipal case system (KSS), received as messages (R-1.11.1).

The case system sends one JSON message per change of an appointment it made itself:

    {"appointment_id": "KSS-4711", "action": "create" | "update" | "cancel",
     "caseworker": {"rid": "…"} | {"guid": "…"} | {"email": "…"},
     "starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T10:00:00+01:00",
     "citizen_cpr": "…" (optional), "conversation_type_code": 1 (optional)}

Each message is kept raw (CPR numbers masked) with its outcome. The appointment takes
the caseworker's time as an imported booking, so no one else is placed there. A message
for a caseworker the planner does not know is logged and ignored, and so are later
messages about that appointment (manual §1.2.3, note 3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from webapp.domain.availability import from_utc
from webapp.domain.cpr import normalise_cpr, redact_cprs
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (Booking, BookingOrigin, BookingStatus, Caseworker, Citizen,
                           ConversationType, HoldingForm, InboundMessage, MembershipState,
                           TeamMembership)
from webapp.services.booking import MeetingRequest, cancel_booking, create_booking, move_booking

ACTIONS = ("create", "update", "cancel")


@dataclass(frozen=True)
class Outcome:
    """What became of a message; `code` is stable, the texts are for the log page."""

    code: str
    detail: str
    booking_id: int | None = None

    @property
    def accepted(self) -> bool:
        return self.code in ("created", "moved", "cancelled") or self.code.startswith("ignored")


def _bad(detail: str) -> DomainError:
    return DomainError(f"Ugyldig besked: {detail}", f"Invalid message: {detail}",
                       code="invalid_message")


def _wall_clock(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _bad(f"{name} er ikke et ISO 8601-tidspunkt") from None
    if moment.tzinfo is None:
        raise _bad(f"{name} mangler UTC-forskydning")
    return from_utc(moment)


def _find_caseworker(job_centre_id: int, ref: Any) -> Caseworker | None:
    if not isinstance(ref, dict) or not ref:
        raise _bad("caseworker skal være et objekt med rid, guid eller email")
    query = select(Caseworker).where(Caseworker.job_centre_id == job_centre_id)
    for key, column in (("rid", Caseworker.rid), ("guid", Caseworker.guid),
                        ("email", Caseworker.email)):
        if ref.get(key):
            return db.session.scalar(query.where(column == str(ref[key]).strip()))
    raise _bad("caseworker skal have rid, guid eller email")


def _first_ignored(job_centre_id: int, appointment_id: str) -> bool:
    first = db.session.scalar(
        select(InboundMessage.outcome).where(InboundMessage.job_centre_id == job_centre_id,
                                             InboundMessage.external_id == appointment_id)
        .order_by(InboundMessage.id).limit(1))
    return first == "ignored_unknown_caseworker"


def _booking_for(job_centre_id: int, appointment_id: str) -> Booking | None:
    return db.session.scalar(select(Booking).where(
        Booking.job_centre_id == job_centre_id, Booking.external_id == appointment_id,
        Booking.origin == BookingOrigin.IMPORTED, Booking.status != BookingStatus.CANCELLED))


def _apply(job_centre_id: int, message: dict, *, now: datetime) -> Outcome:
    appointment_id = str(message.get("appointment_id") or "").strip()[:100]
    action = message.get("action")
    if not appointment_id:
        raise _bad("appointment_id mangler")
    if action not in ACTIONS:
        raise _bad(f"action skal være en af {', '.join(ACTIONS)}")
    if _first_ignored(job_centre_id, appointment_id):
        return Outcome("ignored_unknown_appointment",
                       "Aftalen blev ignoreret første gang (ukendt sagsbehandler).")
    booking = _booking_for(job_centre_id, appointment_id)
    if action == "cancel":
        if booking is None:
            return Outcome("ignored_unknown_appointment", "Ingen aftale med det id.")
        cancel_booking(booking, now=now, reason="Aflyst i sagssystemet")
        return Outcome("cancelled", "Aflyst.", booking.id)

    caseworker = _find_caseworker(job_centre_id, message.get("caseworker"))
    if caseworker is None:
        return Outcome("ignored_unknown_caseworker", "Sagsbehandleren findes ikke i planlæggeren.")
    starts_at = _wall_clock(message.get("starts_at"), "starts_at")
    ends_at = _wall_clock(message.get("ends_at"), "ends_at")
    if ends_at <= starts_at:
        raise _bad("ends_at skal ligge efter starts_at")
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    if booking is not None:
        move_booking(booking, now=now, starts_at=starts_at, caseworker_ids=[caseworker.id],
                     duration_minutes=minutes)
        return Outcome("moved", "Flyttet.", booking.id)
    if action == "update":
        return Outcome("ignored_unknown_appointment", "Ingen aftale med det id at flytte.")

    team_id = db.session.scalar(select(TeamMembership.team_id).where(
        TeamMembership.caseworker_id == caseworker.id,
        TeamMembership.state == MembershipState.ACTIVE).limit(1))
    if team_id is None:
        return Outcome("ignored_unknown_caseworker", "Sagsbehandleren er ikke i noget team.")
    type_query = select(ConversationType.id).order_by(ConversationType.code)
    if message.get("conversation_type_code") is not None:
        type_query = type_query.where(ConversationType.code == message["conversation_type_code"])
    conversation_type_id = db.session.scalar(type_query.limit(1))
    if conversation_type_id is None:
        raise _bad("ukendt conversation_type_code")
    citizen_ids = []
    if message.get("citizen_cpr"):
        cpr = normalise_cpr(str(message["citizen_cpr"]))
        citizen_id = db.session.scalar(select(Citizen.id).where(
            Citizen.job_centre_id == job_centre_id, Citizen.cpr == cpr))
        citizen_ids = [citizen_id] if citizen_id is not None else []
    booking = create_booking(MeetingRequest(
        job_centre_id=job_centre_id, team_id=team_id, conversation_type_id=conversation_type_id,
        holding_form_id=db.session.scalar(select(HoldingForm.id).order_by(HoldingForm.id).limit(1)),
        caseworker_ids=[caseworker.id], starts_at=starts_at, duration_minutes=minutes,
        origin=BookingOrigin.IMPORTED, citizen_ids=citizen_ids,
        extra={"external_id": appointment_id}), now=now)
    return Outcome("created", "Oprettet.", booking.id)


def receive(job_centre_id: int, raw: str, *, now: datetime) -> Outcome:
    """Apply one raw message and log it with its outcome; the caller commits.

    A message that breaks a rule (bad JSON, a clash with another booking) changes
    nothing but its log line, which says why.
    """
    outcome: Outcome
    appointment_id = None
    try:
        message = json.loads(raw)
        if not isinstance(message, dict):
            raise _bad("beskeden skal være et JSON-objekt")
        appointment_id = str(message.get("appointment_id") or "")[:100] or None
        with db.session.begin_nested():
            outcome = _apply(job_centre_id, message, now=now)
    except json.JSONDecodeError as exc:
        outcome = Outcome("rejected", f"Ikke gyldig JSON: {exc.msg}")
    except DomainError as exc:
        outcome = Outcome("rejected", exc.message_da)
    db.session.add(InboundMessage(job_centre_id=job_centre_id, external_id=appointment_id,
                                  raw=redact_cprs(raw)[:20000], outcome=outcome.code,
                                  detail=outcome.detail, received_at=now))
    db.session.flush()
    return outcome
