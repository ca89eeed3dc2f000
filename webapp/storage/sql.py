"""SQL pieces the services share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from sqlalchemy import CompoundSelect, Integer, Select, TextClause, all_, any_, bindparam, event, literal
from sqlalchemy.engine import Engine
from sqlalchemy.dialects.postgresql import ARRAY

from webapp.extensions import db


def dialect() -> str:
    """The current session's database: "postgresql" or "sqlite"."""
    return db.session.get_bind().dialect.name


def in_ids(column: Any, ids: Iterable[int]) -> Any:
    """`column IN (ids)`; on PostgreSQL `column = ANY(:ids)` with one array parameter.

    The hot queries ask for the 50 caseworkers of an offer at a time: one parameter keeps
    the statement text the same for any number of ids, so it is built and prepared once.
    """
    ids = list(ids)
    if dialect() == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)


def ids_param(dialect: str) -> Callable[..., Any]:
    """For a statement built once: `column IN :name` (or with `exclude`, NOT IN), bound to
    a list of ids at execution."""
    def match(column: Any, name: str, *, exclude: bool = False) -> Any:
        if dialect == "postgresql":
            values = bindparam(name, type_=ARRAY(Integer))
            return column != all_(values) if exclude else column == any_(values)
        values = bindparam(name, expanding=True)
        return column.not_in(values) if exclude else column.in_(values)
    return match


_BUILT: dict[tuple[Callable, str], Any] = {}


def prepared(build: Callable[[Callable[..., Any]], Any]) -> Callable[[], Any]:
    """A statement built once per database dialect, executed with bound parameters.

    On the booking path building a SELECT and its cache key costs more than running it;
    a statement built once keeps its cache key. `build` gets `ids_param(dialect)` for
    lists of ids.
    """
    @wraps(build)
    def get() -> Any:
        name = dialect()
        statement = _BUILT.get((build, name))
        if statement is None:
            statement = _BUILT[(build, name)] = build(ids_param(name))
        return statement
    return get


def rows(statement: Any, params: Any = None) -> Any:
    """Run a statement of plain columns (no entities) on the session's connection.

    The session's ORM layer adds a third to the cost of such a statement and nothing to
    its result. Pending changes are flushed first, as the session itself would.
    """
    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params or {})


# ---------------------------------------------------------------------------
# Ending a request's transaction
# ---------------------------------------------------------------------------

_WROTE = "planner_wrote"


def _is_write(statement: Any) -> bool:
    if isinstance(statement, TextClause):
        return not statement.text.lstrip().upper().startswith("SELECT")
    return not isinstance(statement, Select | CompoundSelect)


@event.listens_for(Engine, "before_execute")
def _mark_writes(conn: Any, statement: Any, *args: Any) -> None:
    if not conn.info.get(_WROTE) and _is_write(statement):
        conn.info[_WROTE] = True


@event.listens_for(Engine, "before_cursor_execute")
def _mark_driver_writes(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                        executemany: bool) -> None:
    # SQL handed to the driver as a string never passed `before_execute`'s check.
    if context is not None and context.compiled is None and not conn.info.get(_WROTE) \
            and not statement.lstrip().upper().startswith("SELECT"):
        conn.info[_WROTE] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_writes(conn: Any) -> None:
    conn.info.pop(_WROTE, None)


def end_read_only_transactions(app: Any) -> None:
    """A request that only read ends its transaction with COMMIT instead of ROLLBACK.

    The two are the same to the data; not to psycopg, which forgets every prepared
    statement of the connection on ROLLBACK, so PostgreSQL would plan the app's hot
    statements afresh after every page that only read (twice the database's CPU per
    self-booking, measured). A transaction that wrote anything, or a request that
    failed, still rolls back (Flask-SQLAlchemy's teardown, which runs after this one).
    """
    @app.teardown_appcontext
    def _commit_if_read_only(exc: BaseException | None) -> None:
        session = db.session()
        if exc is not None or not session.in_transaction():
            return
        if session.new or session.dirty or session.deleted \
                or session.connection().info.get(_WROTE):
            return
        try:
            session.commit()
        except Exception:       # nothing was written; the rollback that follows tidies up
            session.rollback()
