"""R-7.1: every setting is read from the environment, and production refuses unsafe settings."""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, g
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import login
from webapp import create_app
from webapp.config import (DEMO_AUTHENTICATOR, Config, ConfigurationError, TestConfig, production_problems,
                           settings)
from webapp.models import Role

ROOT = Path(__file__).resolve().parents[2]
DEV_KEY = "dev-only-change-me"  # the key published in the repository before
STRONG_KEY = "k" * 40

# Settings of tests and benchmarks only: the application never reads them.
TEST_ONLY = {"PLANNER_TEST_DATABASE_URL", "PLANNER_BENCH_DATABASE_URL", "PLANNER_CHROMIUM",
             "PLANNER_SCREENSHOT_DIR"}
# Config keys that are fixed on purpose, not settings: the whole product keeps Copenhagen time.
FIXED = {"PLANNER_TIMEZONE"}


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean environment: no PLANNER_* or cookie setting leaks in from the shell running the tests."""
    for name in list(os.environ):
        if name.startswith(("PLANNER_", "SESSION_COOKIE_", "REMEMBER_COOKIE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PLANNER_DATABASE_URL", "sqlite://")
    return monkeypatch


def production_app(environ: pytest.MonkeyPatch, **env: str) -> Flask:
    """create_app() as gunicorn runs it, in production with the given variables on top of safe ones."""
    safe = {"PLANNER_ENV": "production", "PLANNER_SECRET_KEY": secrets.token_hex(32),
            "PLANNER_CITIZEN_AUTHENTICATOR": "tests.web.test_production_config:NobodyAuthenticator"}
    for name, value in (safe | env).items():
        environ.setenv(name, value)
    return create_app()


class NobodyAuthenticator:
    """A citizen authenticator that is not the demo one (stands in for OpenID Connect here)."""

    def authenticate(self, cpr: str, code: str) -> None:
        return None


# ---- finding 2: every documented setting reaches app.config, typed ----

DOCUMENTED = [
    # (environment variable, value, app.config key, expected value)
    ("PLANNER_DATABASE_URL", "postgresql://u:p@db/planner", "SQLALCHEMY_DATABASE_URI",
     "postgresql+psycopg://u:p@db/planner"),
    ("PLANNER_SECRET_KEY", STRONG_KEY, "SECRET_KEY", STRONG_KEY),
    ("PLANNER_ENV", "production", "PLANNER_ENV", "production"),
    ("PLANNER_PG_PLAN_CACHE_MODE", "auto", "PLANNER_PG_PLAN_CACHE_MODE", "auto"),
    ("PLANNER_DIRECTORY_FILE", "/srv/directory.json", "PLANNER_DIRECTORY_FILE", "/srv/directory.json"),
    ("PLANNER_DEMO_CITIZEN_CODE", "", "PLANNER_DEMO_CITIZEN_CODE", ""),
    ("PLANNER_CITIZEN_AUTHENTICATOR", "acme.mitid:Broker", "PLANNER_CITIZEN_AUTHENTICATOR",
     "acme.mitid:Broker"),
    ("SESSION_COOKIE_SECURE", "1", "SESSION_COOKIE_SECURE", True),
    ("REMEMBER_COOKIE_SECURE", "true", "REMEMBER_COOKIE_SECURE", True),
    ("PLANNER_RESERVATION_MINUTES", "7", "PLANNER_RESERVATION_MINUTES", 7),
    ("PLANNER_RATELIMIT_ENABLED", "0", "RATELIMIT_ENABLED", False),
    ("PLANNER_RATELIMIT_STORAGE_URI", "redis://cache:6379/0", "RATELIMIT_STORAGE_URI",
     "redis://cache:6379/0"),
    ("PLANNER_RATELIMIT_LOGIN", "5 per minute", "PLANNER_RATELIMIT_LOGIN", "5 per minute"),
    ("PLANNER_RATELIMIT_BOOKING", "20 per minute", "PLANNER_RATELIMIT_BOOKING", "20 per minute"),
    ("PLANNER_SMTP_HOST", "smtp.kommune.dk", "PLANNER_SMTP_HOST", "smtp.kommune.dk"),
    ("PLANNER_SMTP_PORT", "587", "PLANNER_SMTP_PORT", 587),
    ("PLANNER_SMTP_FROM", "noreply@kommune.dk", "PLANNER_SMTP_FROM", "noreply@kommune.dk"),
    ("PLANNER_SMTP_STARTTLS", "yes", "PLANNER_SMTP_STARTTLS", True),
    ("PLANNER_SMTP_USER", "planner", "PLANNER_SMTP_USER", "planner"),
    ("PLANNER_SMTP_PASSWORD", "s3cret", "PLANNER_SMTP_PASSWORD", "s3cret"),
    ("PLANNER_SMTP_TIMEOUT", "2.5", "PLANNER_SMTP_TIMEOUT", 2.5),
    ("PLANNER_OUTBOX_MAX_ATTEMPTS", "3", "PLANNER_OUTBOX_MAX_ATTEMPTS", 3),
    ("PLANNER_OUTBOX_BACKOFF_SECONDS", "120", "PLANNER_OUTBOX_BACKOFF_SECONDS", 120),
    ("PLANNER_OUTBOX_INTERVAL_MINUTES", "5", "PLANNER_OUTBOX_INTERVAL_MINUTES", 5),
    ("PLANNER_CALENDAR_IMPORT_MINUTES", "30", "PLANNER_CALENDAR_IMPORT_MINUTES", 30),
    ("PLANNER_ICS_DOMAIN", "planner.kommune.dk", "PLANNER_ICS_DOMAIN", "planner.kommune.dk"),
    ("PLANNER_REMINDER_TIME", "06:30", "PLANNER_REMINDER_TIME", "06:30"),
    ("PLANNER_ALLOCATION_TIME", "03:15:30", "PLANNER_ALLOCATION_TIME", "03:15:30"),
    ("PLANNER_ALLOCATION_TIME_LIMIT", "120", "PLANNER_ALLOCATION_TIME_LIMIT", 120.0),
    ("PLANNER_ALLOCATION_HORIZON_DAYS", "28", "PLANNER_ALLOCATION_HORIZON_DAYS", 28),
    ("PLANNER_ALLOCATION_GRANULARITY", "5", "PLANNER_ALLOCATION_GRANULARITY", 5),
    ("PLANNER_ADMIN_TIME_LIMIT", "45", "PLANNER_ADMIN_TIME_LIMIT", 45.0),
]


@pytest.mark.parametrize(("variable", "value", "key", "expected"), DOCUMENTED,
                         ids=[row[0] for row in DOCUMENTED])
def test_r_7_1_each_setting_is_read_from_the_environment(
        environ: pytest.MonkeyPatch, variable: str, value: str, key: str, expected: Any) -> None:
    environ.setenv(variable, value)
    if variable == "PLANNER_ENV":
        # Production only starts with safe settings (tested below); give it some.
        environ.setenv("PLANNER_SECRET_KEY", STRONG_KEY)
        environ.setenv("PLANNER_CITIZEN_AUTHENTICATOR", "tests.web.test_production_config:NobodyAuthenticator")
    if variable == "PLANNER_RATELIMIT_STORAGE_URI":
        # Flask-Limiter opens its store at start; this venv has no redis client to open it with.
        environ.setenv("PLANNER_RATELIMIT_ENABLED", "0")
    app = create_app()
    assert app.config[key] == expected
    assert type(app.config[key]) is type(expected)


@pytest.mark.parametrize(("variable", "value"), [
    ("PLANNER_SMTP_PORT", "abc"),
    ("PLANNER_SMTP_PORT", "70000"),
    ("PLANNER_SMTP_STARTTLS", "maybe"),
    ("PLANNER_SMTP_TIMEOUT", "soon"),
    ("PLANNER_SMTP_TIMEOUT", "0"),
    ("PLANNER_ALLOCATION_TIME_LIMIT", "fast"),
    ("PLANNER_RESERVATION_MINUTES", "-5"),
    ("PLANNER_ALLOCATION_GRANULARITY", "7.5"),
    ("PLANNER_REMINDER_TIME", "25:00"),
    ("PLANNER_ALLOCATION_TIME", "2am"),
    ("PLANNER_ENV", "staging"),
    ("PLANNER_PG_PLAN_CACHE_MODE", "fast"),
    ("SESSION_COOKIE_SECURE", "sometimes"),
])
def test_r_7_1_a_bad_value_stops_the_start_naming_the_variable(
        environ: pytest.MonkeyPatch, variable: str, value: str) -> None:
    environ.setenv(variable, value)
    with pytest.raises(ConfigurationError) as error:
        create_app()
    assert variable in str(error.value)
    assert repr(value) in str(error.value)


def _names_in(paths: list[Path]) -> dict[str, set[str]]:
    """PLANNER_* names mentioned in the files, and where."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for name in re.findall(r"\bPLANNER_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_r_7_1_every_setting_the_code_and_docs_name_is_read_by_config() -> None:
    """A new PLANNER_* name in webapp/, jobs/, README.md or docs/operations.md must be a Config setting."""
    sources = sorted((ROOT / "webapp").rglob("*.py")) + sorted((ROOT / "jobs").rglob("*.py"))
    named = _names_in(sources + [ROOT / "README.md", ROOT / "docs" / "operations.md"])
    read = {setting.env for setting in settings().values()}
    missing = {name: sorted(where) for name, where in named.items()
               if name not in read and name not in TEST_ONLY | FIXED}
    assert not missing, (
        "named but not read from the environment by webapp.config.Config; add one line to Config, "
        f'e.g. PLANNER_X = integer("PLANNER_X", 5, low=1): {missing}')
    # The names are found at all (the scan is not looking at the wrong files).
    assert {"PLANNER_SMTP_PORT", "PLANNER_REMINDER_TIME", "PLANNER_ICS_DOMAIN"} <= set(named)


