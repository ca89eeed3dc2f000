"""The JSON API for external citizen portals, /api/v1 (R-4.10)."""

from __future__ import annotations


import click
from flask import Flask, jsonify, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from webapp.api.blueprint import bp
from webapp.domain.errors import DomainError
from webapp.errors import http_error_page, record_failure
from webapp.extensions import csrf, db
from webapp.limits import too_large_body
from webapp.messages import texts


_HTTP_CODES = {400: "bad_request", 401: "unauthorised", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
               429: "rate_limited"}


def _is_api() -> bool:
    return request.path.startswith(bp.url_prefix or "/api/v1")


def error_body(code: str, message_da: str, message_en: str, field: str | None = None) -> dict:
    return {"code": code, "message_da": message_da, "message_en": message_en, "field": field}


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):  # type: ignore[no-untyped-def]
    db.session.rollback()
    return jsonify(error.as_dict()), error.http_status


def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    """Every error under /api/v1 is JSON with a stable code; other paths get the Danish pages (R-8.1)."""
    if not _is_api():
        return http_error_page(error)
    db.session.rollback()
    status = error.code or 500
    if isinstance(error, RateLimitExceeded):
        body = error_body("rate_limited", *texts("rate_limited"))
    elif status == 413:
        body = too_large_body()
    else:
        # Werkzeug's description says in English what was wrong with the request.
        body = error_body(_HTTP_CODES.get(status, "http_error"), texts("http_error").da,
                          error.description or error.name)
    response = jsonify(body)
    response.status_code = status
    for name in ("Retry-After", "Allow"):
        if error.get_response().headers.get(name):
            response.headers[name] = error.get_response().headers[name]
    return response


@bp.errorhandler(Exception)
def internal_error(error: Exception):  # type: ignore[no-untyped-def]
    """Anything unexpected in an API view is a JSON 500, logged with its traceback."""
    if isinstance(error, HTTPException):
        return http_error(error)
    reference = record_failure(error)
    return jsonify(error_body("internal_error", *texts("internal_error")) | {"reference": reference}), 500


@bp.cli.command("create-client")
@click.option("--job-centre", "job_centre_name", required=True, help="Job centre name")
@click.option("--name", required=True, help="Name of the external system")
@click.option("--purpose", type=click.Choice(["citizen_portal", "case_system"]),
              default="citizen_portal", show_default=True,
              help="A citizen portal (this API) or the case system (inbound appointments)")
def create_client_command(job_centre_name: str, name: str, purpose: str) -> None:
    """Issue a bearer token for an external system; it is printed once."""
    from sqlalchemy import select

    from webapp.administration.api_clients import issue_client
    from webapp.models import JobCentre
    job_centre = db.session.scalar(select(JobCentre).where(JobCentre.name == job_centre_name))
    if job_centre is None:
        raise click.ClickException(f"Unknown job centre: {job_centre_name}")
    try:
        client, token = issue_client(job_centre, name, purpose)
    except DomainError as error:
        raise click.ClickException(error.message_en) from None
    db.session.commit()
    click.echo(f"Client {client.name} (id {client.id}); token (shown once): {token}")


def init_api(app: Flask) -> None:
    from webapp.api import routes  # noqa: F401  (registers the views)

    csrf.exempt(bp)
    app.register_blueprint(bp)
    # Errors raised before an API view runs (no such path, wrong method, rate limit).
    for status in (404, 405, 429):
        app.register_error_handler(status, http_error)
