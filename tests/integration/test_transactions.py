"""How a request's transaction ends: read-only work commits, anything else rolls back."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text, update

from webapp.extensions import db
from webapp.models import Team

# The tests watch the engine's own COMMIT and ROLLBACK, which a rolled-back test never sends.
pytestmark = pytest.mark.committing


@pytest.fixture
def ends(app):
    seen: list[str] = []
    listeners = [("commit", lambda conn: seen.append("commit")),
                 ("rollback", lambda conn: seen.append("rollback"))]
    for name, listener in listeners:
        event.listen(db.engine, name, listener)
    yield seen
    for name, listener in listeners:
        event.remove(db.engine, name, listener)


@pytest.fixture
def team(app, create_job_centre):
    team = create_job_centre().teams[0]
    db.session.commit()
    return team


def _name(team_id: int) -> str:
    return db.session.scalar(select(Team.name).where(Team.id == team_id))


def test_a_request_that_only_read_commits(app, team, ends):
    """Operations (docs/operations.md): read-only requests end in COMMIT, so psycopg keeps
    the connection's prepared statements (it forgets them on ROLLBACK)."""
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Team)) >= 1
        db.session.execute(text("SELECT 1"))
    assert ends == ["commit"]


@pytest.mark.parametrize("write", ["core", "text", "orm", "orm flushed"])
def test_a_request_that_wrote_without_committing_still_rolls_back(app, team, ends, write):
    """A change the request did not commit is never kept, however it was made."""
    team_id, before = team.id, team.name
    with app.app_context():
        if write == "core":
            db.session.execute(update(Team).where(Team.id == team_id).values(name="Ændret"))
        elif write == "text":
            db.session.execute(text("UPDATE teams SET name = 'Ændret' WHERE id = :id"),
                               {"id": team_id})
        else:
            db.session.get(Team, team_id).name = "Ændret"
            if write == "orm flushed":
                db.session.flush()
    assert ends == ["rollback"]
    db.session.expire_all()
    assert _name(team_id) == before


def test_a_failed_request_rolls_back(app, team, ends):
    with pytest.raises(RuntimeError), app.app_context():
        db.session.scalar(select(func.count()).select_from(Team))
        raise RuntimeError("boom")
    assert ends == ["rollback"]
