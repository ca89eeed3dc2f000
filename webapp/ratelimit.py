"""Rate limits on logging in and on booking (R-4.10): Flask-Limiter, memory storage by default.

Limits and storage come from the configuration (PLANNER_RATELIMIT_LOGIN,
PLANNER_RATELIMIT_BOOKING, PLANNER_RATELIMIT_STORAGE_URI, PLANNER_RATELIMIT_ENABLED).
Memory storage counts per process; with several gunicorn workers set a shared storage
(redis://... or memcached://...), and production warns at start without one. The
account and address lockout (R-7.3, webapp/administration/login_throttle.py) needs no such
store: it counts in the database.
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

from webapp.config import in_production

limiter = Limiter(key_func=get_remote_address)


def warn_if_not_shared(app: Flask) -> None:
    """In production, say that memory:// counts each worker process on its own (R-7.3)."""
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if in_production(app.config) and storage.startswith("memory://"):
        app.logger.warning(
            "PLANNER_RATELIMIT_STORAGE_URI is memory://: every worker process counts the rate limits "
            "on its own, so N workers allow N times the limit. Set redis://... or memcached://... "
            "(docs/operations.md).")


def login_limit() -> str:
    return str(current_app.config["PLANNER_RATELIMIT_LOGIN"])


def booking_limit() -> str:
    return str(current_app.config["PLANNER_RATELIMIT_BOOKING"])


def citizen_key() -> str:
    """Who is booking: the API client and citizen named in the headers, or the portal citizen.

    Computed from the request alone (the limit is checked before the view runs); the
    CPR number goes into the key only hashed.
    """
    token = request.headers.get("Authorization", "")
    cpr = "".join(ch for ch in request.headers.get("X-Citizen-CPR", "") if ch.isdigit())
    if token:
        return "api:" + hashlib.sha256(f"{token}|{cpr}".encode()).hexdigest()[:32]
    if getattr(current_user, "role", None) == "citizen":
        return f"citizen:{current_user.id}"
    return "ip:" + get_remote_address()


def init_ratelimit(app: Flask) -> None:
    """The limiter counts for the API, the portal and the logins alike, so the app sets it up."""
    limiter.init_app(app)
    warn_if_not_shared(app)
