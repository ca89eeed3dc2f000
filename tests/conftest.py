"""Fixtures: an app on a migrated, empty database per test (SQLite or PostgreSQL)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.config import TestConfig, normalise_database_url
from webapp.extensions import db

PG_URL = os.environ.get("PLANNER_TEST_DATABASE_URL")

pytest_plugins = ["tests.factories"]


def _config(url: str) -> dict:
    return {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()} | {
        "SQLALCHEMY_DATABASE_URI": url,
        # A fresh pool per test; SQLite files are swapped between tests.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
    }


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per session: a template SQLite file, or the PostgreSQL test database."""
    if PG_URL:
        url = normalise_database_url(PG_URL)
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
    if PG_URL:
        _truncate_all(database_template)
        yield database_template
        return
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(database_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(_config(database_url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def csrf_app(database_url: str) -> Iterator[Flask]:
    """The app with CSRF protection on, as in production."""
    app = create_app(_config(database_url) | {"WTF_CSRF_ENABLED": True})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


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
