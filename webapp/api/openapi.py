"""The OpenAPI 3 document of /api/v1, served at /api/v1/openapi.json (R-4.10)."""

from __future__ import annotations

from typing import Any

from webapp.version import __version__

ERROR_CODES = {
    "unauthorised": "401: the bearer token is missing, unknown or revoked.",
    "citizen_missing": "400: the X-Citizen-CPR header is missing.",
    "cpr_invalid": "400: the X-Citizen-CPR header is not a valid CPR number.",
    "citizen_not_found": "404: the citizen is not known to the token's job centre.",
    "invalid_json": "400: the body is not a JSON object.",
    "invalid_field": "400: a field or parameter has the wrong type or form (see `field`).",
    "offer_not_found": "404: no such offer, or not open to this citizen.",
    "booking_not_found": "404: no such meeting of this citizen.",
    "session_not_found": "404: no such group meeting.",
    "not_found": "404: no such path.",
    "method_not_allowed": "405",
    "too_soon": "400: bookings can be made from tomorrow on (R-4.2).",
    "outside_offer": "400: the time is outside the offer's period.",
    "caseworker_choice_not_allowed": "400: the job centre chooses the caseworker in this offer.",
    "unknown_caseworker": "400: the caseworker is not part of the offer.",
    "slot_taken": "409: the time was taken by someone else; choose another (R-4.4).",
    "no_seats": "409: the group meeting has no seat left (R-4.4).",
    "reservation_expired": "409: the reservation has expired or does not exist; reserve again (R-4.7).",
    "already_booked": "409: the citizen already has a meeting in this offer; rebook it instead.",
    "already_attending": "409: the citizen already attends that group meeting.",
    "already_cancelled": "400: the meeting is already cancelled.",
    "cancellation_not_allowed": "400: the meeting cannot be cancelled online (R-4.5).",
    "cancellation_too_late": "400: the cancellation deadline has passed (R-4.5).",
    "rebooking_not_allowed": "400: the meeting cannot be rebooked online (R-4.5).",
    "rebooking_too_late": "400: the rebooking deadline has passed (R-4.5).",
    "rebooking_other_kind": "400: a group meeting can only move to one with the same team, type "
                            "and variant (R-1.7.3).",
    "same_time": "400: the new time is the one the citizen already has.",
    "not_movable": "400: only booked meetings can be rebooked.",
    "rate_limited": "429: too many requests; wait for Retry-After seconds.",
    "internal_error": "500: an error at the job centre; it is logged.",
}

_DESCRIPTION = """\
The job centre's self-booking operations for an external citizen portal (R-4.10).

**Authentication.** The job centre issues each external portal a bearer token
(`flask api create-client --job-centre NAME --name PORTAL`; stored only as its SHA-256).
The portal authenticates the citizen itself (MitID) and names them on every call in the
`X-Citizen-CPR` header (10 digits, a dash allowed). A token only reaches the citizens of
its own job centre. Use TLS.

**Times** are Europe/Copenhagen wall-clock times. Responses carry the UTC offset
(`2027-03-02T09:00:00+01:00`); requests may send one, or none (then Copenhagen time).

**Booking** is two steps, as the national portal does it: `POST /reservations` holds a
slot for a few minutes for this citizen only, `POST /reservations/{id}/confirm` books it.
An expired reservation frees the slot by itself. `POST /bookings` does both in one call.
When two citizens want the same time exactly one gets it; the other gets **409** with
code `slot_taken`, `no_seats` or `reservation_expired`: choose another time.

**Errors** are `{"code", "message_da", "message_en", "field"}`. The codes are stable:

""" + "\n".join(f"- `{code}` — {text}" for code, text in ERROR_CODES.items()) + """

**Rate limits** apply to booking operations per citizen and to logging in (429 with
Retry-After).
"""


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    names = {400: "Invalid input", 401: "Missing or invalid token", 404: "Not found",
             409: "Taken: choose another", 429: "Rate limited"}
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in statuses if s in names}