def test_r_7_1_every_config_key_the_code_looks_up_exists() -> None:
    """config.get("PLANNER_X") / config["PLANNER_X"] / setting("PLANNER_X") in webapp/ and jobs/
    finds it in Config, not only a default in the code."""
    sources = sorted((ROOT / "webapp").rglob("*.py")) + sorted((ROOT / "jobs").rglob("*.py"))
    looked_up = {key for path in sources for key in re.findall(
        r"(?:config(?:\.get\(|\[)|\bsetting\()\s*\"(PLANNER_[A-Z0-9_]+)\"", path.read_text(encoding="utf-8"))}
    assert "PLANNER_SMTP_STARTTLS" in looked_up
    assert not looked_up - {key for key in dir(Config) if key.isupper()}


def test_r_7_1_every_setting_is_in_the_operations_table() -> None:
    """docs/operations.md's settings table lists every variable Config reads."""
    table = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8").split("## Settings", 1)[-1]
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", table, re.M))
    assert not {setting.env for setting in settings().values()} - rows


def test_r_7_1_test_config_keeps_its_own_values(environ: pytest.MonkeyPatch) -> None:
    """The suite's TestConfig is not overridden by a production environment in the shell."""
    environ.setenv("PLANNER_ENV", "production")
    environ.setenv("PLANNER_SECRET_KEY", DEV_KEY)
    assert TestConfig.SECRET_KEY == "test"
    assert TestConfig.PLANNER_ENV == "development"
    assert TestConfig.WTF_CSRF_ENABLED is False


