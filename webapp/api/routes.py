"""The citizen API under /api/v1: the portal's operations as JSON (R-4.10).

Authentication: `Authorization: Bearer <token>` of an external portal (an `ApiClient`)
and `X-Citizen-CPR: <cpr>` naming the citizen the portal has authenticated. Errors are
`{"code", "message_da", "message_en", "field"}` with a stable code; a lost race is 409.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import g, jsonify, request
from werkzeug.wrappers import Response

from webapp.api.blueprint import bp
from webapp.administration.api_clients import portal_client_with_citizen
from webapp.api.openapi import openapi_document
from webapp.ratelimit import booking_limit, citizen_key, limiter
from webapp.api.schemas import (booking_json, deadline_json, offer_json, parse_date,
                                parse_datetime, parse_id, parse_text, reservation_json, slot_json)
from webapp.clock import now_local
from webapp.domain.cpr import normalise_cpr
from webapp.domain.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.models import Citizen, OnlineOffer
from webapp.selfbooking import deadlines
from webapp.selfbooking import offers
from webapp.selfbooking import reservations as selfbooking
from webapp.selfbooking import meetings as meeting_service
from webapp.selfbooking import slots as slot_service

log = logging.getLogger(__name__)


class Unauthorised(DomainError):
    code = "unauthorised"
    http_status = 401


def _citizen() -> Citizen:
    """The citizen the calling portal acts for (R-0.1: only its own job centre's)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    raw = request.headers.get("X-Citizen-CPR", "")
    cpr = bad_cpr = None
    try:
        cpr = normalise_cpr(raw[:40]) if raw else None
    except DomainError as error:
        bad_cpr = error
    client, citizen = (portal_client_with_citizen(token.strip(), cpr)
                       if scheme.lower() == "bearer" else (None, None))
    if client is None:
        raise Unauthorised.of("unauthorised", code="unauthorised")
    if not raw:
        raise DomainError.of("citizen_missing", field="X-Citizen-CPR", code="citizen_missing")
    if bad_cpr is not None:
        raise DomainError(bad_cpr.message_da, bad_cpr.message_en, field="X-Citizen-CPR",
                          code="cpr_invalid")
    if citizen is None:
        raise NotFound.of("citizen_not_found", field="X-Citizen-CPR", code="citizen_not_found")
    g.api_client = client
    return citizen


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and not request.get_data():
        return {}
    if not isinstance(data, dict):
        raise DomainError.of("invalid_json", code="invalid_json")
    return data


def _slot_window() -> tuple[Any, Any]:
    first = parse_date(request.args.get("from"), "from")
    last = parse_date(request.args.get("to"), "to")
    return first, last


# ---------------------------------------------------------------------------
# Document
# ---------------------------------------------------------------------------

@bp.get("/openapi.json")
@limiter.exempt
def openapi() -> Response:
    return jsonify(openapi_document())


# ---------------------------------------------------------------------------
# Offers and slots
# ---------------------------------------------------------------------------

@bp.get("/offers")
def list_offers() -> Response:
    citizen = _citizen()
    today = now_local().date()
    return jsonify([offer_json(o, today) for o in offers.offers_for_citizen(citizen, today)])


@bp.get("/offers/<int:offer_id>")
def get_offer(offer_id: int) -> Response:
    citizen = _citizen()
    today = now_local().date()
    offer = offers.offer_for_citizen(parse_id(offer_id, "offer_id"), citizen, today)
    return jsonify(offer_json(offer, today))


@bp.get("/offers/<int:offer_id>/slots")
def offer_slots(offer_id: int) -> Response:
    citizen = _citizen()
    now = now_local()
    offer = offers.offer_for_citizen(parse_id(offer_id, "offer_id"), citizen, now.date())
    first, last = _slot_window()
    raw = request.args.get("caseworker_id") or ""
    cw = None
    if raw:
        cw = parse_id(int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 else -1, "caseworker_id")
        if not offer.citizen_chooses_caseworker:
            raise DomainError.of("caseworker_choice_not_allowed", field="caseworker_id",
                                 code="caseworker_choice_not_allowed")
    slots = slot_service.list_slots(offer, now=now, first=first, last=last, caseworker_id=cw)
    names = meeting_service.caseworker_names({cw for s in slots for cw in s.caseworker_ids})
    return jsonify([slot_json(s, names, offer.citizen_chooses_caseworker) for s in slots])


# ---------------------------------------------------------------------------
# Reserve, confirm, book
# ---------------------------------------------------------------------------

def _slot_choice(data: dict[str, Any]) -> dict[str, Any]:
    session_id = parse_id(data.get("session_id"), "session_id", required=False)
    return {
        "starts_at": parse_datetime(data.get("starts_at"), "starts_at",
                                    required=session_id is None),
        "caseworker_id": parse_id(data.get("caseworker_id"), "caseworker_id", required=False),
        "session_id": session_id,
    }


@bp.post("/reservations")
@limiter.limit(booking_limit, key_func=citizen_key)
def create_reservation() -> tuple[Response, int]:
    citizen = _citizen()
    data = _body()
    now = now_local()
    offer = offers.offer_for_citizen(parse_id(data.get("offer_id"), "offer_id"), citizen, now.date())
    reservation = selfbooking.reserve(citizen, offer, now=now, **_slot_choice(data))
    body = reservation_json(reservation, now)
    db.session.commit()
    return jsonify(body), 201


@bp.delete("/reservations/<reservation_id>")
@limiter.limit(booking_limit, key_func=citizen_key)
def delete_reservation(reservation_id: str) -> tuple[str, int]:
    citizen = _citizen()
    selfbooking.release(citizen, reservation_id, now=now_local())
    db.session.commit()
    return "", 204


@bp.post("/reservations/<reservation_id>/confirm")
@limiter.limit(booking_limit, key_func=citizen_key)
def confirm_reservation(reservation_id: str) -> tuple[Response, int]:
    citizen = _citizen()
    now = now_local()
    booking = selfbooking.confirm(citizen, reservation_id, now=now)
    body = booking_json(booking, now)
    db.session.commit()
    return jsonify(body), 201


@bp.post("/bookings")
@limiter.limit(booking_limit, key_func=citizen_key)
def create_booking() -> tuple[Response, int]:
    citizen = _citizen()
    data = _body()
    now = now_local()
    offer = offers.offer_for_citizen(parse_id(data.get("offer_id"), "offer_id"), citizen, now.date())
    booking = selfbooking.book(citizen, offer, now=now, **_slot_choice(data))
    body = booking_json(booking, now)
    db.session.commit()
    return jsonify(body), 201


# ---------------------------------------------------------------------------
# My meetings: see, cancel, rebook
# ---------------------------------------------------------------------------

@bp.get("/bookings")
def list_bookings() -> Response:
    citizen = _citizen()
    now = now_local()
    return jsonify([booking_json(b, now) for b in selfbooking.live_bookings_of(citizen, now)])


def _own_booking(citizen: Citizen, booking_id: int):  # type: ignore[no-untyped-def]
    return meeting_service.booking_for_citizen(citizen, parse_id(booking_id, "booking_id"))


@bp.get("/bookings/<int:booking_id>")
def get_booking(booking_id: int) -> Response:
    citizen = _citizen()
    now = now_local()
    booking = _own_booking(citizen, booking_id)
    meeting_service.see_booking(citizen, booking)
    body = booking_json(booking, now)
    db.session.commit()
    return jsonify(body)


@bp.post("/bookings/<int:booking_id>/cancel")
@limiter.limit(booking_limit, key_func=citizen_key)
def cancel_booking(booking_id: int) -> Response:
    citizen = _citizen()
    data = _body()
    now = now_local()
    booking = _own_booking(citizen, booking_id)
    booking = meeting_service.cancel(citizen, booking, now=now,
                                 reason=parse_text(data.get("reason"), "reason"))
    body = booking_json(booking, now)
    db.session.commit()
    return jsonify(body)


@bp.get("/bookings/<int:booking_id>/slots")
def rebook_slots(booking_id: int) -> Response:
    citizen = _citizen()
    now = now_local()
    booking = _own_booking(citizen, booking_id)
    first, last = _slot_window()
    slots = meeting_service.rebook_slots(citizen, booking, now=now, first=first, last=last)
    offer = db.session.get(OnlineOffer, booking.offer_id)
    show = bool(offer and offer.citizen_chooses_caseworker)
    names = meeting_service.caseworker_names({cw for s in slots for cw in s.caseworker_ids})
    return jsonify([slot_json(s, names, show) for s in slots])


@bp.post("/bookings/<int:booking_id>/rebook")
@limiter.limit(booking_limit, key_func=citizen_key)
def rebook_booking(booking_id: int) -> Response:
    citizen = _citizen()
    data = _body()
    now = now_local()
    booking = _own_booking(citizen, booking_id)
    booking = meeting_service.rebook(citizen, booking, now=now, **_slot_choice(data))
    body = booking_json(booking, now)
    db.session.commit()
    return jsonify(body)


@bp.get("/deadlines")
def list_deadlines() -> Response:
    citizen = _citizen()
    return jsonify([deadline_json(d) for d in deadlines.open_deadlines(citizen)])
