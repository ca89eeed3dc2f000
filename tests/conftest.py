"""Fixtures: an app on a migrated database (SQLite or PostgreSQL), each test's writes rolled back after it.

The suite runs on all cores with pytest-xdist (`-n auto`); each worker has a database of its own:
its own SQLite files under its own temporary folder, or on PostgreSQL the database of
PLANNER_TEST_DATABASE_URL with the worker's name appended (`planner_test_gw0`), created when missing.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager, nullcontext
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from webapp import create_app
from webapp.config import TestConfig, normalise_database_url
from webapp.extensions import db

def _worker_database_url(url: str | None) -> str | None:
    """The PostgreSQL test database of this xdist worker: the one named, with `_gw0` etc. appended."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(normalise_database_url(url))
    return base.set(database=f"{base.database}_{worker}").render_as_string(hide_password=False)


PG_URL = _worker_database_url(os.environ.get("PLANNER_TEST_DATABASE_URL"))

pytest_plugins = ["tests.factories"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "committing: the test's commits must be real (another connection, thread or process "
                   "reads them), so it gets a database of its own instead of a rolled-back transaction")
    config.addinivalue_line(
        "markers", "fresh_app: the test changes how the app is set up (adds a route, say), so it gets an "
                   "app of its own instead of the one the rolled-back tests share")


@pytest.fixture(autouse=True, scope="session")
def _passwords_hashed_once() -> Iterator[None]:
    """Each password is hashed and checked once per run: scrypt costs about 0.1 s by design, and
    the suite sets and checks the same few passwords hundreds of times (a quarter of the web
    tests' CPU time, measured)."""
    from webapp.models import users
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "generate_password_hash", functools.cache(users.generate_password_hash))
        patch.setattr(users, "check_password_hash", functools.cache(users.check_password_hash))
        yield


def _config(url: str) -> dict:
    return {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()} | {
        "SQLALCHEMY_DATABASE_URI": url,
        # A fresh pool per test; SQLite files are swapped between tests.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
    }


