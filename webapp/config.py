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


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("PLANNER_TEST_DATABASE_URL", "sqlite://"))
    WTF_CSRF_ENABLED = False
