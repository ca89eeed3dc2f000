"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, _config
from webapp import create_app
from webapp.config import normalise_database_url
from webapp.extensions import db

postgres_only = pytest.mark.skipif(not PG_URL, reason="exclusion constraints exist on PostgreSQL only")


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


def _differences(app) -> list:
    """What `flask db check` would find: the app's own comparison settings and plugins."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=app.extensions["migrate"].configure_args)
        return compare_metadata(context, db.metadata)


def test_upgrade_on_empty_database_matches_models(empty_database_url):
    """Tables, columns, types, indexes, unique and check constraints and, on PostgreSQL, the
    exclusion constraints (R-2.4) of the migrations are those the models declare."""
    app = create_app(_config(empty_database_url))
    with app.app_context():
        upgrade()
        diff = _differences(app)
        db.engine.dispose()
    assert diff == []


@postgres_only
def test_r_2_4_comparison_sees_a_missing_changed_or_extra_exclusion_constraint(empty_database_url):
    """R-2.4: the models' exclusion constraints are compared with the database's, so a migration
    that loses or changes one fails the test above."""
    app = create_app(_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE bookings DROP CONSTRAINT ex_bookings_room_no_overlap"))
            conn.execute(text(  # the same name, but reporting time no longer counts
                "ALTER TABLE booking_caseworkers DROP CONSTRAINT ex_booking_caseworkers_no_overlap; "
                "ALTER TABLE booking_caseworkers ADD CONSTRAINT ex_booking_caseworkers_no_overlap "
                "EXCLUDE USING gist (caseworker_id WITH =, tsrange(starts_at, starts_at + interval "
                "'1 minute') WITH &&) WHERE (blocking)"))
            conn.execute(text("ALTER TABLE rooms ADD CONSTRAINT ex_rooms_one_name "
                              "EXCLUDE USING gist (name WITH =)"))
        diff = [(action, constraint.table.name, constraint.name)
                for action, constraint in _differences(app)]
        db.engine.dispose()
    assert sorted(diff) == [
        ("add_constraint", "booking_caseworkers", "ex_booking_caseworkers_no_overlap"),
        ("add_constraint", "bookings", "ex_bookings_room_no_overlap"),
        ("remove_constraint", "booking_caseworkers", "ex_booking_caseworkers_no_overlap"),
        ("remove_constraint", "rooms", "ex_rooms_one_name"),
    ]


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


@postgres_only
def test_postgres_has_overlap_exclusion_constraints(app):
    """R-2.4: the guards the models declare are really in the database."""
    names = set(db.session.scalars(text(
        "SELECT conname FROM pg_constraint WHERE contype = 'x'")))
    declared = {c.name for table in db.metadata.tables.values() for c in table.constraints
                if isinstance(c, ExcludeConstraint)}
    assert declared == {"ex_booking_caseworkers_no_overlap", "ex_bookings_room_no_overlap"}
    assert names == declared


# --- 0006: the called-in bookings' deadlines (R-4.5, R-4.9) ---------------------------------

def test_r_4_5_r_4_9_migration_0006_gives_live_called_in_bookings_the_one_rules_deadlines(
        empty_database_url):
    """R-4.5, R-4.9: a booking the batch placed before one rule served every origin kept
    cancellation until N days before the start; 0006 moves it to the start, and a moved
    booking's stale deadlines to its new time. Past, cancelled and self-booked rows, rows already
    in line, and a right the booking never had are left as they are."""
    from tests.booking_origins import make_booking
    from tests.workspace_setup import build_workspace
    from webapp.administration.reference import seed_reference_data
    from webapp.clock import now_local
    from webapp.models import Booking

    app = create_app(_config(empty_database_url))
    with app.app_context():
        # The rows are made with today's models, then the schema is taken back to 0005 and
        # upgraded again, so 0006 runs on them whatever later revisions add.
        upgrade()
        seed_reference_data()
        db.session.commit()
        ws = build_workspace()
        template = ws.templates["auto"]
        template.accept_cancellation, template.accept_rebooking = True, True
        template.rebooking_until_days = 3
        db.session.commit()
        placed = make_booking(ws, "batch")
        assert placed.template_id == template.id
        table = Booking.__table__
        columns = {c.name: getattr(placed, c.name) for c in table.columns if c.name != "id"}
        start = now_local().replace(hour=9, minute=0, second=0) + timedelta(days=30)
        n = timedelta(days=3)

        def row(days: int, **values) -> int:
            starts_at = start + timedelta(days=days)
            data = columns | {"starts_at": starts_at, "ends_at": starts_at + timedelta(minutes=30),
                              "cancellable_until": starts_at - n,
                              "rebookable_until": starts_at - n} | values
            return db.session.execute(insert(table).values(**data)).inserted_primary_key[0]

        old_batch = row(0)  # the old batch rule: both deadlines N days before
        moved = row(1, cancellable_until=start - timedelta(days=5),
                    rebookable_until=start - timedelta(days=5) - n)  # moved a week on
        in_line = row(2, cancellable_until=start + timedelta(days=2))
        no_cancel = row(3, cancellable_until=None)
        past = row(-60)
        cancelled = row(4, status="cancelled")
        self_booked = row(5, origin="self_booked", template_id=None)
        db.session.execute(table.delete().where(table.c.id == placed.id))
        db.session.commit()
        before = {r.id: r for r in db.session.execute(select(table))}
        db.session.remove()
        downgrade(revision="0005")

        upgrade()

        after = {r.id: r for r in db.session.execute(select(table))}
        db.session.remove()
        db.engine.dispose()

    def deadlines(booking_id: int) -> tuple:
        return after[booking_id].cancellable_until, after[booking_id].rebookable_until

    assert deadlines(old_batch) == (start, start - n)
    assert deadlines(moved) == (start + timedelta(days=1), start + timedelta(days=1) - n)
    assert deadlines(in_line) == (start + timedelta(days=2), start + timedelta(days=2) - n)
    assert deadlines(no_cancel) == (None, start + timedelta(days=3) - n)
    for untouched in (past, cancelled, self_booked, in_line, no_cancel):
        assert after[untouched] == before[untouched]
    changed = {i for i in after if after[i] != before[i]}
    assert changed == {old_batch, moved}


def test_migration_0006_downgrade_keeps_the_deadlines(empty_database_url):
    """Going back from 0006 changes nothing: the deadlines set are the application's own."""
    app = create_app(_config(empty_database_url))
    with app.app_context():
        upgrade()
        downgrade(revision="0005")
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0005"
        db.session.remove()
        upgrade()
        db.engine.dispose()


