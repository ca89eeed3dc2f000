"""Inbound appointments from the municipal case system over HTTP (R-1.11.1).

    POST /integration/v1/appointments
    Authorization: Bearer <token of an API client with purpose "case_system">
    Content-Type: application/json
    (one message, see webapp/services/inbound.py)

Every message that gets past authentication is logged raw with its outcome, also the
rejected ones; the answer says what happened: 200 with the outcome, or 422 with a
stable `code`, the `field` at fault and the reason in Danish and English (R-7.6), also
when the service failed unexpectedly (`processing_failed`). The case system may resend
a message: an appointment is matched on its `appointment_id`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, jsonify, request

from webapp.clock import now_local
from webapp.extensions import csrf, db
from webapp.limits import JsonTooDeep, check_json_depth, json_depth_limit
from webapp.messages import texts
from webapp.models import ApiClient

if TYPE_CHECKING:
    from webapp.callins.inbound import Outcome

logger = logging.getLogger(__name__)

bp = Blueprint("integration", __name__, url_prefix="/integration/v1")

MAX_MESSAGE_BYTES = 64 * 1024


def _unauthorised():  # type: ignore[no-untyped-def]
    text = texts("unauthorised")
    return jsonify({"code": "unauthorised", "message_da": text.da, "message_en": text.en}), 401


@bp.post("/appointments")
def receive_appointment():  # type: ignore[no-untyped-def]
    from webapp.api.clients import client_for_token

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    client = (client_for_token(token.strip(), ApiClient.CASE_SYSTEM)
              if scheme.lower() == "bearer" else None)
    if client is None:
        return _unauthorised()
    # The cap holds while the body is read, so also for a chunked body without Content-Length;
    # more is a 413 in JSON (webapp/limits.py). Deep JSON is refused before anything parses it.
    request.max_content_length = min(MAX_MESSAGE_BYTES, request.max_content_length or MAX_MESSAGE_BYTES)
    raw = request.get_data()
    try:
        check_json_depth(raw, json_depth_limit())
    except JsonTooDeep as error:
        return jsonify(error.as_dict()), 400
    return _answer(_receive(client.job_centre_id, raw))


def _receive(job_centre_id: int, raw: bytes) -> Outcome:
    """The service's outcome, committed; a fault on commit is logged as failed (R-7.6)."""
    from webapp.callins.inbound import log_failure, receive

    now = now_local()
    try:
        outcome = receive(job_centre_id, raw, now=now)
        db.session.commit()
    except Exception:
        # Should the database be away, this log write fails too and the app answers 503.
        db.session.rollback()
        logger.exception("Inbound message for job centre %s could not be saved", job_centre_id)
        outcome = log_failure(job_centre_id, raw, now=now)
        db.session.commit()
    return outcome


def _answer(outcome: Outcome):  # type: ignore[no-untyped-def]
    """200 with the outcome, or 422 with a stable code, the field and both messages (R-7.6)."""
    body = {"outcome": outcome.code, "detail": outcome.detail, "booking_id": outcome.booking_id}
    if outcome.accepted:
        return jsonify(body), 200
    error = outcome.error.as_dict() if outcome.error is not None else {
        "code": "rejected", "field": None, "message_da": outcome.detail,
        "message_en": "The message was rejected."}
    return jsonify(body | error), 422


def init_integration(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
