"""A booking's terms: whether the citizen may cancel or rebook it online, and until when (R-4.5, R-4.9).

The one owner of these terms for every origin (self-booked, called in at a fixed time, placed
by the batch, inbound from the case system). The writers store the limits `limits` computes
(cancellation until the start, rebooking until N days before); `terms_for` reads them together
with what the portal can actually do, and the receipt, the reminder, the portal, the API and
the cancel and rebook use cases all take their answer from it. Where the citizen cannot make a
change online, the terms name the job centre's contact: the phone and e-mail of the booking's
team, or of its nearest ancestor team that has them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from webapp.domain.contact import display_phone
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.messages import text
from webapp.models import Booking, BookingOrigin, BookingStatus, OnlineOffer, Team


@dataclass(frozen=True)
class Contact:
    """How to reach the job centre about a meeting: a team's name, phone and e-mail."""

    team: str
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class Terms:
    self_booked: bool
    can_cancel_online: bool
    cancel_until: datetime | None
    can_rebook_online: bool
    rebook_until: datetime | None
    contact: Contact | None

    @property
    def needs_contact(self) -> bool:
        """The citizen must call or write to change the meeting one way or the other."""
        return not (self.can_cancel_online and self.can_rebook_online)


def limits(*, starts_at: datetime, accept_cancellation: bool, accept_rebooking: bool,
           rebooking_until_days: int | None) -> tuple[datetime | None, datetime | None]:
    """(cancellable until, rebookable until) of a meeting at `starts_at` (R-4.5).

    Cancellation until the meeting starts; rebooking until `rebooking_until_days` before.
    An offer and a call-in template give the same three facts, so every origin gets one rule.
    """
    cancellable = starts_at if accept_cancellation else None
    rebookable = (starts_at - timedelta(days=rebooking_until_days or 0)
                  if accept_rebooking else None)
    return cancellable, rebookable


def team_contact(team: Team | None) -> Contact | None:
    """The team's phone and e-mail, else those of its nearest ancestor that has any."""
    if team is None:
        return None
    for holder in (team, *team.ancestors()):
        if holder.phone or holder.email:
            phone = display_phone(holder.phone) if holder.phone else None
            return Contact(team=holder.name, phone=phone, email=holder.email)
    return None


def team_address(team: Team | None) -> str:
    """The visiting address of the team, else of its nearest ancestor that has one (R-8.6)."""
    for holder in (team, *team.ancestors()) if team is not None else ():
        if holder.address:
            place = " ".join(p for p in (holder.postal_code, holder.city) if p)
            return f"{holder.address}, {place}" if place else holder.address
    return ""


def _offer_open(booking: Booking) -> bool:
    if booking.offer_id is None:
        return False
    offer = db.session.get(OnlineOffer, booking.offer_id)
    return offer is not None and offer.active


def terms_for(booking: Booking, now: datetime) -> Terms:
    """What the citizen may do with `booking` at `now`, and whom to contact otherwise.

    Rebooking online needs an open offer to choose the new time from: a meeting the job
    centre called in (at a fixed time, by the batch, or from the case system) is moved by
    contacting the job centre, until its rebooking limit where its template gives one.
    """
    live = booking.status == BookingStatus.BOOKED
    cancel_until, rebook_until = booking.cancellable_until, booking.rebookable_until
    can_cancel = live and cancel_until is not None and now < cancel_until
    can_rebook = (live and rebook_until is not None and now < rebook_until
                  and _offer_open(booking))
    return Terms(self_booked=booking.origin == BookingOrigin.SELF_BOOKED,
                 can_cancel_online=can_cancel, cancel_until=cancel_until,
                 can_rebook_online=can_rebook, rebook_until=rebook_until,
                 contact=team_contact(booking.team))


def _contact_params(terms: Terms, language: str) -> dict[str, str]:
    contact = terms.contact
    if contact is None:
        return {"how": text("terms_contact_unknown", language)}
    ways = [text("terms_phone", language, phone=contact.phone) if contact.phone else "",
            text("terms_email", language, email=contact.email) if contact.email else ""]
    return {"how": ", ".join([contact.team, *(w for w in ways if w)])}


def sentences(terms: Terms, language: str, when: Callable[[datetime], str]) -> list[str]:
    """The terms as the citizen reads them, in `language`, with `when` formatting a moment.

    The receipt, the reminder, the portal page and the API all print these sentences.
    """
    lines = [text("terms_self_booked" if terms.self_booked else "terms_called_in", language)]
    if terms.can_rebook_online:
        lines.append(text("terms_rebook_online", language, until=when(terms.rebook_until)))  # type: ignore[arg-type]
    elif terms.rebook_until is not None:
        lines.append(text("terms_rebook_contact_until", language, until=when(terms.rebook_until),
                          **_contact_params(terms, language)))
    else:
        lines.append(text("terms_rebook_contact", language, **_contact_params(terms, language)))
    if terms.can_cancel_online:
        lines.append(text("terms_cancel_online", language, until=when(terms.cancel_until)))  # type: ignore[arg-type]
    else:
        lines.append(text("terms_cancel_contact", language, **_contact_params(terms, language)))
    return lines


def check_cancel(booking: Booking, now: datetime) -> Terms:
    """Refuse a citizen's cancellation the terms do not allow (R-4.5)."""
    terms = terms_for(booking, now)
    if booking.status != BookingStatus.BOOKED:
        raise DomainError.of("already_cancelled", code="already_cancelled")
    if terms.cancel_until is None:
        raise DomainError.of("cancellation_not_allowed", code="cancellation_not_allowed",
                             **_both_contacts(terms))
    if not terms.can_cancel_online:
        raise _too_late("cancellation_too_late", terms.cancel_until, terms)
    return terms


def check_rebook(booking: Booking, now: datetime) -> Terms:
    """Refuse a citizen's rebooking the terms do not allow (R-4.5)."""
    terms = terms_for(booking, now)
    if booking.status != BookingStatus.BOOKED:
        raise DomainError.of("not_movable", code="not_movable")
    if terms.rebook_until is None or booking.offer_id is None:
        raise DomainError.of("rebooking_not_allowed", code="rebooking_not_allowed",
                             **_both_contacts(terms))
    if now >= terms.rebook_until:
        raise _too_late("rebooking_too_late", terms.rebook_until, terms)
    if not terms.can_rebook_online:
        raise DomainError.of("rebooking_offer_closed", code="rebooking_not_allowed",
                             **_both_contacts(terms))
    return terms


def _both_contacts(terms: Terms) -> dict[str, str]:
    # DomainError.of fills one set of params into both languages; the contact sentence
    # differs by language, so the two are rendered and handed over as separate fields.
    return {"how_da": _contact_params(terms, "da")["how"],
            "how_en": _contact_params(terms, "en")["how"]}


def _too_late(code: str, until: datetime, terms: Terms) -> DomainError:
    return DomainError.of(code, code=code, until_da=f"{until:%d.%m.%Y kl. %H:%M}",
                          until_en=f"{until:%Y-%m-%d %H:%M}", **_both_contacts(terms))
