"""JSON shapes of the citizen API and the parsing of its inputs (R-4.10)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from webapp.domain.availability import from_utc, to_aware
from webapp.domain import bounds
from webapp.domain.errors import DomainError
from webapp.models import Booking, OnlineOffer, SelfBookingDeadline
from webapp.selfbooking import offers
from webapp.messaging import receipts
from webapp.selfbooking import reservations as selfbooking
from webapp.selfbooking import slots as slot_service
from webapp.booking import terms as booking_terms
from webapp.booking.writer import seats_left

MAX_ID = 2**31 - 1


def _invalid(field: str, message_da: str, message_en: str) -> DomainError:
    return DomainError(message_da, message_en, field=field, code="invalid_field")


def _out_of_range(field: str) -> DomainError:
    return _invalid(field, f"Feltet {field} skal ligge mellem {bounds.FIRST_YEAR} og {bounds.LAST_YEAR}.",
                    f"The field {field} must lie between {bounds.FIRST_YEAR} and {bounds.LAST_YEAR}.")


def stamp(moment: datetime | None) -> str | None:
    """Copenhagen wall-clock time with its UTC offset, e.g. 2027-03-02T09:00:00+01:00."""
    return None if moment is None else to_aware(moment).isoformat()


def parse_id(value: Any, field: str, *, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise _invalid(field, f"Feltet {field} skal være et positivt heltal.",
                       f"The field {field} must be a positive integer.")
    return value


def parse_datetime(value: Any, field: str, *, required: bool = True) -> datetime | None:
    """ISO 8601; with an offset it is converted to Copenhagen time, without one it is that."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise _invalid(field, f"Feltet {field} skal være et tidspunkt (ISO 8601).",
                       f"The field {field} must be a date-time (ISO 8601).")
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = from_utc(moment)
        moment.replace(fold=0)
    except (ValueError, OverflowError, DomainError):
        raise _invalid(field, f"Feltet {field} skal være et tidspunkt (ISO 8601).",
                       f"The field {field} must be a date-time (ISO 8601).") from None
    if not bounds.FIRST_YEAR <= moment.year <= bounds.LAST_YEAR:
        raise _out_of_range(field)
    return moment.replace(fold=0, microsecond=0)


def parse_date(value: str | None, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        day = date.fromisoformat(value)
    except (ValueError, TypeError):
        raise _invalid(field, f"Parameteren {field} skal være en dato (ÅÅÅÅ-MM-DD).",
                       f"The parameter {field} must be a date (YYYY-MM-DD).") from None
    if not bounds.FIRST_YEAR <= day.year <= bounds.LAST_YEAR:
        raise _out_of_range(field)
    return day


def parse_text(value: Any, field: str, *, max_length: int = 500) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        raise _invalid(field, f"Feltet {field} skal være en tekst på højst {max_length} tegn.",
                       f"The field {field} must be a text of at most {max_length} characters.")
    bounds.check_text(value, field, field, max_length=max_length, multiline=True, field=field)
    return value


def _named(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    out = {"id": obj.id, "name": obj.name}
    if getattr(obj, "code", None) is not None:
        out["code"] = obj.code
    return out


def offer_json(offer: OnlineOffer, today: date) -> dict[str, Any]:
    span = offers.window(offer, today)
    choose = offer.citizen_chooses_caseworker
    return {
        "id": offer.id,
        "name": offer.name,
        "description": offer.description,
        "conversation_type": _named(offer.conversation_type),
        "variant": _named(offer.variant),
        "meeting_form": offer.meeting_form.value,
        "holding_form": _named(offer.holding_form),
        "duration_minutes": offer.duration_minutes,
        "team": {"id": offer.team.id, "name": offer.team.name},
        "first_day": span[0].isoformat() if span else None,
        "last_day": span[1].isoformat() if span else None,
        "citizen_chooses_caseworker": choose,
        "caseworkers": ([{"id": c.id, "name": c.name}
                         for c in sorted(offer.caseworkers, key=lambda c: c.name)] if choose else []),
        "accept_cancellation": offer.accept_cancellation,
        "accept_rebooking": offer.accept_rebooking,
        "rebooking_until_days": offer.rebooking_until_days,
    }


def slot_json(slot: slot_service.Slot, names: dict[int, str], show_caseworkers: bool) -> dict[str, Any]:
    return {
        "starts_at": stamp(slot.starts_at),
        "ends_at": stamp(slot.ends_at),
        "caseworkers": ([{"id": cw, "name": names.get(cw, "")} for cw in slot.caseworker_ids]
                        if show_caseworkers else []),
        "session_id": slot.session_id,
        "seats_left": slot.seats_left,
    }


def booking_json(booking: Booking, now: datetime) -> dict[str, Any]:
    terms = booking_terms.terms_for(booking, now)
    return {
        "id": booking.id,
        "status": booking.status.value,
        "starts_at": stamp(booking.starts_at),
        "ends_at": stamp(booking.ends_at),
        "conversation_type": _named(booking.conversation_type),
        "variant": _named(booking.variant),
        "meeting_form": booking.meeting_form.value,
        "holding_form": _named(booking.holding_form),
        "place": receipts.meeting_place(booking),
        "caseworkers": sorted(link.caseworker.name for link in booking.caseworker_links),
        "offer_id": booking.offer_id,
        "self_booked": terms.self_booked,
        "can_cancel": terms.can_cancel_online,
        "cancellable_until": stamp(terms.cancel_until),
        "can_rebook": terms.can_rebook_online,
        "rebookable_until": stamp(terms.rebook_until),
        "terms": terms_json(terms),
        "seats_left": seats_left(booking, now),
    }


def _when_en(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y} at {moment:%H:%M}"


def terms_json(terms: booking_terms.Terms) -> dict[str, Any]:
    """R-4.9: the terms as data and as the sentences the receipt and the portal print."""
    contact = terms.contact
    return {
        "needs_contact": terms.needs_contact,
        "contact": None if contact is None else {"team": contact.team, "phone": contact.phone,
                                                 "email": contact.email},
        "text_da": booking_terms.sentences(terms, "da", receipts.format_datetime_da),
        "text_en": booking_terms.sentences(terms, "en", _when_en),
    }


def reservation_json(reservation: selfbooking.Reservation, now: datetime) -> dict[str, Any]:
    return {"id": reservation.id, "expires_at": stamp(reservation.expires_at),
            "booking": booking_json(reservation.booking, now)}


def deadline_json(deadline: SelfBookingDeadline) -> dict[str, Any]:
    return {"id": deadline.id, "conversation_type": _named(deadline.conversation_type),
            "deadline_date": deadline.deadline_date.isoformat(), "status": deadline.status.value}
