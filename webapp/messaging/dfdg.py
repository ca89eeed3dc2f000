"""What the national data hub (DFDG) must know, queued in the outbox in the caller's transaction (R-6.9).

One message per citizen and event: a call-in created (`create_callins` calls
`callin_created`), and a booking made, moved or cancelled, which the listener here takes
from booking's one `booking_changed` event. A citizen joining or leaving a group meeting is
that citizen's booking made or cancelled. Each message is a row of the outbox (kind
`dfdg`) holding the JSON of docs/dfdg.md, so it is queued once, goes with the commit and
is dropped with a rollback; `messaging/dfdg_delivery.py` sends it. With
`PLANNER_DFDG_TRANSPORT=none` (the default) nothing is queued.

Bookings that came from the case system (origin `imported`, R-1.11.1) reached the planner
through the hub, so they are not reported back to it.

The planner records no attendance: whether the citizen came is registered in the case
system, which reports it to the hub itself. The format keeps room for it (docs/dfdg.md).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from webapp.booking.events import booking_changed
from webapp.config import setting
from webapp.domain.availability import to_aware
from webapp.extensions import db
from webapp.models import (Booking, BookingOrigin, BookingStatus, CallIn, Citizen,
                           ConversationType, HoldingForm, JobCentre)
from webapp.messaging import outbox

KIND = outbox.HUB_KIND
RECIPIENT = "DFDG"
SCHEMA = "planner-dfdg/1"

CALLIN_CREATED = "callin_created"
BOOKING_CREATED = "booking_created"
BOOKING_MOVED = "booking_moved"
BOOKING_CANCELLED = "booking_cancelled"
EVENTS = (CALLIN_CREATED, BOOKING_CREATED, BOOKING_MOVED, BOOKING_CANCELLED)

# What the subject (shown in the admin outbox list and the logs) says of each event: no personal data.
_SUBJECT = {CALLIN_CREATED: "Indkaldelse oprettet", BOOKING_CREATED: "Booking oprettet",
            BOOKING_MOVED: "Booking flyttet", BOOKING_CANCELLED: "Booking aflyst"}


def transport_name() -> str:
    """PLANNER_DFDG_TRANSPORT: `none`, `file` or `https`."""
    return str(setting("PLANNER_DFDG_TRANSPORT"))


def enabled() -> bool:
    """True when a transport is chosen; with `none` the hub is not reported to."""
    return transport_name() != "none"


def _time(moment: datetime | None) -> str | None:
    return to_aware(moment).isoformat() if moment is not None else None


def _changed_by(actor: Any) -> str:
    if actor is None:
        return "system"
    return "citizen" if getattr(actor, "role", None) == "citizen" else "job_centre"


def payload(event: str, *, citizen: Citizen, job_centre_id: int, conversation_type_id: int | None,
            holding_form_id: int | None, meeting_form: str, now: datetime, actor: Any = None,
            booking: Booking | None = None, callin: CallIn | None = None,
            previous: dict | None = None, status: str) -> dict[str, Any]:
    """The message of docs/dfdg.md; `message_id` is new each time (the hub's idempotency key)."""
    job_centre = db.session.get(JobCentre, job_centre_id)
    conversation_type = (db.session.get(ConversationType, conversation_type_id)
                         if conversation_type_id is not None else None)
    holding_form = (db.session.get(HoldingForm, holding_form_id)
                    if holding_form_id is not None else None)
    message: dict[str, Any] = {
        "schema": SCHEMA,
        "message_id": str(uuid.uuid4()),
        "event": event,
        "occurred_at": _time(now),
        "job_centre": {"municipality_code": getattr(job_centre, "municipality_code", None),
                       "name": job_centre.name if job_centre else None},
        "citizen": {"cpr": citizen.cpr},
        "callin_number": callin.id if callin is not None else None,
        "conversation_number": booking.id if booking is not None else None,
        "conversation_type_code": conversation_type.code if conversation_type else None,
        "holding_form": holding_form.code if holding_form else None,
        "meeting_form": str(meeting_form),
        "starts_at": _time(booking.starts_at) if booking is not None else None,
        "ends_at": _time(booking.ends_at) if booking is not None else None,
        "status": status,
        "changed_by": _changed_by(actor),
    }
    if callin is not None:
        message["window"] = {"earliest": callin.earliest_date.isoformat(),
                             "deadline": callin.deadline_date.isoformat()}
    if event == BOOKING_MOVED and previous:
        message["previous"] = {"starts_at": _time(previous.get("starts_at")),
                               "ends_at": _time(previous.get("ends_at"))}
    return message


def queue(message: dict[str, Any], *, job_centre_id: int, booking_id: int | None,
          now: datetime) -> int | None:
    """One outbox row for `message`, in the caller's transaction."""
    number = message["conversation_number"] or message["callin_number"]
    subject = f"DFDG: {_SUBJECT[message['event']]} (nr. {number})"
    return outbox.enqueue(kind=KIND, recipient=RECIPIENT, subject=subject,
                          body_text=json.dumps(message, ensure_ascii=False, sort_keys=True),
                          now=now, job_centre_id=job_centre_id, booking_id=booking_id,
                          dedupe_key=f"{KIND}:{message['message_id']}")


def callin_created(callin: CallIn, *, now: datetime, actor: Any = None) -> int | None:
    """Queue "call-in created" for one citizen (R-6.9); the caller's transaction commits it."""
    if not enabled():
        return None
    booking = callin.booking
    message = payload(CALLIN_CREATED, citizen=callin.citizen, job_centre_id=callin.job_centre_id,
                      conversation_type_id=callin.conversation_type_id,
                      holding_form_id=callin.holding_form_id, meeting_form=callin.meeting_form,
                      now=now, actor=actor, booking=booking, callin=callin,
                      status="booked" if booking is not None else "waiting")
    return queue(message, job_centre_id=callin.job_centre_id,
                 booking_id=booking.id if booking is not None else None, now=now)


_EVENT = {"created": BOOKING_CREATED, "moved": BOOKING_MOVED, "cancelled": BOOKING_CANCELLED}


def _booking_message(booking: Booking, citizen: Citizen | None, event: str, *, now: datetime,
                     actor: Any, previous: dict | None) -> None:
    if citizen is None:
        return
    status = "cancelled" if event == BOOKING_CANCELLED else "booked"
    message = payload(event, citizen=citizen, job_centre_id=booking.job_centre_id,
                      conversation_type_id=booking.conversation_type_id,
                      holding_form_id=booking.holding_form_id, meeting_form=booking.meeting_form,
                      now=now, actor=actor, booking=booking, previous=previous, status=status)
    queue(message, job_centre_id=booking.job_centre_id, booking_id=booking.id, now=now)


def on_booking_changed(booking: Booking, *, change: str, now: datetime, actor: Any = None,
                       previous: dict | None = None, **_: Any) -> None:
    """Booking made, moved or cancelled: one message per seated citizen (R-6.9)."""
    if not enabled() or booking.origin == BookingOrigin.IMPORTED \
            or booking.status == BookingStatus.RESERVED:
        return
    if change == "participants":
        for key, event in (("added", BOOKING_CREATED), ("removed", BOOKING_CANCELLED)):
            if (previous or {}).get(key):
                _booking_message(booking, db.session.get(Citizen, previous[key]),  # type: ignore[index]
                                 event, now=now, actor=actor, previous=None)
        return
    if change not in _EVENT:
        return
    if change == "moved" and previous and (previous.get("starts_at"), previous.get("ends_at")) \
            == (booking.starts_at, booking.ends_at):
        return  # another caseworker or room at the same time: nothing the hub keeps
    for participant in booking.participants:
        if participant.reserved_until is None:  # a held seat is not (yet) a booking
            _booking_message(booking, participant.citizen, _EVENT[change], now=now, actor=actor,
                             previous=previous)


def connect_listeners() -> None:
    booking_changed.connect(on_booking_changed, weak=False)


def disconnect_listeners() -> None:
    booking_changed.disconnect(on_booking_changed)
