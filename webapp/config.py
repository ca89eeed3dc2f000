"""Configuration read from the environment (PLANNER_*)."""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _database_url() -> str:
    url = os.environ.get("PLANNER_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{INSTANCE_DIR / 'planner.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short form."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    SECRET_KEY = os.environ.get("PLANNER_SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # PostgreSQL: how prepared statements are planned. The booking path's statements are
    # short look-ups by id and time window, run thousands of times with new values; planned
    # once (generic) they cost the database a third less CPU. "auto" is PostgreSQL's own
    # default (docs/operations.md, "The database").
    PLANNER_PG_PLAN_CACHE_MODE = os.environ.get("PLANNER_PG_PLAN_CACHE_MODE", "force_generic_plan")
    WTF_CSRF_ENABLED = True
    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    LANGUAGES = ("da", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PLANNER_TIMEZONE = "Europe/Copenhagen"
    PLANNER_DIRECTORY_FILE = os.environ.get(
        "PLANNER_DIRECTORY_FILE",
        str(Path(__file__).resolve().parent.parent / "seed" / "data" / "directory.json"),
    )
    # The demo portal lets citizens log in with CPR and this code; a real
    # deployment puts MitID/OIDC in front and sets it empty.
    PLANNER_DEMO_CITIZEN_CODE = os.environ.get("PLANNER_DEMO_CITIZEN_CODE", "1234")
    # Login: citizens "demo" and/or "oidc" (MitID through a broker), staff "password"
    # and/or "oidc" (e.g. Entra ID); "oidc,password" keeps passwords for break-glass.
    PLANNER_CITIZEN_LOGIN = os.environ.get("PLANNER_CITIZEN_LOGIN", "demo")
    PLANNER_STAFF_LOGIN = os.environ.get("PLANNER_STAFF_LOGIN", "password")
    PLANNER_OIDC_CITIZEN_ISSUER = os.environ.get("PLANNER_OIDC_CITIZEN_ISSUER", "")
    PLANNER_OIDC_CITIZEN_CLIENT_ID = os.environ.get("PLANNER_OIDC_CITIZEN_CLIENT_ID", "")
    PLANNER_OIDC_CITIZEN_CLIENT_SECRET = os.environ.get("PLANNER_OIDC_CITIZEN_CLIENT_SECRET", "")
    PLANNER_OIDC_CITIZEN_SCOPES = os.environ.get("PLANNER_OIDC_CITIZEN_SCOPES", "openid")
    PLANNER_OIDC_CITIZEN_CPR_CLAIM = os.environ.get(
        "PLANNER_OIDC_CITIZEN_CPR_CLAIM", "dk:gov:saml:attribute:CprNumberIdentifier")
    PLANNER_OIDC_STAFF_ISSUER = os.environ.get("PLANNER_OIDC_STAFF_ISSUER", "")
    PLANNER_OIDC_STAFF_CLIENT_ID = os.environ.get("PLANNER_OIDC_STAFF_CLIENT_ID", "")
    PLANNER_OIDC_STAFF_CLIENT_SECRET = os.environ.get("PLANNER_OIDC_STAFF_CLIENT_SECRET", "")
    PLANNER_OIDC_STAFF_SCOPES = os.environ.get("PLANNER_OIDC_STAFF_SCOPES", "openid profile email")
    PLANNER_OIDC_STAFF_USERNAME_CLAIM = os.environ.get("PLANNER_OIDC_STAFF_USERNAME_CLAIM",
                                                       "preferred_username")
    # Self-booking: how long a reserved slot is held, and the rate limits on
    # logging in and booking. Memory storage counts per process; redis:// or
    # memcached:// is shared by all workers (production warns about memory://).
    PLANNER_RESERVATION_MINUTES = int(os.environ.get("PLANNER_RESERVATION_MINUTES", "5"))
    RATELIMIT_ENABLED = os.environ.get("PLANNER_RATELIMIT_ENABLED", "1") not in ("0", "false", "no")
    RATELIMIT_STORAGE_URI = os.environ.get("PLANNER_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    PLANNER_RATELIMIT_LOGIN = os.environ.get("PLANNER_RATELIMIT_LOGIN", "10 per minute")
    PLANNER_RATELIMIT_BOOKING = os.environ.get("PLANNER_RATELIMIT_BOOKING", "30 per minute")
    # Lockout, counted in the database so all workers share it: this many failed
    # logins of one account (or, the higher number, from one address) within the window
    # lock it for the lockout time, even with the right password.
    PLANNER_LOGIN_MAX_FAILURES = int(os.environ.get("PLANNER_LOGIN_MAX_FAILURES", "5"))
    PLANNER_LOGIN_ADDRESS_MAX_FAILURES = int(os.environ.get("PLANNER_LOGIN_ADDRESS_MAX_FAILURES", "50"))
    PLANNER_LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("PLANNER_LOGIN_FAILURE_WINDOW_MINUTES", "15"))
    PLANNER_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("PLANNER_LOGIN_LOCKOUT_MINUTES", "15"))
    # Outgoing mail: the outbox job sends through this SMTP server.
    PLANNER_SMTP_HOST = os.environ.get("PLANNER_SMTP_HOST", "127.0.0.1")
    PLANNER_SMTP_PORT = int(os.environ.get("PLANNER_SMTP_PORT", "25"))
    PLANNER_SMTP_FROM = os.environ.get("PLANNER_SMTP_FROM", "samtaleplanlaegger@demo-jobcenter.dk")
    PLANNER_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("PLANNER_OUTBOX_MAX_ATTEMPTS", "8"))
    PLANNER_OUTBOX_BACKOFF_SECONDS = int(os.environ.get("PLANNER_OUTBOX_BACKOFF_SECONDS", "60"))
    # Batch allocation: nightly at this Copenhagen time ("HH:MM") in `flask scheduler run`;
    # the optimiser's time limit in seconds and how many days ahead it plans.
    PLANNER_ALLOCATION_TIME = os.environ.get("PLANNER_ALLOCATION_TIME", "02:00")
    PLANNER_ALLOCATION_TIME_LIMIT = float(os.environ.get("PLANNER_ALLOCATION_TIME_LIMIT", "300"))
    PLANNER_ALLOCATION_HORIZON_DAYS = int(os.environ.get("PLANNER_ALLOCATION_HORIZON_DAYS", "42"))
    PLANNER_ADMIN_TIME_LIMIT = float(os.environ.get("PLANNER_ADMIN_TIME_LIMIT", "30"))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("PLANNER_TEST_DATABASE_URL", "sqlite://"))
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False  # on only in the test that proves the limits
