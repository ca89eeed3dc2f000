"""What follows a booking change: the citizen's letter and the caseworkers' calendar invitations (R-1.7.2, R-3.5, R-5.1).

The booking service sends `booking_changed` after each change; the listener here, in
messaging, turns it into rows in the caller's transaction: a `Letter` kept with the booking, the letter
e-mail to the citizen and an iCalendar message to every caseworker who syncs a mail
calendar, all queued in the outbox. Nothing is sent here, so a change that is rolled
back sends nothing either.

Letters are the job centre's word to the citizen. A change the citizen made themselves
(self-booking, rebooking, cancelling in the portal) gets the portal's receipt instead.
A change by the job centre that keeps the meeting's start (another caseworker, room or
length) is an update, "Opdatering" in the letter rules (R-1.7.2); one that changes the
start is a move ("Flytning").

Messaging listens to booking's event, so the arrow runs one way: booking never imports messaging.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any


from webapp.extensions import db
from webapp.models import Booking, Caseworker, Citizen, LetterActivity
from webapp.messaging import ics as calendar_ics
from webapp.messaging import letters
from webapp.messaging import outbox
from webapp.booking.events import booking_changed

log = logging.getLogger(__name__)

_ACTIVITY = {
    "created": LetterActivity.CALL_IN,
    "confirmed": LetterActivity.CALL_IN,
    "moved": LetterActivity.MOVE,
    "cancelled": LetterActivity.CANCELLATION,
}

_SUBJECT_PREFIX = {
    "created": "Ny samtale",
    "confirmed": "Ny samtale",
    "moved": "Flyttet",
    "participants": "Opdateret",
    "cancelled": "Aflyst",
}


def connect_listeners() -> None:
    """Connect once; connecting again (a second app in one process) changes nothing."""
    booking_changed.connect(on_booking_changed, weak=False)


def disconnect_listeners() -> None:
    booking_changed.disconnect(on_booking_changed)


def on_booking_changed(booking: Booking, *, change: str, now: datetime, actor: Any = None,
                       previous: dict | None = None, **_: Any) -> None:
    by_citizen = getattr(actor, "role", None) == "citizen"
    if change == "participants":
        # Seats changed at a group meeting: the calendar event is updated, the
        # citizen who joined or left gets the letter for that.
        booking.ics_sequence += 1
        db.session.flush()
        if not by_citizen and previous:
            if previous.get("added"):
                send_letter(booking, db.session.get(Citizen, previous["added"]),
                            LetterActivity.CALL_IN, now=now)
            if previous.get("removed"):
                send_letter(booking, db.session.get(Citizen, previous["removed"]),
                            LetterActivity.CANCELLATION, now=now)
    elif change in _ACTIVITY and not by_citizen:
        activity = letter_activity(booking, change, previous)
        for participant in booking.participants:
            send_letter(booking, participant.citizen, activity, now=now, previous=previous)
    send_invitations(booking, change=change, now=now, previous=previous)


def letter_activity(booking: Booking, change: str, previous: dict | None) -> LetterActivity:
    """The letter rule's activity for a change by the job centre (R-1.7.2): a "moved" change that
    keeps the start time changed the meeting's details (caseworker, room, length), an update."""
    activity = _ACTIVITY[change]
    if (activity == LetterActivity.MOVE and previous
            and previous.get("starts_at") == booking.starts_at):
        return LetterActivity.UPDATE
    return activity


def send_letter(booking: Booking, citizen: Citizen | None, activity: LetterActivity, *,
                now: datetime, previous: dict | None = None) -> None:
    """Merge and keep the letter; e-mail it when the citizen has an address.

    Its PDF is rendered after the commit (`letters.create_letter`); the e-mail's attachment
    names the letter until then.
    """
    if citizen is None:
        return
    letter, rendered = letters.create_letter(booking, citizen, activity, now=now, previous=previous)
    if not citizen.email:
        # Digital Post is the adapter a real deployment adds here; the letter is kept.
        return
    body = (f"{rendered.text}\n\nBrevet er vedhæftet som PDF.\n"
            f"Samtale nr. {booking.id}.")
    outbox.enqueue(kind="letter", recipient=citizen.email, subject=rendered.subject,
                   body_text=body, now=now, job_centre_id=booking.job_centre_id,
                   booking_id=booking.id, dedupe_key=f"letter:{letter.id}",
                   letter=(letter.id, letter.filename))


def _invited(caseworker_ids: list[int]) -> list[Caseworker]:
    # `get` finds the caseworkers the booking service has just checked without a query.
    rows = [db.session.get(Caseworker, cw_id) for cw_id in sorted(set(caseworker_ids))]
    return [cw for cw in rows
            if cw is not None and cw.sync_mode in calendar_ics.INVITED_MODES and cw.email]


def send_invitations(booking: Booking, *, change: str, now: datetime,
                     previous: dict | None = None) -> None:
    """REQUEST (new or update) or CANCEL to each caseworker who syncs a mail calendar."""
    current = [link.caseworker_id for link in booking.caseworker_links]
    if change == "cancelled":
        plan = [(cw, calendar_ics.CANCEL) for cw in _invited(current)]
    else:
        plan = [(cw, calendar_ics.REQUEST) for cw in _invited(current)]
        dropped = [cw_id for cw_id in (previous or {}).get("caseworker_ids", ())
                   if cw_id not in current]
        plan += [(cw, calendar_ics.CANCEL) for cw in _invited(dropped)]
    for caseworker, method in plan:
        ics = calendar_ics.invitation(booking, caseworker, now=now, method=method)
        prefix = "Aflyst" if method == calendar_ics.CANCEL else _SUBJECT_PREFIX.get(change, "Opdateret")
        subject = f"{prefix}: {calendar_ics.summary(booking)} {booking.starts_at:%d.%m.%Y %H:%M}"
        body = [f"{subject}.", f"Team: {booking.team.name}."]
        if booking.message_to_caseworkers and method == calendar_ics.REQUEST:
            body.append(booking.message_to_caseworkers)
        outbox.enqueue(
            kind="invitation", recipient=caseworker.email, subject=subject,
            body_text="\n\n".join(body), now=now, job_centre_id=booking.job_centre_id,
            booking_id=booking.id,
            dedupe_key=f"ics:{booking.id}:{caseworker.id}:{booking.ics_sequence}:{method}",
            attachments=[(f"samtale-{booking.id}.ics",
                          f"text/calendar; method={method}; charset=utf-8", ics)])
