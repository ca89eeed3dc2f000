"""Receipts and reminders to citizens through the outbox (R-4.9).

A receipt goes when a citizen books, rebooks or cancels a meeting themselves: a listener
on `booking_changed` queues it in the same transaction, so a rolled-back booking sends
nothing. Changes made by the job centre reach the citizen as letters instead. A reminder
goes the day before every booked meeting (`queue_reminders`, run by jobs/reminders.py),
once per meeting, time and citizen.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.models import (Booking, BookingParticipant, BookingStatus, Citizen, MeetingForm, Room,
                           Team)
from webapp.messaging import outbox
from webapp.booking import terms as booking_terms
from webapp.booking.events import booking_changed

log = logging.getLogger(__name__)

WEEKDAYS_DA = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS_DA = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
             "september", "oktober", "november", "december")

def format_day_da(day: date) -> str:
    """'mandag 1. marts 2027'."""
    return f"{WEEKDAYS_DA[day.weekday()]} {day.day}. {MONTHS_DA[day.month - 1]} {day.year}"


def format_datetime_da(moment: datetime) -> str:
    """'mandag 1. marts 2027 kl. 09:00'."""
    return f"{format_day_da(moment.date())} kl. {moment:%H:%M}"


def meeting_place(booking: Booking) -> str:
    """Where the citizen goes: the room's address, else the team's (R-1.4.4, R-1.1.4)."""
    room = db.session.get(Room, booking.room_id) if booking.room_id else None
    team = db.session.get(Team, booking.team_id)
    for holder in (room, team):
        if holder is not None and holder.address:
            city = " ".join(p for p in (holder.postal_code, holder.city) if p)
            where = f"{holder.address}, {city}" if city else holder.address
            return f"{room.name}, {where}" if holder is room else f"{team.name}, {where}"
    if room is not None:
        return room.name
    return team.name if team is not None else ""


def terms_lines(booking: Booking, now: datetime) -> list[str]:
    """R-4.9: self-booked or called in, and what the citizen may still do (`booking.terms`)."""
    return booking_terms.sentences(booking_terms.terms_for(booking, now), "da", format_datetime_da)


def describe(booking: Booking) -> list[str]:
    names = ", ".join(sorted(link.caseworker.name for link in booking.caseworker_links))
    kind = booking.conversation_type.name + (f" – {booking.variant.name}" if booking.variant else "")
    lines = [
        f"Samtale: {kind}",
        f"Tid: {format_datetime_da(booking.starts_at)}–{booking.ends_at:%H:%M}",
        f"Sted: {meeting_place(booking)}",
        f"Afholdes som: {booking.holding_form.name}"
        + (" (fællesmøde)" if booking.meeting_form == MeetingForm.GROUP else ""),
    ]
    if names:
        lines.append(f"Sagsbehandler: {names}")
    lines.append(f"Samtalenummer: {booking.id}")
    return lines


_SUBJECTS = {
    "booked": "Kvittering: din samtale med jobcentret er booket",
    "rebooked": "Kvittering: din samtale med jobcentret er flyttet",
    "cancelled": "Kvittering: du har meldt afbud til din samtale",
    "reminder": "Påmindelse: du har en samtale med jobcentret i morgen",
}
_OPENINGS = {
    "booked": "Tak for din booking. Her er din samtale:",
    "rebooked": "Din samtale er flyttet. Her er den nye tid:",
    "cancelled": "Du har meldt afbud til denne samtale:",
    "reminder": "Vi minder dig om din samtale i morgen:",
}


def enqueue_receipt(booking: Booking, citizen: Citizen, kind: str, *, now: datetime,
                    dedupe_key: str | None = None) -> bool:
    """Queue one receipt (or reminder); False when the citizen has no e-mail or it was sent."""
    if not citizen.email:
        log.info("No e-mail for citizen %s; %s for booking %s not sent.", citizen.id, kind, booking.id)
        return False
    lines = [f"Kære {citizen.name}", "", _OPENINGS[kind], "", *describe(booking), ""]
    if kind != "cancelled":
        lines += [*terms_lines(booking, now), ""]
    lines += ["Se og ændr dine samtaler på selvbetjeningen.", "", "Venlig hilsen", "Jobcentret"]
    key = dedupe_key or (f"receipt:{kind}:{booking.id}:{citizen.id}:{booking.ics_sequence}:"
                         f"{booking.starts_at:%Y%m%d%H%M}:{now:%Y%m%d%H%M%S}")
    return outbox.enqueue(kind=f"citizen_{kind}", recipient=citizen.email, subject=_SUBJECTS[kind],
                          body_text="\n".join(lines), now=now, job_centre_id=booking.job_centre_id,
                          booking_id=booking.id, dedupe_key=key) is not None


def on_booking_changed(booking: Booking, *, change: str, now: datetime, actor: Any = None,
                       previous: Any = None, **_: Any) -> None:
    """Receipt for the citizen who made the change themselves (R-4.9).

    A group seat moved to another meeting (R-1.7.3) is one rebooking: the new meeting's
    event carries "from" and gets the receipt; leaving the old one ("to") gets none.
    """
    if getattr(actor, "role", None) != "citizen":
        return
    previous = previous if isinstance(previous, dict) else {}
    if "to" in previous:
        return
    kind = {"created": "booked", "moved": "rebooked", "cancelled": "cancelled"}.get(change)
    if change == "participants":
        kind = "booked" if previous.get("added") == actor.id else (
            "cancelled" if previous.get("removed") == actor.id else None)
    if kind == "booked" and "from" in previous:
        kind = "rebooked"
    if kind is not None:
        enqueue_receipt(booking, actor, kind, now=now)


def connect() -> None:
    """Hook the listener up once per process (blinker ignores a second connect)."""
    booking_changed.connect(on_booking_changed, weak=False)


def queue_reminders(now: datetime) -> int:
    """A reminder to every citizen with a booked meeting tomorrow; once each (R-4.9)."""
    tomorrow = now.date() + timedelta(days=1)
    bookings = db.session.scalars(
        select(Booking).options(selectinload(Booking.participants)
                                .selectinload(BookingParticipant.citizen))
        .where(Booking.status == BookingStatus.BOOKED,
               Booking.starts_at >= datetime.combine(tomorrow, time.min),
               Booking.starts_at < datetime.combine(tomorrow + timedelta(days=1), time.min))
        .order_by(Booking.starts_at)).all()
    queued = 0
    for booking in bookings:
        for participant in booking.participants:
            if participant.reserved_until is not None:
                continue
            key = f"reminder:{booking.id}:{participant.citizen_id}:{booking.starts_at:%Y%m%d%H%M}"
            if enqueue_receipt(booking, participant.citizen, "reminder", now=now, dedupe_key=key):
                queued += 1
    return queued
