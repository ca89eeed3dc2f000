"""Inbound appointments from the municipal case system over HTTP (R-1.11.1).

    POST /integration/v1/appointments
    Authorization: Bearer <token of an API client with purpose "case_system">
    Content-Type: application/json
    (one message, see webapp/callins/inbound.py)

Every message that gets past authentication is logged raw with its outcome, also the
rejected ones; the answer says what happened: 200 with the outcome, or 422 with a
stable `code`, the `field` at fault and the reason in Danish and English (R-7.6), also
when the service failed unexpectedly (`processing_failed`). A body over the size cap (413),
nested too deep or cut short (400) is refused before the service reads it, and logged too.
The case system may resend a message: an appointment is matched on its `appointment_id`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, jsonify, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from webapp.clock import now_local
from webapp.domain.errors import DomainError
from webapp.extensions import csrf, db
from webapp.limits import JsonTooDeep, check_json_depth, json_depth_limit, too_large_body
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


def _case_system() -> ApiClient | None:
    """The case system's client named by the request's bearer token, if it is valid."""
    from webapp.administration.api_clients import client_for_token

    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return client_for_token(token.strip(), ApiClient.CASE_SYSTEM) if scheme.lower() == "bearer" else None


INCOMPLETE_BODY = DomainError("Beskeden blev afbrudt, før hele indholdet var modtaget.",
                              "The message was cut off before its whole body was received.",
                              code="incomplete_body")


@bp.post("/appointments")
def receive_appointment():  # type: ignore[no-untyped-def]
    client = _case_system()
    if client is None:
        return _unauthorised()
    # The cap holds while the body is read, so also for a chunked body without Content-Length;
    # more is a 413 (too_large below). Deep JSON is refused before anything parses it.
    request.max_content_length = min(MAX_MESSAGE_BYTES, request.max_content_length or MAX_MESSAGE_BYTES)
    try:
        raw = request.get_data()
    except ClientDisconnected:
        return _refused(client.job_centre_id, b"", INCOMPLETE_BODY, 400)
    try:
        check_json_depth(raw, json_depth_limit())
    except JsonTooDeep as error:
        return _refused(client.job_centre_id, raw, error, 400)
    return _answer(_receive(client.job_centre_id, raw))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
    """413 in JSON; logged when the token is valid (R-7.6). A body with its Content-Length over the
    cap is refused before the view (webapp/limits.py) and never read, so its log line has no body."""
    body = too_large_body()
    client = _case_system()
    if client is None:
        return jsonify(body), 413
    refusal = DomainError(body["message_da"], body["message_en"], code=body["code"])
    return _refused(client.job_centre_id, b"", refusal, 413)


def _refused(job_centre_id: int, raw: bytes, error: DomainError, status: int):  # type: ignore[no-untyped-def]
    """A message refused before the service could read it, logged as rejected (R-7.6)."""
    from webapp.callins.inbound import log_refusal

    outcome = log_refusal(job_centre_id, raw, error, now=now_local())
    db.session.commit()
    return jsonify({"outcome": outcome.code, "detail": outcome.detail, "booking_id": None}
                   | error.as_dict()), status


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
