"""Called-in bookings' cancellation and rebooking deadlines brought in line with one rule (R-4.5, R-4.9)

Until one rule served every origin, the batch placed bookings with cancellation allowed until
N days before the start (N the template's `rebooking_until_days`), where every other origin
allows it until the start. Those bookings kept the earlier deadline. A called-in booking that
the job centre moved also kept the deadlines of its first time, as a move does not recompute
them.

This migration gives every live (booked, not yet started) called-in booking with a template
the deadlines `webapp.booking.terms.limits` computes from that template today:

- cancellation until the start;
- rebooking until N days before the start.

Only a deadline the booking already has is moved: a booking without one (its template did
not allow the change when it was made) does not get one, and a deadline is kept where the
template no longer allows the change, since the citizen was promised it in the receipt. The
rows that differ are therefore: batch placements whose template allows cancellation with N > 0
(their cancellation deadline), and moved bookings (either deadline).

The rule is written out here rather than imported, so the migration keeps doing what it did
when the application's code changes. Reads and writes are SQLAlchemy Core, the same on SQLite
and PostgreSQL; the datetimes are naive Copenhagen wall-clock times as everywhere in the
schema.

Revision ID: 0006
Revises: 0005
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

bookings = sa.table(
    'bookings',
    sa.column('id', sa.Integer()), sa.column('template_id', sa.Integer()),
    sa.column('starts_at', sa.DateTime()), sa.column('status', sa.String()),
    sa.column('origin', sa.String()), sa.column('cancellable_until', sa.DateTime()),
    sa.column('rebookable_until', sa.DateTime()))
templates = sa.table(
    'callin_templates',
    sa.column('id', sa.Integer()), sa.column('accept_cancellation', sa.Boolean()),
    sa.column('accept_rebooking', sa.Boolean()), sa.column('rebooking_until_days', sa.Integer()))


def _now() -> datetime:
    """Copenhagen wall-clock time, naive, as the application's clock gives it."""
    return datetime.now(ZoneInfo('Europe/Copenhagen')).replace(tzinfo=None, microsecond=0)


def corrections(rows, now: datetime) -> list[dict]:
    """The new deadlines of the rows that differ from the one rule: one dict per booking with
    `b_id` and `new_<column>` for each deadline to set."""
    changed = []
    for row in rows:
        if row.starts_at <= now:
            continue
        values = {}
        if row.accept_cancellation and row.cancellable_until is not None \
                and row.cancellable_until != row.starts_at:
            values['new_cancellable_until'] = row.starts_at
        rebook_until = row.starts_at - timedelta(days=row.rebooking_until_days or 0)
        if row.accept_rebooking and row.rebookable_until is not None \
                and row.rebookable_until != rebook_until:
            values['new_rebookable_until'] = rebook_until
        if values:
            changed.append({'b_id': row.id, **values})
    return changed


def upgrade():
    bind = op.get_bind()
    live = bind.execute(
        sa.select(bookings.c.id, bookings.c.starts_at, bookings.c.cancellable_until,
                  bookings.c.rebookable_until, templates.c.accept_cancellation,
                  templates.c.accept_rebooking, templates.c.rebooking_until_days)
        .join(templates, templates.c.id == bookings.c.template_id)
        .where(bookings.c.origin == 'called_in', bookings.c.status == 'booked',
               sa.or_(bookings.c.cancellable_until.is_not(None),
                      bookings.c.rebookable_until.is_not(None)))
        .order_by(bookings.c.id)).all()
    # One statement per set of columns, each row's values bound: no date arithmetic in SQL.
    by_columns: dict[tuple[str, ...], list[dict]] = {}
    for change in corrections(live, _now()):
        columns = tuple(sorted(key.removeprefix('new_') for key in change if key != 'b_id'))
        by_columns.setdefault(columns, []).append(change)
    for columns, params in by_columns.items():
        bind.execute(bookings.update().where(bookings.c.id == sa.bindparam('b_id'))
                     .values({column: sa.bindparam(f'new_{column}') for column in columns}),
                     params)


def downgrade():
    # Nothing to undo: the deadlines set are those the application writes for every booking
    # today, and the earlier ones were the fault this revision repairs (the old values are not
    # kept, so they could not be restored). Going back must not take back a deadline the
    # citizen has since been told.
    pass
