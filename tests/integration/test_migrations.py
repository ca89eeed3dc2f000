"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, _config
from webapp import create_app, include_in_migrations
from webapp.config import normalise_database_url
from webapp.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database of the kind the suite runs on."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    base = make_url(normalise_database_url(PG_URL))
    name = f"planner_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_on_empty_database_matches_models(empty_database_url):
    app = create_app(_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": include_in_migrations})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == []


def test_downgrade_removes_everything_and_upgrade_again(empty_database_url):
    app = create_app(_config(empty_database_url))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert "bookings" in inspect(db.engine).get_table_names()
        db.engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="exclusion constraints exist on PostgreSQL only")
def test_postgres_has_overlap_exclusion_constraints(app):
    """R-2.4: the guards are really in the database."""
    names = set(db.session.scalars(text(
        "SELECT conname FROM pg_constraint WHERE contype = 'x'")))
    assert {"ex_booking_caseworkers_no_overlap", "ex_bookings_room_no_overlap"} <= names
