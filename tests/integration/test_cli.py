"""The seeding and set-up commands (R-1.3.1, R-1.6.1, R-1.6.2, R-1.1.1)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from tests.unit.test_closure_days import CLOSURE_DAYS_2027
from webapp.extensions import db
from webapp.models import (ContactGroup, ConversationType, HoldingForm, JobCentre,
                           NationalClosureDay, Role, Team, User)



def test_r_1_3_1_closure_days_seed_command_is_idempotent(runner):
    """R-1.3.1: `flask closure-days seed --from 2026 --to 2030`; a second run adds nothing."""
    result = runner.invoke(args=["closure-days", "seed", "--from", "2026", "--to", "2030"])
    assert result.exit_code == 0, result.output
    first = db.session.scalar(select(func.count(NationalClosureDay.id)))
    assert first >= 5 * 12
    again = runner.invoke(args=["closure-days", "seed", "--from", "2026", "--to", "2030"])
    assert "0 added" in again.output
    assert db.session.scalar(select(func.count(NationalClosureDay.id))) == first
    rows = db.session.execute(
        select(NationalClosureDay.day, NationalClosureDay.name)
        .where(NationalClosureDay.day.between(date(2027, 1, 1), date(2027, 12, 31)))
        .order_by(NationalClosureDay.day)).all()
    assert [tuple(r) for r in rows] == CLOSURE_DAYS_2027


def test_r_1_3_1_may_first_only_on_request(runner):
    runner.invoke(args=["closure-days", "seed", "--from", "2027", "--to", "2027"])
    assert db.session.scalar(select(NationalClosureDay).where(
        NationalClosureDay.day == date(2027, 5, 1))) is None
    result = runner.invoke(args=["closure-days", "seed", "--from", "2027", "--to", "2027",
                                 "--include-may-first"])
    assert "1 added" in result.output


def test_closure_days_bad_range(runner):
    result = runner.invoke(args=["closure-days", "seed", "--from", "2030", "--to", "2026"])
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count(NationalClosureDay.id))) == 0


def test_r_1_6_1_r_1_6_2_reference_seed(runner):
    """R-1.6.1: the 11 central types with national codes; R-1.6.2: forms and groups."""
    assert runner.invoke(args=["seed", "reference"]).exit_code == 0
    types = dict(db.session.execute(select(ConversationType.code, ConversationType.name)).all())
    assert sorted(types) == [4, 7, 8, 9, 10, 11, 12, 13, 15, 17, 19]
    assert types[7] == "Jobsamtale" and types[13] == "Informationsmøde uden mødepligt"
    assert db.session.scalar(select(func.count(HoldingForm.id))) == 4
    assert db.session.scalar(select(func.count(ContactGroup.id))) == 7
    result = runner.invoke(args=["seed", "reference"])
    assert "0 rows added" in result.output


def test_r_1_1_1_new_job_centre_gets_the_default_two_levels(runner):
    result = runner.invoke(args=["job-centre", "create", "Jobcenter Vejle",
                                 "--municipality", "Vejle"])
    assert result.exit_code == 0, result.output
    job_centre = db.session.scalar(select(JobCentre).where(JobCentre.name == "Jobcenter Vejle"))
    teams = db.session.scalars(select(Team).where(Team.job_centre_id == job_centre.id)
                               .order_by(Team.id)).all()
    assert [(t.name, t.parent_id is None) for t in teams] == [
        ("Vejle Jobcenter", True), ("Vejle Jobcenter", False)]
    # Two levels with the same name: the second must be renamed before other edits.
    assert teams[1].pending_rename and not teams[0].pending_rename
    duplicate = runner.invoke(args=["job-centre", "create", "Jobcenter Vejle",
                                    "--municipality", "Vejle"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output


def test_users_create(runner):
    runner.invoke(args=["job-centre", "create", "Jobcenter Vejle", "--municipality", "Vejle"])
    result = runner.invoke(args=["users", "create", "--username", "anna", "--name", "Anna",
                                 "--role", "administrator", "--job-centre", "Jobcenter Vejle",
                                 "--password", "hemmeligt"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "anna"))
    assert user.role == Role.ADMINISTRATOR and user.check_password("hemmeligt")
    missing = runner.invoke(args=["users", "create", "--username", "bo", "--name", "Bo",
                                  "--role", "caseworker", "--password", "x"])
    assert missing.exit_code != 0