def _create_database_if_missing(url: str) -> None:
    """An xdist worker's PostgreSQL database is made on its first run, from the server's `postgres` database."""
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per session: a template SQLite file, or the PostgreSQL test database."""
    if PG_URL:
        url = normalise_database_url(PG_URL)
        _create_database_if_missing(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        app = create_app(_config(url))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        return url
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    app = create_app(_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return str(path)


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    """A database whose commits are real, for tests where another app, thread or process reads them.

    SQLite: a copy of the template file. PostgreSQL: the test database, emptied again afterwards
    (the rolled-back tests share it and expect it empty).
    """
    if PG_URL:
        try:
            yield database_template
        finally:
            _truncate_all(database_template)
        return
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(database_template, path)
    yield f"sqlite:///{path}"


# --- Rolled-back tests ---------------------------------------------------------------------------
# Each test runs inside one transaction on one connection that is rolled back at its end; the
# app's sessions join it with a savepoint (SQLAlchemy's "join an external transaction"), so a
# commit in a view or a factory ends that savepoint only. No file copy, no TRUNCATE, and on SQLite
# no fsync per commit.

_joined: dict[Engine, Connection] = {}  # an app's engine -> the test's connection


def _join_test_transaction(session_factory: Any) -> None:
    """Sessions whose app is in `_joined` use the test's connection instead of the app's engine."""
    base = session_factory.class_

    class JoiningSession(base):  # type: ignore[misc, valid-type]
        def get_bind(self, *args: Any, **kwargs: Any) -> Any:
            bind = super().get_bind(*args, **kwargs)
            return _joined.get(bind, bind)

    session_factory.class_ = JoiningSession
    # Only matters when the bind is a connection already in a transaction, i.e. the joined case.
    session_factory.configure(join_transaction_mode="create_savepoint")


_join_test_transaction(db.session.session_factory)


@pytest.fixture(scope="session")
def rollback_engine(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The engine of the rolled-back tests: a copy of the template, or the PostgreSQL test database."""
    if PG_URL:
        engine = create_engine(database_template)
    else:
        path = tmp_path_factory.mktemp("rollback") / "rollback.sqlite3"
        shutil.copyfile(database_template, path)
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

        # pysqlite begins a transaction only before a write and so would let a savepoint's
        # RELEASE commit; let SQLAlchemy say BEGIN itself (SQLAlchemy's documented recipe).
        @event.listens_for(engine, "connect")
        def _driver_autocommit(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")
    yield engine
    engine.dispose()


@pytest.fixture
def test_transaction(rollback_engine: Engine) -> Iterator[Connection]:
    """One connection in a transaction that is rolled back when the test ends."""
    connection = rollback_engine.connect()
    transaction = connection.begin()
    if PG_URL:
        # Sequences ignore rollbacks (setval too), and some tests name a row by id as on a fresh database.
        connection.exec_driver_sql(
            "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
            "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace")
    try:
        yield connection
    finally:
        transaction.rollback()
        connection.close()


def committing(request: pytest.FixtureRequest) -> bool:
    """Whether the test needs real commits: it is marked so, or it asks for its own database."""
    return (request.node.get_closest_marker("committing") is not None
            or "database_url" in request.fixturenames)


# One app per configuration for all the rolled-back tests of a run: building one costs more than
# most tests do (about 1,400 URL rules to compile, 115 admin views and their forms to scaffold,
# every template to compile again). Each test gets it back as it was made: its configuration and
# extensions restored, the rate limiter's state renewed. A test that needs an app of its own
# builds one with create_app, as the committing tests do.
_shared_apps: dict[tuple[str, str], Flask] = {}


def _shared_app(url: str, extra: dict[str, Any]) -> Flask:
    key = (url, repr(sorted(extra.items())))
    if key not in _shared_apps:
        _shared_apps[key] = create_app(_config(url) | extra)
    return _shared_apps[key]


@contextmanager
def _restored(app: Flask) -> Iterator[None]:
    """Whatever a test changes in the app's configuration or adds to its extensions is undone after it."""
    from webapp.ratelimit import limiter

    config, extensions = dict(app.config), dict(app.extensions)
    # The limiter is one object that every create_app configures (enabled or not, its storage):
    # give it back to this app, with no counts left by an earlier test.
    limiter.init_app(app)
    try:
        yield
    finally:
        app.config.clear()
        app.config.update(config)
        for key in set(app.extensions) - set(extensions):
            del app.extensions[key]


def _make_app(request: pytest.FixtureRequest, extra: dict[str, Any]) -> Iterator[Flask]:
    if committing(request):
        app = create_app(_config(request.getfixturevalue("database_url")) | extra)
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
        return
    connection = request.getfixturevalue("test_transaction")
    url = connection.engine.url.render_as_string(hide_password=False)
    fresh = request.node.get_closest_marker("fresh_app") is not None
    app = create_app(_config(url) | extra) if fresh else _shared_app(url, extra)
    with nullcontext() if fresh else _restored(app), app.app_context():
        engine = db.engine
        _joined[engine] = connection
        try:
            yield app
            db.session.remove()
        finally:
            del _joined[engine]
            engine.dispose()


@pytest.fixture
def app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    yield from _make_app(request, {})


@pytest.fixture
def csrf_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app with CSRF protection on, as in production."""
    yield from _make_app(request, {"WTF_CSRF_ENABLED": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    """The commands as `flask` has them: wsgi.py adds the jobs' and the demo's to create_app's."""
    from jobs.cli import register_cli as register_job_cli
    from seed.cli import register_cli as register_seed_cli
    register_job_cli(app)
    register_seed_cli(app)
    return app.test_cli_runner()


def is_postgres() -> bool:
    return bool(PG_URL)
