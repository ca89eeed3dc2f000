"""Alembic's comparison of what it does not compare itself: PostgreSQL's exclusion constraints."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from alembic.operations import ops
from alembic.runtime.plugins import Plugin
from alembic.util import PriorityDispatchResult
from sqlalchemy import MetaData, Table, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.schema import CreateTable

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

PLUGIN = "planner.exclusion_constraints"
# What `flask db check` and the migration test compare: Alembic's own comparisons, check
# constraints by name (Alembic leaves them out by default) and the exclusion constraints.
AUTOGENERATE_PLUGINS = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname", PLUGIN]

_IN_DATABASE = text("""
    SELECT c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE c.contype = 'x' AND t.relname = :table AND n.nspname = coalesce(:schema, current_schema())
""")


def _compare_exclusion_constraints(autogen_context: AutogenContext,
                                   modify_table_ops: ops.ModifyTableOps, schema: str | None,
                                   tname: str, conn_table: Table | None,
                                   metadata_table: Table | None) -> PriorityDispatchResult:
    """Adds, drops and changes of the exclusion constraints (R-2.4), found by name."""
    if conn_table is None or metadata_table is None:
        return PriorityDispatchResult.CONTINUE
    assert autogen_context.connection is not None
    in_models = {str(c.name): c for c in metadata_table.constraints if isinstance(c, ExcludeConstraint)}
    in_database = dict(autogen_context.connection.execute(
        _IN_DATABASE, {"table": tname, "schema": schema}).tuples().all())
    for name in sorted(in_database.keys() - in_models.keys()):
        modify_table_ops.ops.append(
            ops.DropConstraintOp.from_constraint(_reflected(name, in_database[name], tname, schema)))
    for name in sorted(in_models.keys() - in_database.keys()):
        modify_table_ops.ops.append(ops.AddConstraintOp.from_constraint(in_models[name]))
    for name in sorted(in_models.keys() & in_database.keys()):
        model_definition = _definition(in_models[name], autogen_context)
        if _canonical(model_definition) != _canonical(in_database[name]):
            modify_table_ops.ops.append(ops.DropConstraintOp.from_constraint(
                _reflected(name, in_database[name], tname, schema)))
            modify_table_ops.ops.append(ops.AddConstraintOp.from_constraint(in_models[name]))
    return PriorityDispatchResult.CONTINUE


def _definition(constraint: ExcludeConstraint, autogen_context: AutogenContext) -> str:
    """The model's constraint as PostgreSQL's DDL writes it: `EXCLUDE USING gist (...) ...`."""
    compiler = autogen_context.dialect.ddl_compiler(autogen_context.dialect, CreateTable(constraint.table))
    return compiler.process(constraint).split(" ", 2)[2]   # without "CONSTRAINT <name>"


def _canonical(definition: str) -> str:
    """A definition without what PostgreSQL adds when it prints one back: casts such as
    `::text`, extra parentheses, spacing and the case of keywords (text in quotes is kept)."""
    parts = definition.split("'")
    parts[::2] = [re.sub(r"::[a-z ]+|[\s()]", "", part.lower()) for part in parts[::2]]
    return "'".join(parts)


def _reflected(name: str, definition: str, tname: str, schema: str | None) -> ExcludeConstraint:
    """The database's constraint as an object, so Alembic can write its drop (and undo it)."""
    match = re.fullmatch(r"EXCLUDE USING (\w+) \((.+?)\)(?: WHERE \((.+)\))?", definition)
    if match is None:
        raise ValueError(f"Cannot read the exclusion constraint {name}: {definition}")
    using, elements, where = match.groups()
    constraint = ExcludeConstraint(
        *((text(expression), operator)
          for expression, operator in re.findall(r"(.+?) WITH (\S+)(?:, |$)", elements)),
        name=name, using=using, where=text(where) if where else None)
    Table(tname, MetaData(), constraint, schema=schema)
    return constraint


# Registered once, on import; Alembic runs it where the context's plugins name it.
Plugin(PLUGIN).add_autogenerate_comparator(_compare_exclusion_constraints, "table",
                                           "exclusion_constraints", qualifier="postgresql")
