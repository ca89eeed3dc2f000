"""SQL pieces the services share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from sqlalchemy import Integer, all_, any_, bindparam, literal
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
