"""Configuration read from the environment (PLANNER_*), typed, and checked before production starts."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short form."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


# Published in this repository: fine on a laptop, a skeleton key anywhere else.
DEV_SECRET_KEY = "dev-only-change-me"
DEMO_AUTHENTICATOR = "webapp.portal.authn:DemoCodeAuthenticator"
_MAKE_KEY = 'make one with: python -c "import secrets; print(secrets.token_hex(32))"'
_SAME: Any = object()


class ConfigurationError(RuntimeError):
    """A setting has a value the application cannot use, or one that is unsafe in production."""


class Setting:
    """A Config attribute read from the environment variable `env` whenever it is looked up, so
    create_app() sees the environment of that moment and a bad value stops it with a clear message."""

    def __init__(self, env: str, default: Any, parse: Callable[[str], Any], *,
                 production: Any = _SAME, blank_is_default: bool = True) -> None:
        self.env, self.default, self.parse = env, default, parse
        self.production = default if production is _SAME else production
        self.blank_is_default = blank_is_default

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return self.read(os.environ)

    def read(self, environ: Mapping[str, str]) -> Any:
        raw = environ.get(self.env)
        if raw is None or (self.blank_is_default and not raw.strip()):
            production = environ.get("PLANNER_ENV", "").strip().lower() == "production"
            return self.production if production else self.default
        try:
            return self.parse(raw)
        except ValueError as error:
            raise ConfigurationError(f"{self.env}={raw!r}: {error}") from None


# One helper per kind of value. Each returns Any so that Config's attributes type as their values.

def text(env: str, default: str, *, production: Any = _SAME) -> Any:
    """Taken as written; empty is a value (PLANNER_DEMO_CITIZEN_CODE= turns the demo code off)."""
    return Setting(env, default, str, production=production, blank_is_default=False)


def https_url(env: str, default: str) -> Any:
    def parse(raw: str) -> str:
        value = raw.strip()
        if not value.startswith("https://") or len(value) <= len("https://") or any(c.isspace() for c in value):
            raise ValueError("use an https:// address without spaces")
        return value
    return Setting(env, default, parse)


def choice(env: str, default: str, options: tuple[str, ...], *, production: Any = _SAME) -> Any:
    def parse(raw: str) -> str:
        if raw.strip() not in options:
            raise ValueError(f"use one of {', '.join(options)}")
        return raw.strip()
    return Setting(env, default, parse, production=production)


def boolean(env: str, default: bool, *, production: Any = _SAME) -> Any:
    def parse(raw: str) -> bool:
        value = raw.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise ValueError("use 1/0, true/false, yes/no or on/off")
    return Setting(env, default, parse, production=production)


def integer(env: str, default: int, *, low: int | None = None, high: int | None = None) -> Any:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError("not a whole number") from None
        return _within(value, low, high)
    return Setting(env, default, parse)


def number(env: str, default: float, *, low: float | None = None, high: float | None = None) -> Any:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return _within(value, low, high)
    return Setting(env, default, parse)


def clock_time(env: str, default: str) -> Any:
    """A Copenhagen wall-clock time of day, "HH:MM" or "HH:MM:SS"."""
    def parse(raw: str) -> str:
        value = raw.strip()
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", value):
            raise ValueError('not a time of day "HH:MM" (00:00 to 23:59)')
        return value
    return Setting(env, default, parse)


def _within(value: Any, low: Any, high: Any) -> Any:
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"must be between {low if low is not None else '-∞'} and "
                         f"{high if high is not None else '∞'}")
    return value



class Config:
    # development (the default) or production: production refuses unsafe settings (R-7.1,
    # check_environment) and changes the defaults marked production= below.
    PLANNER_ENV = choice("PLANNER_ENV", "development", ("development", "production"))
    SECRET_KEY = text("PLANNER_SECRET_KEY", DEV_SECRET_KEY, production="")
    SQLALCHEMY_DATABASE_URI = Setting("PLANNER_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'planner.sqlite3'}",
                                      normalise_database_url)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # PostgreSQL: how prepared statements are planned. The booking path's statements are
    # short look-ups by id and time window, run thousands of times with new values; planned
    # once (generic) they cost the database a third less CPU. "auto" is PostgreSQL's own
    # default (docs/operations.md, "The database").
    PLANNER_PG_PLAN_CACHE_MODE = choice("PLANNER_PG_PLAN_CACHE_MODE", "force_generic_plan",
                                        ("force_generic_plan", "force_custom_plan", "auto"))
    WTF_CSRF_ENABLED = True
    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    # Cookies: never readable by scripts, not sent on cross-site posts, and in production only
    # over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = boolean("SESSION_COOKIE_SECURE", False, production=True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = boolean("REMEMBER_COOKIE_SECURE", False, production=True)
    PLANNER_TIMEZONE = "Europe/Copenhagen"
    # The national user directory: "file" (PLANNER_DIRECTORY_FILE), "http" (a JSON
    # service at PLANNER_DIRECTORY_URL) or "none" (webapp/administration/directory.py).
    PLANNER_DIRECTORY = choice("PLANNER_DIRECTORY", "file", ("file", "http", "none"))
    PLANNER_DIRECTORY_URL = text("PLANNER_DIRECTORY_URL", "")
    PLANNER_DIRECTORY_FILE = text(
        "PLANNER_DIRECTORY_FILE",
        str(Path(__file__).resolve().parent.parent / "seed" / "data" / "directory.json"),
    )
    # The citizen register: the adapter as "module:Class", and the file-backed one's file.
    PLANNER_CITIZEN_REGISTER = text("PLANNER_CITIZEN_REGISTER",
                                    "webapp.citizens.register:FileCitizenRegister")
    PLANNER_CITIZEN_REGISTER_FILE = text(
        "PLANNER_CITIZEN_REGISTER_FILE",
        str(Path(__file__).resolve().parent.parent / "seed" / "data" / "citizens.json"),
    )
    # The demo portal lets citizens log in with CPR and this code; a real deployment puts
    # MitID/OIDC in front, and production refuses a code.
    PLANNER_DEMO_CITIZEN_CODE = text("PLANNER_DEMO_CITIZEN_CODE", "1234", production="")
    PLANNER_CITIZEN_AUTHENTICATOR = text("PLANNER_CITIZEN_AUTHENTICATOR", DEMO_AUTHENTICATOR)
    # Login: citizens "demo" and/or "oidc" (MitID through a broker), staff "password"
    # and/or "oidc" (e.g. Entra ID); "oidc,password" keeps passwords for break-glass.
    PLANNER_CITIZEN_LOGIN = text("PLANNER_CITIZEN_LOGIN", "demo")
    PLANNER_STAFF_LOGIN = text("PLANNER_STAFF_LOGIN", "password")
    PLANNER_OIDC_CITIZEN_ISSUER = text("PLANNER_OIDC_CITIZEN_ISSUER", "")
    PLANNER_OIDC_CITIZEN_CLIENT_ID = text("PLANNER_OIDC_CITIZEN_CLIENT_ID", "")
    PLANNER_OIDC_CITIZEN_CLIENT_SECRET = text("PLANNER_OIDC_CITIZEN_CLIENT_SECRET", "")
    PLANNER_OIDC_CITIZEN_SCOPES = text("PLANNER_OIDC_CITIZEN_SCOPES", "openid")
    PLANNER_OIDC_CITIZEN_CPR_CLAIM = text(
        "PLANNER_OIDC_CITIZEN_CPR_CLAIM", "dk:gov:saml:attribute:CprNumberIdentifier")
    PLANNER_OIDC_STAFF_ISSUER = text("PLANNER_OIDC_STAFF_ISSUER", "")
    PLANNER_OIDC_STAFF_CLIENT_ID = text("PLANNER_OIDC_STAFF_CLIENT_ID", "")
    PLANNER_OIDC_STAFF_CLIENT_SECRET = text("PLANNER_OIDC_STAFF_CLIENT_SECRET", "")
    PLANNER_OIDC_STAFF_SCOPES = text("PLANNER_OIDC_STAFF_SCOPES", "openid profile email")
    # The stable claim a staff login is matched by: "email" (the user's e-mail) or "sub".
    PLANNER_OIDC_STAFF_MATCH = text("PLANNER_OIDC_STAFF_MATCH", "email")
    # Self-booking: how long a reserved slot is held, and the rate limits on
    # logging in and booking. Memory storage counts per process; redis:// or
    # memcached:// is shared by all workers (production warns about memory://).
    PLANNER_RESERVATION_MINUTES = integer("PLANNER_RESERVATION_MINUTES", 5, low=1, high=24 * 60)
    RATELIMIT_ENABLED = boolean("PLANNER_RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = text("PLANNER_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    PLANNER_RATELIMIT_LOGIN = text("PLANNER_RATELIMIT_LOGIN", "10 per minute")
    PLANNER_RATELIMIT_BOOKING = text("PLANNER_RATELIMIT_BOOKING", "30 per minute")
    # Request limits, also for chunked bodies: any request; the API's and the inbound
    # endpoint's JSON; a form's text fields in memory; how deep JSON may nest.
    PLANNER_MAX_REQUEST_BYTES = integer("PLANNER_MAX_REQUEST_BYTES", 1024 * 1024, low=1024, high=2**30)
    PLANNER_MAX_API_REQUEST_BYTES = integer("PLANNER_MAX_API_REQUEST_BYTES", 64 * 1024, low=1024,
                                            high=2**30)
    PLANNER_MAX_FORM_BYTES = integer("PLANNER_MAX_FORM_BYTES", 512 * 1024, low=1024, high=2**30)
    PLANNER_MAX_JSON_DEPTH = integer("PLANNER_MAX_JSON_DEPTH", 32, low=2, high=500)
    # Lockout, counted in the database so all workers share it: this many failed
    # logins of one account (or, the higher number, from one address) within the window
    # lock it for the lockout time, even with the right password.
    PLANNER_LOGIN_MAX_FAILURES = integer("PLANNER_LOGIN_MAX_FAILURES", 5, low=1, high=1000)
    PLANNER_LOGIN_ADDRESS_MAX_FAILURES = integer("PLANNER_LOGIN_ADDRESS_MAX_FAILURES", 50,
                                                 low=1, high=100_000)
    PLANNER_LOGIN_FAILURE_WINDOW_MINUTES = integer("PLANNER_LOGIN_FAILURE_WINDOW_MINUTES", 15,
                                                   low=1, high=24 * 60)
    PLANNER_LOGIN_LOCKOUT_MINUTES = integer("PLANNER_LOGIN_LOCKOUT_MINUTES", 15, low=1, high=24 * 60)
    # A new staff login's one-time set-password link works this many hours.
    PLANNER_PASSWORD_LINK_HOURS = integer("PLANNER_PASSWORD_LINK_HOURS", 48, low=1, high=24 * 14)
    # Reverse proxies in front of the application whose X-Forwarded-For is trusted, so the
    # lockout counts the client's address, not the proxy's (which would lock everyone).
    PLANNER_PROXY_COUNT = integer("PLANNER_PROXY_COUNT", 0, low=0, high=5)
    # Outgoing mail: the outbox job sends through this SMTP server.
    PLANNER_SMTP_HOST = text("PLANNER_SMTP_HOST", "127.0.0.1")
    PLANNER_SMTP_PORT = integer("PLANNER_SMTP_PORT", 25, low=1, high=65535)
    PLANNER_SMTP_FROM = text("PLANNER_SMTP_FROM", "samtaleplanlaegger@demo-jobcenter.dk")
    PLANNER_SMTP_STARTTLS = boolean("PLANNER_SMTP_STARTTLS", False)
    PLANNER_SMTP_USER = text("PLANNER_SMTP_USER", "")  # empty: no login
    PLANNER_SMTP_PASSWORD = text("PLANNER_SMTP_PASSWORD", "")
    PLANNER_SMTP_TIMEOUT = number("PLANNER_SMTP_TIMEOUT", 10.0, low=0.1, high=600)
    # `flask dev` (make run): the local mail catcher keeps messages in this directory and the
    # mail viewer at /udvikling/post shows them. Empty (the default) = no viewer; production
    # refuses it.
    PLANNER_DEV_MAILBOX = text("PLANNER_DEV_MAILBOX", "")
    PLANNER_OUTBOX_MAX_ATTEMPTS = integer("PLANNER_OUTBOX_MAX_ATTEMPTS", 8, low=1, high=100)
    PLANNER_OUTBOX_BACKOFF_SECONDS = integer("PLANNER_OUTBOX_BACKOFF_SECONDS", 60, low=1, high=86_400)
    # Reporting to the national data hub, DFDG (R-6.9, docs/dfdg.md): "none" queues nothing,
    # "file" drops one JSON file per message into PLANNER_DFDG_DIRECTORY, "https" posts each
    # to PLANNER_DFDG_URL with the client certificate; production refuses https without them.
    PLANNER_DFDG_TRANSPORT = choice("PLANNER_DFDG_TRANSPORT", "none", ("none", "file", "https"))
    PLANNER_DFDG_DIRECTORY = text("PLANNER_DFDG_DIRECTORY", str(INSTANCE_DIR / "dfdg"))
    PLANNER_DFDG_URL = text("PLANNER_DFDG_URL", "")
    PLANNER_DFDG_CLIENT_CERT = text("PLANNER_DFDG_CLIENT_CERT", "")
    PLANNER_DFDG_CLIENT_KEY = text("PLANNER_DFDG_CLIENT_KEY", "")
    # The CA bundle the hub's certificate is checked against; empty: the system's CAs.
    PLANNER_DFDG_CA_BUNDLE = text("PLANNER_DFDG_CA_BUNDLE", "")
    PLANNER_DFDG_TIMEOUT = number("PLANNER_DFDG_TIMEOUT", 10.0, low=0.1, high=600)
    # The scheduler process's intervals and the reminders' time of day (docs/operations.md).
    PLANNER_OUTBOX_INTERVAL_MINUTES = integer("PLANNER_OUTBOX_INTERVAL_MINUTES", 1, low=1, high=1440)
    PLANNER_CALENDAR_IMPORT_MINUTES = integer("PLANNER_CALENDAR_IMPORT_MINUTES", 15, low=1, high=1440)
    PLANNER_REMINDER_TIME = clock_time("PLANNER_REMINDER_TIME", "07:00")
    # The host part of calendar invitations' UIDs: the deployment's own domain.
    PLANNER_ICS_DOMAIN = text("PLANNER_ICS_DOMAIN", "samtaleplanlaegger.local")
    # The portal's map link for a meeting's address: the address is appended, URL-encoded.
    PLANNER_MAP_URL = https_url("PLANNER_MAP_URL", "https://www.openstreetmap.org/search?query=")
    # Two-way calendars: the hosts a calendar address may name, comma-separated, exact
    # ("kalender.kommune.dk") or a domain ("*.kommune.dk"); a host on the list may be internal.
    # Empty: any host whose addresses are all public.
    PLANNER_CALENDAR_ALLOWED_HOSTS = text("PLANNER_CALENDAR_ALLOWED_HOSTS", "")
    # Batch allocation: nightly at this Copenhagen time ("HH:MM") in `flask scheduler run`;
    # the optimiser's time limit in seconds and how many days ahead it plans.
    PLANNER_ALLOCATION_TIME = clock_time("PLANNER_ALLOCATION_TIME", "02:00")
    # How often the scheduler asks which job centres' nightly time has come (each job centre
    # may have its own time), and how often it writes its heartbeat.
    PLANNER_ALLOCATION_CHECK_SECONDS = integer("PLANNER_ALLOCATION_CHECK_SECONDS", 60, low=1, high=3600)
    PLANNER_HEARTBEAT_SECONDS = integer("PLANNER_HEARTBEAT_SECONDS", 30, low=1, high=3600)
    PLANNER_ALLOCATION_TIME_LIMIT = number("PLANNER_ALLOCATION_TIME_LIMIT", 300.0, low=1, high=86_400)
    PLANNER_ALLOCATION_HORIZON_DAYS = integer("PLANNER_ALLOCATION_HORIZON_DAYS", 42, low=1, high=366)
    PLANNER_ADMIN_TIME_LIMIT = number("PLANNER_ADMIN_TIME_LIMIT", 30.0, low=1, high=3600)
    # Start times lie on this grid of minutes.
    PLANNER_ALLOCATION_GRANULARITY = integer("PLANNER_ALLOCATION_GRANULARITY", 15, low=1, high=60)
    # The waiting list marks deadlines this many days ahead or fewer.
    PLANNER_DEADLINE_WARNING_DAYS = integer("PLANNER_DEADLINE_WARNING_DAYS", 5, low=0, high=366)


class TestConfig(Config):
    TESTING = True
    PLANNER_ENV = "development"  # whatever the shell running the tests says
    SECRET_KEY = "test"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("PLANNER_TEST_DATABASE_URL", "sqlite://"))
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False  # on only in the test that proves the limits
    PLANNER_CALENDAR_ALLOWED_HOSTS = "127.0.0.1"  # the tests' own CalDAV and ICS servers


def settings(config: type = Config) -> dict[str, Setting]:
    """The config keys read from the environment, by key; a subclass's plain value hides one."""
    found = {}
    for key in dir(config):
        for klass in config.__mro__:
            if key in vars(klass):
                if isinstance(vars(klass)[key], Setting):
                    found[key] = vars(klass)[key]
                break
    return found


