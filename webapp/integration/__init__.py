"""Inbound appointments from the municipal case system over HTTP (R-1.11.1).

    POST /integration/v1/appointments
    Authorization: Bearer <token of an API client with purpose "case_system">
    Content-Type: application/json
    (one message, see webapp/services/inbound.py)

Every message that gets past authentication is logged raw with its outcome, also the
rejected ones; the answer says what happened: 200 with the outcome, or 422 with the
reason in Danish and English. The case system may resend a message: an appointment
is matched on its `appointment_id`.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from webapp.clock import now_local
from webapp.extensions import csrf, db
from webapp.models import ApiClient

bp = Blueprint("integration", __name__, url_prefix="/integration/v1")

MAX_MESSAGE_BYTES = 64 * 1024


def _unauthorised():  # type: ignore[no-untyped-def]
    return jsonify({"code": "unauthorised",
                    "message_da": "Adgang nægtet: ugyldigt eller manglende token.",
                    "message_en": "Access denied: missing or invalid token."}), 401


@bp.post("/appointments")
def receive_appointment():  # type: ignore[no-untyped-def]
    from webapp.api.clients import client_for_token
    from webapp.services.inbound import receive

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    client = (client_for_token(token.strip(), ApiClient.CASE_SYSTEM)
              if scheme.lower() == "bearer" else None)
    if client is None:
        return _unauthorised()
    if (request.content_length or 0) > MAX_MESSAGE_BYTES:
        return jsonify({"code": "too_large", "message_da": "Beskeden er for stor.",
                        "message_en": "The message is too large."}), 413
    raw = request.get_data(as_text=True)
    outcome = receive(client.job_centre_id, raw, now=now_local())
    db.session.commit()
    body = {"outcome": outcome.code, "detail": outcome.detail, "booking_id": outcome.booking_id}
    if outcome.accepted:
        return jsonify(body), 200
    return jsonify(body | {"code": "rejected", "message_da": outcome.detail,
                           "message_en": "The message was rejected; see message_da."}), 422


def init_integration(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
