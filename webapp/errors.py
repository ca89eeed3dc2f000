"""While the database cannot be reached every request gets a 503 with a Danish answer, not a 500 (R-7.9);
an unexpected error gets a Danish 500 page with a reference number that is also in the system log (R-1.10.1).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from webapp.clock import now_local
from webapp.extensions import db
from webapp.language import current_language
from webapp.messages import texts
from webapp.models import LogLevel, SystemLogEntry

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
ERROR_CATEGORY = "error"  # the system log's category of unexpected errors
JSON_PREFIXES = ("/api/", "/integration/", "/health")

# SQLSTATE classes of a lost or refused connection: 08 (connection exception) and the
# server shutting down or starting up. Errors the server reports about a statement
# (a timeout, a deadlock, a missing table) have other codes and stay what they are.
_PG_UNREACHABLE = ("08", "57P01", "57P02", "57P03")
# SQLite's primary result codes for a file that cannot be opened or read, or stays locked.
_SQLITE_UNREACHABLE = {5, 10, 14}   # SQLITE_BUSY, SQLITE_IOERR, SQLITE_CANTOPEN


class DatabaseUnavailable(OperationalError):
    """A connection-level database error: the database is down, away or refusing us.

    A subclass of `OperationalError`, so code that catches that still does; the app
    answers it with 503. Errors about a statement (bugs) are never turned into this.
    """


def is_unreachable(orig: BaseException, *, is_disconnect: bool) -> bool:
    """Whether a driver error means the database cannot be reached, not that a statement failed."""
    if is_disconnect:
        return True
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_UNREACHABLE
    if not hasattr(orig, "sqlstate"):
        return False
    # psycopg: errors raised by the client itself (refused, reset, closed) carry no SQLSTATE.
    sqlstate = orig.sqlstate
    return sqlstate is None or sqlstate.startswith(_PG_UNREACHABLE)


@event.listens_for(Engine, "handle_error")
def _mark_unreachable(context: ExceptionContext) -> DatabaseUnavailable | None:
    # The pre-ping must see the original error: it is how the pool finds a dead
    # connection and opens a new one once the database is back.
    error = context.sqlalchemy_exception
    if context.is_pre_ping or not isinstance(error, OperationalError | InterfaceError):
        return None
    if not is_unreachable(context.original_exception, is_disconnect=context.is_disconnect):
        return None
    return DatabaseUnavailable(error.statement, error.params, error.orig,
                               hide_parameters=True,
                               connection_invalidated=error.connection_invalidated)


def database_unavailable(error: DatabaseUnavailable) -> Any:
    """503 with Retry-After: a Danish page, or JSON with both messages for the machine paths."""
    # The driver's message names the server, never the statement or its parameters.
    log.warning("Database unreachable on %s %s: %s", request.method, request.path,
                str(error.orig).splitlines()[0] if str(error.orig) else type(error.orig).__name__)
    # End the session's transaction now: the teardown would otherwise reach for a
    # connection again and fail outside every handler.
    db.session.rollback()
    if request.path.startswith(JSON_PREFIXES):
        text = texts("database_unavailable")
        response = jsonify({"status": "unavailable", "code": "database_unavailable",
                            "message_da": text.da, "message_en": text.en, "field": None})
    else:
        # The page needs nothing from the database (no current user, no menu).
        response = Response(render_template("errors/503.html", retry_after=RETRY_AFTER_SECONDS),
                            mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def record_failure(error: BaseException) -> str:
    """Log an unexpected error under a new reference number and return it (R-1.10.1).

    The traceback goes to the process log; the system log gets the reference, the route and
    the exception's type, never its message, the path's values or the form, which may hold
    personal data.
    """
    reference = secrets.token_hex(4).upper()
    endpoint = request.url_rule.rule if request.url_rule is not None else "(ingen rute)"
    log.error("Unexpected error %s on %s %s", reference, request.method, endpoint, exc_info=error)
    try:
        db.session.rollback()
        db.session.add(SystemLogEntry(
            occurred_at=now_local(), level=LogLevel.ERROR, category=ERROR_CATEGORY,
            message=f"Uventet fejl {reference}: {type(error).__name__} ved {request.method} {endpoint}",
            figures={"reference": reference, "method": request.method, "route": endpoint,
                     "exception": type(error).__name__}))
        db.session.commit()
    except Exception:  # the error page must still be shown
        db.session.rollback()
        log.exception("Error %s could not be written to the system log", reference)
    return reference


def internal_error(error: InternalServerError) -> Any:
    """500: a Danish page (or JSON in both languages) with the reference the system log keeps."""
    reference = record_failure(error.original_exception or error)
    if request.path.startswith(JSON_PREFIXES):
        text = texts("internal_error")
        response = jsonify({"code": "internal_error", "message_da": text.da, "message_en": text.en,
                            "field": None, "reference": reference})
    else:
        response = Response(render_template("errors/500.html", reference=reference), mimetype="text/html")
    response.status_code = 500
    response.headers["Cache-Control"] = "no-store"
    return response


# the statuses with a page of their own (title and what to do in webapp/messages.py).
PAGES = (400, 403, 404, 405, 429)
PORTAL_PREFIX = "/portal"


def http_error_page(error: HTTPException) -> Any:
    """403, 404, 405, 429 and 400 as a Danish page that says what to do (R-8.1), phone-sized in
    the portal; JSON in both languages on the machine paths."""
    status = error.code if error.code in PAGES else 400
    text = texts(f"http_{status}")
    if request.path.startswith(JSON_PREFIXES):
        response = jsonify({"code": "http_error", "message_da": text.da, "message_en": text.en, "field": None})
    else:
        language = current_language()
        response = Response(render_template(
            "errors/http.html", status=error.code, title=getattr(texts(f"http_{status}_title"), language),
            text=getattr(text, language), portal=request.path.startswith(PORTAL_PREFIX)),
            mimetype="text/html")
    response.status_code = status
    for name in ("Retry-After", "Allow"):
        if error.get_response().headers.get(name):
            response.headers[name] = error.get_response().headers[name]
    return response


def health() -> Any:
    """200 when the app and its database answer; 503 (the handler above) when the database does not."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


def init_errors(app: Flask) -> None:
    """Call after the blueprints are registered."""
    app.register_error_handler(DatabaseUnavailable, database_unavailable)
    app.register_error_handler(InternalServerError, internal_error)
    # 404, 405 and 429 go through the API's handler first, which answers its own paths in
    # JSON with stable codes and hands every other path to `http_error_page`.
    for status in (400, 403):
        app.register_error_handler(status, http_error_page)
    # Flask asks a blueprint's handlers before the app's, so a blueprint's catch-all (the
    # API's JSON 500) would answer first; the outage is the same answer everywhere.
    for scope in [name for name in app.error_handler_spec if name is not None]:
        app.error_handler_spec[scope][None][DatabaseUnavailable] = database_unavailable
    app.add_url_rule("/health", "health", health, methods=["GET"])
    app.add_url_rule("/health", "health", health, methods=["GET"])