_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_NAMED = {"type": "object", "required": ["id", "name"],
          "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                         "code": {"type": ["integer", "string"]}}}
_STAMP = {"type": "string", "format": "date-time"}
_DAY = {"type": "string", "format": "date"}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["code", "message_da", "message_en"],
        "properties": {"code": {"type": "string", "enum": list(ERROR_CODES) + [
                           "bad_request", "forbidden", "too_large", "unsupported_media_type",
                           "http_error", "invalid", "conflict", "booking_gone",
                           "caseworker_busy", "caseworker_absent", "room_busy", "closure_day", "outside_working_time",
                           "in_the_past", "no_caseworker", "not_joinable"]},
                       "message_da": {"type": "string"}, "message_en": {"type": "string"},
                       "field": {"type": ["string", "null"]}},
    },
    "Named": _NAMED,
    "NamedOrNull": {"oneOf": [_NAMED, {"type": "null"}]},
    "Offer": {
        "type": "object",
        "required": ["id", "name", "meeting_form", "duration_minutes", "first_day", "last_day",
                     "citizen_chooses_caseworker", "caseworkers"],
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"},
            "description": {"type": ["string", "null"]},
            "conversation_type": _ref("Named"), "variant": _ref("NamedOrNull"),
            "meeting_form": {"type": "string", "enum": ["individual", "group"]},
            "holding_form": _ref("Named"), "duration_minutes": {"type": "integer"},
            "team": _ref("Named"),
            "first_day": {"type": ["string", "null"], "format": "date"},
            "last_day": {"type": ["string", "null"], "format": "date"},
            "citizen_chooses_caseworker": {"type": "boolean"},
            "caseworkers": {"type": "array", "items": _ref("Named")},
            "accept_cancellation": {"type": "boolean"}, "accept_rebooking": {"type": "boolean"},
            "rebooking_until_days": {"type": "integer"},
        },
    },
    "Slot": {
        "type": "object", "required": ["starts_at", "ends_at", "caseworkers"],
        "properties": {
            "starts_at": _STAMP, "ends_at": _STAMP,
            "caseworkers": {"type": "array", "items": _ref("Named"),
                            "description": "Who is free then; listed only where the citizen chooses."},
            "session_id": {"type": ["integer", "null"],
                           "description": "A group meeting to join (send it as session_id)."},
            "seats_left": {"type": ["integer", "null"]},
        },
    },
    "Booking": {
        "type": "object",
        "required": ["id", "status", "starts_at", "ends_at", "self_booked", "can_cancel",
                     "can_rebook"],
        "properties": {
            "id": {"type": "integer", "description": "The conversation number."},
            "status": {"type": "string", "enum": ["reserved", "booked", "cancelled"]},
            "starts_at": _STAMP, "ends_at": _STAMP,
            "conversation_type": _ref("Named"), "variant": _ref("NamedOrNull"),
            "meeting_form": {"type": "string", "enum": ["individual", "group"]},
            "holding_form": _ref("Named"), "place": {"type": "string"},
            "caseworkers": {"type": "array", "items": {"type": "string"}},
            "offer_id": {"type": ["integer", "null"]},
            "self_booked": {"type": "boolean"},
            "can_cancel": {"type": "boolean"},
            "cancellable_until": {"type": ["string", "null"], "format": "date-time"},
            "can_rebook": {"type": "boolean"},
            "rebookable_until": {"type": ["string", "null"], "format": "date-time",
                                 "description": "Rebooking limit; online only if can_rebook, "
                                                "else by contacting the job centre."},
            "terms": _ref("Terms"),
            "seats_left": {"type": ["integer", "null"]},
        },
    },
    "Terms": {
        "type": "object", "required": ["needs_contact", "contact", "text_da", "text_en"],
        "description": "R-4.5, R-4.9: what the citizen may change, as the receipt and the "
                       "portal say it; where a change is not possible online, whom to contact.",
        "properties": {
            "needs_contact": {"type": "boolean"},
            "contact": {"type": ["object", "null"], "properties": {
                "team": {"type": "string"}, "phone": {"type": ["string", "null"]},
                "email": {"type": ["string", "null"]}}},
            "text_da": {"type": "array", "items": {"type": "string"}},
            "text_en": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Reservation": {
        "type": "object", "required": ["id", "expires_at", "booking"],
        "properties": {"id": {"type": "string", "pattern": "^[bs][0-9]+$"},
                       "expires_at": _STAMP, "booking": _ref("Booking")},
    },
    "Deadline": {
        "type": "object", "required": ["id", "deadline_date", "status"],
        "properties": {"id": {"type": "integer"}, "conversation_type": _ref("Named"),
                       "deadline_date": _DAY, "status": {"type": "string"}},
    },
    "SlotChoice": {
        "type": "object",
        "description": "A start from the slot list, or a group meeting's session_id.",
        "properties": {
            "starts_at": _STAMP,
            "caseworker_id": {**_ID, "description": "Only where the offer lets the citizen choose."},
            "session_id": _ID,
        },
    },
}
SCHEMAS["BookingRequest"] = {
    "type": "object", "required": ["offer_id"],
    "properties": {"offer_id": _ID, **SCHEMAS["SlotChoice"]["properties"]},
}
SCHEMAS["CancelRequest"] = {
    "type": "object", "properties": {"reason": {"type": "string", "maxLength": 500}},
}

_SECURITY = [{"portalToken": [], "citizenCpr": []}]
_WINDOW = [
    {"name": "from", "in": "query", "required": False, "schema": _DAY,
     "description": "First day (default: tomorrow or the offer's first day)."},
    {"name": "to", "in": "query", "required": False, "schema": _DAY,
     "description": "Last day (default: the offer's end date)."},
]


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _ID}


_RESERVATION_ID = {"name": "reservation_id", "in": "path", "required": True,
                   "schema": {"type": "string", "pattern": "^[bs][0-9]{1,12}$"}}