# ---- finding 1: production refuses the development key, the demo login, cookies without Secure ----

def test_r_7_1_production_without_secret_key_refuses_to_start(environ: pytest.MonkeyPatch) -> None:
    environ.delenv("PLANNER_SECRET_KEY", raising=False)
    environ.setenv("PLANNER_ENV", "production")
    with pytest.raises(ConfigurationError, match="PLANNER_SECRET_KEY is not set"):
        create_app()


@pytest.mark.parametrize(("key", "says"), [
    (DEV_KEY, "published development key"),
    ("short-but-not-the-dev-key", "25 bytes"),
    ("", "not set"),
])
def test_r_7_1_production_refuses_a_weak_secret_key(
        environ: pytest.MonkeyPatch, key: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        production_app(environ, PLANNER_SECRET_KEY=key)
    assert "PLANNER_SECRET_KEY" in str(error.value)
    assert says in str(error.value)


def test_r_7_1_production_lists_every_problem_one_per_line(environ: pytest.MonkeyPatch) -> None:
    environ.delenv("PLANNER_CITIZEN_AUTHENTICATOR", raising=False)
    with pytest.raises(ConfigurationError) as error:
        production_app(environ, PLANNER_SECRET_KEY=DEV_KEY, PLANNER_DEMO_CITIZEN_CODE="1234",
                       PLANNER_CITIZEN_AUTHENTICATOR="webapp.portal.authn:DemoCodeAuthenticator",
                       SESSION_COOKIE_SECURE="0", REMEMBER_COOKIE_SECURE="false")
    lines = str(error.value).splitlines()
    for name in ("PLANNER_SECRET_KEY", "PLANNER_DEMO_CITIZEN_CODE", "PLANNER_CITIZEN_LOGIN",
                 "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        assert sum(line.lstrip("- ").startswith(name) for line in lines) == 1, (name, lines)


def test_r_7_1_production_refuses_the_demo_authenticator_by_default(environ: pytest.MonkeyPatch) -> None:
    """Without a citizen login configured, production would let citizens in with CPR + shared code."""
    environ.setenv("PLANNER_ENV", "production")
    environ.setenv("PLANNER_SECRET_KEY", STRONG_KEY)
    with pytest.raises(ConfigurationError) as error:
        create_app()
    assert "PLANNER_CITIZEN_AUTHENTICATOR" in str(error.value)
    assert "PLANNER_SECRET_KEY" not in str(error.value)


@pytest.mark.parametrize(("login", "authenticator", "refused"), [
    ("demo", DEMO_AUTHENTICATOR, True),
    ("oidc,demo", DEMO_AUTHENTICATOR, True),
    ("oidc", DEMO_AUTHENTICATOR, False),  # the form is off, so its authenticator is never asked
    ("demo", "tests.web.test_production_config:NobodyAuthenticator", False),
])
def test_r_7_1_production_refuses_the_demo_citizen_login(login: str, authenticator: str, refused: bool) -> None:
    config = {"SECRET_KEY": STRONG_KEY, "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True,
              "PLANNER_DEMO_CITIZEN_CODE": "", "PLANNER_CITIZEN_LOGIN": login,
              "PLANNER_CITIZEN_AUTHENTICATOR": authenticator}
    problems = production_problems(config)
    assert [p.split()[0] for p in problems] == (["PLANNER_CITIZEN_LOGIN"] if refused else [])


def test_r_7_1_production_defaults_are_safe(environ: pytest.MonkeyPatch) -> None:
    app = production_app(environ)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    # The demo code is off unless someone sets it (and then production refuses it).
    assert app.config["PLANNER_DEMO_CITIZEN_CODE"] == ""


def test_r_7_1_production_with_safe_settings_serves(environ: pytest.MonkeyPatch) -> None:
    app = production_app(environ)
    assert app.test_client().get("/health").get_json() == {"status": "ok"}


def test_r_7_1_development_key_logs_one_warning(
        environ: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    environ.delenv("PLANNER_SECRET_KEY", raising=False)
    with caplog.at_level(logging.WARNING):
        app = create_app()
    assert app.config["SECRET_KEY"] == DEV_KEY
    warnings = [r for r in caplog.records if "PLANNER_SECRET_KEY" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


def test_r_7_1_development_with_own_key_logs_no_warning(
        environ: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    environ.setenv("PLANNER_SECRET_KEY", STRONG_KEY)
    with caplog.at_level(logging.WARNING):
        create_app()
    assert not [r for r in caplog.records if "PLANNER_SECRET_KEY" in r.getMessage()]


def test_r_7_1_gunicorn_entry_point_refuses_production_without_key(tmp_path: Path) -> None:
    """`PLANNER_ENV=production python -c "import wsgi"` exits non-zero and names the secret key."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("PLANNER_", "SESSION_COOKIE_", "REMEMBER_COOKIE_"))}
    env |= {"PLANNER_ENV": "production", "PLANNER_DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"}
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "PLANNER_SECRET_KEY is not set" in done.stderr, done.stderr[-2000:]


# ---- finding 1: a session cookie forged with another key opens nothing ----

def _resign(app: Flask, cookie: str, key: str) -> str:
    """The session cookie's content as the app signed it, signed again with `key`."""
    payload = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)
    forger = Flask("forger")
    forger.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(payload)


def _fresh_get(client: FlaskClient, url: str) -> TestResponse:
    """GET as a new visitor: the `app` fixture's app context outlives requests, and Flask-Login
    keeps the last request's user in `g` until it is cleared."""
    g.pop("_login_user", None)
    return client.get(url)


def test_r_7_1_production_refuses_the_key_a_forger_would_use(environ: pytest.MonkeyPatch) -> None:
    """Anyone can sign a support session with the published key; production cannot run with it."""
    with pytest.raises(ConfigurationError, match="PLANNER_SECRET_KEY"):
        production_app(environ, PLANNER_SECRET_KEY=DEV_KEY)


def test_r_7_1_session_signed_with_another_key_does_not_open_admin(
        app: Flask, create_user: Any) -> None:
    support = create_user(Role.SUPPORT, None)
    client = app.test_client()
    login(client, support)
    genuine = client.get_cookie("session").value
    assert client.get("/admin/caseworker/").status_code == 200

    forged = _resign(app, genuine, DEV_KEY)
    assert forged != genuine
    intruder = app.test_client()
    intruder.set_cookie("session", forged)
    response = _fresh_get(intruder, "/admin/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == "/login"

    # The same content signed with the app's own key does open it: only the key stops the forgery.
    same_key = app.test_client()
    same_key.set_cookie("session", _resign(app, genuine, app.config["SECRET_KEY"]))
    assert _fresh_get(same_key, "/admin/caseworker/").status_code == 200
