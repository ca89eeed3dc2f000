"""iCalendar (RFC 5545) invitations and the private feed of a caseworker's bookings (R-5.1).

One booking is one event with a stable UID; every change raises its SEQUENCE, so a mail
calendar replaces the event instead of adding a second one. Times go out in UTC,
converted from Copenhagen wall-clock at this edge (R-2.3) with the meeting's exact length
across the daylight-saving nights (R-7.7).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select

from webapp.config import setting
from webapp.domain.availability import to_utc
from webapp.domain.localtime import meeting_utc
from webapp.extensions import db
from webapp.models import Booking, BookingCaseworker, BookingStatus, Caseworker, SyncMode
from webapp.messaging.letters import meeting_address
from webapp.messaging.outbox import sender_address

PRODID = "-//Jobcenter samtaleplanlægger//DA"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"
# Caseworkers who get invitations in their mail calendar.
INVITED_MODES = frozenset({SyncMode.ONE_WAY, SyncMode.TWO_WAY})


def _domain() -> str:
    return str(setting("PLANNER_ICS_DOMAIN"))


def _organizer() -> str:
    return sender_address()


def booking_uid(booking: Booking) -> str:
    """The same for every message about one booking: the calendar's key."""
    return f"samtale-{booking.id}@{_domain()}"


def summary(booking: Booking) -> str:
    # No citizen names or CPR: mail calendars are shared and synced to phones.
    people = len(booking.participants)
    who = f", {people} borgere" if people > 1 else ""
    return f"Samtale nr. {booking.id}: {booking.conversation_type.name}{who}"


def _timed_event(booking: Booking, *, now: datetime) -> Event:
    """The meeting's identity and time: the same UID and SEQUENCE in every file about it."""
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", to_utc(now))
    starts, ends = meeting_utc(booking.starts_at, booking.ends_at)
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("sequence", booking.ics_sequence)
    return event


def _event(booking: Booking, *, now: datetime, cancelled: bool,
           attendees: Iterable[Caseworker] = ()) -> Event:
    event = _timed_event(booking, now=now)
    event.add("summary", summary(booking))
    place = ", ".join(p for p in (booking.room.name if booking.room else "",
                                  meeting_address(booking)) if p)
    if place:
        event.add("location", place)
    lines = [f"{booking.holding_form.name}, {booking.team.name}."]
    if booking.reporting_minutes:
        lines.append(f"Afsat {booking.reporting_minutes} min. til rapportering efter mødet.")
    if booking.message_to_caseworkers:
        lines.append(booking.message_to_caseworkers)
    if booking.cancel_reason and cancelled:
        lines.append(f"Aflyst: {booking.cancel_reason}")
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = vCalAddress(f"mailto:{_organizer()}")
    organizer.params["cn"] = vText("Samtaleplanlægger")
    event.add("organizer", organizer)
    for caseworker in attendees:
        attendee = vCalAddress(f"mailto:{caseworker.email}")
        attendee.params["cn"] = vText(caseworker.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    return event


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def invitation(booking: Booking, caseworker: Caseworker, *, now: datetime,
               method: str = REQUEST) -> bytes:
    """A REQUEST (new or update, by SEQUENCE) or CANCEL for one caseworker."""
    cal = _calendar(method)
    cal.add_component(_event(booking, now=now, cancelled=method == CANCEL, attendees=[caseworker]))
    return cal.to_ical()


def for_citizen(booking: Booking, place: str, *, now: datetime) -> bytes:
    """R-8.6: the citizen's "add to calendar" file: one event, no caseworker addresses.

    The same UID and SEQUENCE as the caseworkers' invitations, so a file fetched again after a
    rebooking replaces the event in the citizen's calendar instead of adding a second one.
    """
    event = _timed_event(booking, now=now)
    kind = booking.conversation_type.name + (f" – {booking.variant.name}" if booking.variant else "")
    event.add("summary", f"Samtale med jobcentret: {kind}")
    if place:
        event.add("location", place)
    event.add("description", f"{booking.holding_form.name}. Samtale nr. {booking.id}.")
    event.add("status", "CONFIRMED")
    cal = _calendar(PUBLISH)
    cal.add_component(event)
    return cal.to_ical()


# ---------------------------------------------------------------------------
# The private feed
# ---------------------------------------------------------------------------

def issue_feed_token(caseworker: Caseworker) -> str:
    """A new secret feed address; the old one stops working at once."""
    caseworker.ics_token = secrets.token_urlsafe(32)
    db.session.flush()
    return caseworker.ics_token


def revoke_feed_token(caseworker: Caseworker) -> None:
    caseworker.ics_token = None
    db.session.flush()


def caseworker_for_token(token: str) -> Caseworker | None:
    if not token or len(token) < 20:
        return None
    caseworker = db.session.scalar(select(Caseworker).where(Caseworker.ics_token == token))
    # Compare in constant time as well: the index look-up alone leaks nothing useful,
    # but the check keeps a near-miss from ever matching.
    if caseworker is None or not secrets.compare_digest(caseworker.ics_token or "", token):
        return None
    return caseworker


def feed(caseworker: Caseworker, *, today: date, now: datetime, days_back: int = 30,
         days_ahead: int = 366) -> bytes:
    """The caseworker's booked meetings from `days_back` ago to `days_ahead` on (PUBLISH)."""
    first = datetime.combine(today - timedelta(days=days_back), datetime.min.time())
    last = datetime.combine(today + timedelta(days=days_ahead), datetime.min.time())
    bookings = db.session.scalars(
        select(Booking).join(BookingCaseworker, BookingCaseworker.booking_id == Booking.id)
        .where(BookingCaseworker.caseworker_id == caseworker.id,
               Booking.status == BookingStatus.BOOKED,
               Booking.starts_at >= first, Booking.starts_at < last)
        .order_by(Booking.starts_at)).all()
    cal = _calendar(PUBLISH)
    cal.add("x-wr-calname", f"Samtaler – {caseworker.name}")
    cal.add("x-wr-timezone", "Europe/Copenhagen")
    for booking in bookings:
        cal.add_component(_event(booking, now=now, cancelled=False))
    return cal.to_ical()
