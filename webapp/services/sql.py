"""SQL pieces the services share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY

from webapp.extensions import db


def in_ids(column: Any, ids: Iterable[int]) -> Any:
    """`column IN (ids)`; on PostgreSQL `column = ANY(:ids)` with one array parameter.

    The hot queries ask for the 50 caseworkers of an offer at a time: one parameter keeps
    the statement text the same for any number of ids, so it is built and prepared once.
    """
    ids = list(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)
