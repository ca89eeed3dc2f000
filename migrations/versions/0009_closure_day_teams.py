"""Local closure days for one or more teams (R-1.3.2: "til et eller flere teams")

A new association table `local_closure_day_teams`; each closure day's team moves there, and
the old `team_id` column of `local_closure_days` goes. Downgrade keeps one team per closure
day (the lowest id) and drops the days that have none.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Read the teams first: SQLite rebuilds local_closure_days to drop the column, and a table
    # already pointing at it (ON DELETE CASCADE) would lose its rows with the old copy.
    pairs = [{'closure_id': closure_id, 'team_id': team_id} for closure_id, team_id in
             op.get_bind().execute(sa.text("SELECT id, team_id FROM local_closure_days")).all()]

    with op.batch_alter_table('local_closure_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_local_closure_days_team_id'))
        batch_op.drop_constraint(batch_op.f('fk_local_closure_days_team_id_teams'), type_='foreignkey')
        batch_op.drop_column('team_id')

    table = op.create_table('local_closure_day_teams',
    sa.Column('closure_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['closure_id'], ['local_closure_days.id'], name=op.f('fk_local_closure_day_teams_closure_id_local_closure_days'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_local_closure_day_teams_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('closure_id', 'team_id', name=op.f('pk_local_closure_day_teams'))
    )
    with op.batch_alter_table('local_closure_day_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_local_closure_day_teams_team_id'), ['team_id'], unique=False)
    if pairs:
        op.bulk_insert(table, pairs)


def downgrade():
    first_team = dict(op.get_bind().execute(sa.text(
        "SELECT closure_id, MIN(team_id) FROM local_closure_day_teams GROUP BY closure_id")).all())
    with op.batch_alter_table('local_closure_day_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_local_closure_day_teams_team_id'))
    op.drop_table('local_closure_day_teams')

    # A closure day keeps one team, the lowest id; one with none left goes.
    with op.batch_alter_table('local_closure_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
    for closure_id, team_id in first_team.items():
        op.execute(sa.text("UPDATE local_closure_days SET team_id = :team WHERE id = :id")
                   .bindparams(team=team_id, id=closure_id))
    op.execute("DELETE FROM local_closure_days WHERE team_id IS NULL")
    with op.batch_alter_table('local_closure_days', schema=None) as batch_op:
        batch_op.alter_column('team_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_local_closure_days_team_id_teams'), 'teams', ['team_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_local_closure_days_team_id'), ['team_id'], unique=False)