def setting(key: str) -> Any:
    """A setting's value: the running application's, or outside one (a script, a unit test)
    Config's default. Its one reader per idea calls this; no caller repeats the default."""
    if has_app_context():
        return current_app.config[key]
    value = next(vars(klass)[key] for klass in Config.__mro__ if key in vars(klass))
    return value.default if isinstance(value, Setting) else value


def keyed_digest(kind: str, value: str) -> str:
    """HMAC-SHA256 of `kind:value` with the app's secret key, as hex: for values that must not
    be readable or forgeable (login throttling's keys, R-7.3; the re-planning's form, R-6.4)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def in_production(config: Mapping[str, Any]) -> bool:
    """PLANNER_ENV=production: the settings of R-7.1 are enforced."""
    return config.get("PLANNER_ENV") == "production"


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """What makes the configuration unsafe for production (R-7.1), one sentence each."""
    problems = []
    key = config.get("SECRET_KEY") or ""
    size = len(key.encode() if isinstance(key, str) else key)
    if not key:
        problems.append(f"PLANNER_SECRET_KEY is not set; {_MAKE_KEY}")
    elif key == DEV_SECRET_KEY:
        problems.append("PLANNER_SECRET_KEY is the published development key, with which anyone can sign "
                        f"a session as anyone; {_MAKE_KEY}")
    elif size < 32:
        problems.append(f"PLANNER_SECRET_KEY is {size} bytes, at least 32 random bytes are needed; {_MAKE_KEY}")
    if config.get("PLANNER_DEMO_CITIZEN_CODE"):
        problems.append("PLANNER_DEMO_CITIZEN_CODE is set: anyone knowing the code logs in as any citizen "
                        "by CPR number; set it empty")
    methods = {part.strip().lower() for part in str(config.get("PLANNER_CITIZEN_LOGIN", "demo")).split(",")}
    authenticator = str(config.get("PLANNER_CITIZEN_AUTHENTICATOR") or DEMO_AUTHENTICATOR).strip()
    if "demo" in methods and authenticator == DEMO_AUTHENTICATOR:
        problems.append('PLANNER_CITIZEN_LOGIN includes "demo" with the demo PLANNER_CITIZEN_AUTHENTICATOR: '
                        'citizens would log in with a CPR number and a shared code; use "oidc" '
                        "(MitID through a broker)")
    if config.get("PLANNER_DEV_MAILBOX"):
        problems.append("PLANNER_DEV_MAILBOX is set: the development mail viewer would show every "
                        "citizen's mail to administrators; set it empty and send through PLANNER_SMTP_HOST")
    problems += dfdg_problems(config)
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if not config.get(name):
            problems.append(f"{name} is off: login cookies would travel over plain http; serve over "
                            "HTTPS and leave it on (the production default)")
    return problems


def dfdg_problems(config: Mapping[str, Any]) -> list[str]:
    """What keeps the https transport to the national data hub from working (R-6.9, R-7.1)."""
    if config.get("PLANNER_DFDG_TRANSPORT") != "https":
        return []
    problems = []
    url = str(config.get("PLANNER_DFDG_URL") or "").strip()
    if not url.lower().startswith("https://"):
        problems.append("PLANNER_DFDG_TRANSPORT is https but PLANNER_DFDG_URL is "
                        + ("not set" if not url else "not an https:// address")
                        + "; set the hub's https address")
    for name in ("PLANNER_DFDG_CLIENT_CERT", "PLANNER_DFDG_CLIENT_KEY"):
        if not str(config.get(name) or "").strip():
            problems.append(f"PLANNER_DFDG_TRANSPORT is https but {name} is not set: the hub "
                            "accepts only the job centre's client certificate and its key")
    return problems


def check_environment(config: Mapping[str, Any], logger: logging.Logger) -> None:
    """Refuse to start in production with unsafe settings, listing all of them; in development
    warn once about the published key. A directory adapter without its address never starts."""
    if config.get("PLANNER_DIRECTORY") == "http" and not str(config.get("PLANNER_DIRECTORY_URL") or "").strip():
        raise ConfigurationError("PLANNER_DIRECTORY=http needs PLANNER_DIRECTORY_URL, the address of the "
                                 "directory service (docs/operations.md, Settings).")
    if in_production(config):
        problems = production_problems(config)
        if problems:
            raise ConfigurationError(
                "PLANNER_ENV=production, but the application will not start until these are fixed "
                "(docs/operations.md, Production checklist):\n" + "\n".join(f"- {p}" for p in problems))
    elif config.get("SECRET_KEY") == DEV_SECRET_KEY:
        logger.warning("PLANNER_SECRET_KEY is not set: sessions are signed with the published development "
                       "key. Never serve real data like this; see docs/operations.md, Production checklist.")
