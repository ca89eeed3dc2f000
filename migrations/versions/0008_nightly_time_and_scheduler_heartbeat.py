"""Each job centre's nightly time, and the scheduler's heartbeat (R-3.2, R-1.10.1, R-1.12.1)

`job_centres.allocation_time` is when the nightly allocation runs for the job centre, "HH:MM"
Copenhagen time; empty (every existing job centre) keeps the global PLANNER_ALLOCATION_TIME.
`scheduler_heartbeats` holds one row per scheduler process, its latest sign of life updated
by a job, so the About page can tell a running scheduler from a dead one.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job_centres', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allocation_time', sa.String(length=5), nullable=True))
    op.create_table(
        'scheduler_heartbeats',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('beat_at', sa.DateTime(), nullable=False),
        sa.Column('stopped_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_heartbeats')),
    )
    with op.batch_alter_table('scheduler_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduler_heartbeats_beat_at'), ['beat_at'], unique=False)


def downgrade():
    with op.batch_alter_table('scheduler_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduler_heartbeats_beat_at'))
    op.drop_table('scheduler_heartbeats')
    with op.batch_alter_table('job_centres', schema=None) as batch_op:
        batch_op.drop_column('allocation_time')