def openapi_document() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/offers": {"get": {
            "operationId": "listOffers", "summary": "Offers open to the citizen (R-4.2)",
            "responses": {"200": _json({"type": "array", "items": _ref("Offer")}, "Offers"),
                          **_errors(400, 401, 404)}}},
        "/offers/{offer_id}": {"get": {
            "operationId": "getOffer", "summary": "One offer",
            "parameters": [_path_id("offer_id")],
            "responses": {"200": _json(_ref("Offer"), "The offer"), **_errors(400, 401, 404)}}},
        "/offers/{offer_id}/slots": {"get": {
            "operationId": "listSlots",
            "summary": "Free slots from tomorrow to the offer's end (R-4.2, R-4.3)",
            "parameters": [_path_id("offer_id"), *_WINDOW,
                           {"name": "caseworker_id", "in": "query", "required": False,
                            "schema": _ID, "description": "Where the citizen chooses."}],
            "responses": {"200": _json({"type": "array", "items": _ref("Slot")}, "Slots"),
                          **_errors(400, 401, 404)}}},
        "/reservations": {"post": {
            "operationId": "reserve", "summary": "Hold a slot for a few minutes (R-4.7)",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("BookingRequest")}}},
            "responses": {"201": _json(_ref("Reservation"), "Held"),
                          **_errors(400, 401, 404, 409, 429)}}},
        "/reservations/{reservation_id}": {"delete": {
            "operationId": "releaseReservation", "summary": "Let go of a reservation",
            "parameters": [_RESERVATION_ID],
            "responses": {"204": {"description": "Released"}, **_errors(400, 401, 404, 409, 429)}}},
        "/reservations/{reservation_id}/confirm": {"post": {
            "operationId": "confirmReservation", "summary": "Book the held slot (R-4.7)",
            "parameters": [_RESERVATION_ID],
            "responses": {"201": _json(_ref("Booking"), "Booked"),
                          **_errors(400, 401, 404, 409, 429)}}},
        "/bookings": {
            "get": {"operationId": "listBookings", "summary": "The citizen's coming meetings (R-4.9)",
                    "responses": {"200": _json({"type": "array", "items": _ref("Booking")},
                                               "Meetings"), **_errors(400, 401, 404)}},
            "post": {"operationId": "book", "summary": "Reserve and confirm in one step",
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": _ref("BookingRequest")}}},
                     "responses": {"201": _json(_ref("Booking"), "Booked"),
                                   **_errors(400, 401, 404, 409, 429)}}},
        "/bookings/{booking_id}": {"get": {
            "operationId": "getBooking", "summary": "One meeting, with what may be changed (R-4.9)",
            "parameters": [_path_id("booking_id")],
            "responses": {"200": _json(_ref("Booking"), "The meeting"), **_errors(400, 401, 404)}}},
        "/bookings/{booking_id}/cancel": {"post": {
            "operationId": "cancelBooking", "summary": "Cancel where the offer allows (R-4.5)",
            "parameters": [_path_id("booking_id")],
            "requestBody": {"required": False, "content": {"application/json": {
                "schema": _ref("CancelRequest")}}},
            "responses": {"200": _json(_ref("Booking"), "Cancelled"),
                          **_errors(400, 401, 404, 409, 429)}}},
        "/bookings/{booking_id}/slots": {"get": {
            "operationId": "listRebookSlots", "summary": "Where the meeting may be moved",
            "parameters": [_path_id("booking_id"), *_WINDOW],
            "responses": {"200": _json({"type": "array", "items": _ref("Slot")}, "Slots"),
                          **_errors(400, 401, 404)}}},
        "/bookings/{booking_id}/rebook": {"post": {
            "operationId": "rebookBooking",
            "summary": "Move the meeting to another slot (R-4.5, R-1.7.3)",
            "parameters": [_path_id("booking_id")],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("SlotChoice")}}},
            "responses": {"200": _json(_ref("Booking"), "Moved"),
                          **_errors(400, 401, 404, 409, 429)}}},
        "/deadlines": {"get": {
            "operationId": "listDeadlines", "summary": "Open self-booking deadlines (R-4.8)",
            "responses": {"200": _json({"type": "array", "items": _ref("Deadline")}, "Deadlines"),
                          **_errors(400, 401, 404)}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Samtaleplanlægger – borgerens selvbooking", "version": __version__,
                 "description": _DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": _SECURITY,
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "portalToken": {"type": "http", "scheme": "bearer",
                                "description": "The external portal's token."},
                "citizenCpr": {"type": "apiKey", "in": "header", "name": "X-Citizen-CPR",
                               "description": "CPR number of the citizen the portal acts for."},
            },
            "responses": {
                f"E{status}": _json(_ref("Error"), text) for status, text in (
                    (400, "Invalid input"), (401, "Missing or invalid token"), (404, "Not found"),
                    (409, "Taken: choose another time"), (429, "Rate limited"))},
        },
    }