def test_r_1_3_2_migration_0009_moves_each_closure_days_team_to_its_list_of_teams(empty_database_url):
    """R-1.3.2 ("til et eller flere teams"): 0009 gives every local closure day the team it had
    as the one team of its list, drops the old column, and going back keeps one team each."""
    app = create_app(_config(empty_database_url))
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO job_centres (id, name, municipality, sync_modes) "
                              "VALUES (1, 'Jobcenter Test', 'Test', 'none')"))
            conn.execute(text("INSERT INTO teams (id, parent_id, name, job_centre_id) VALUES "
                              "(1, NULL, 'Rod', 1), (2, 1, 'Unge', 1), (3, 1, 'Voksne', 1)"))
            conn.execute(text("INSERT INTO local_closure_days (id, team_id, name, first_day, last_day, "
                              "job_centre_id) VALUES (1, 2, 'Temadag', '2030-03-05', '2030-03-05', 1), "
                              "(2, 3, 'Flytning', '2030-04-01', '2030-04-02', 1)"))
        upgrade()
        with db.engine.begin() as conn:
            links = sorted(conn.execute(text("SELECT closure_id, team_id FROM local_closure_day_teams")).all())
            columns = {c["name"] for c in inspect(conn).get_columns("local_closure_days")}
            conn.execute(text("INSERT INTO local_closure_day_teams (closure_id, team_id) VALUES (1, 3)"))
        downgrade(revision="0007")
        with db.engine.begin() as conn:
            back = sorted(conn.execute(text("SELECT id, team_id, name FROM local_closure_days")).all())
            tables = set(inspect(conn).get_table_names())
        db.session.remove()
        db.engine.dispose()
    assert links == [(1, 2), (2, 3)]
    assert "team_id" not in columns
    assert back == [(1, 2, "Temadag"), (2, 3, "Flytning")]
    assert "local_closure_day_teams" not in tables
