"""Self-booking: API clients, held group seats, offer rules

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_prefix', sa.String(length=12), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('purpose', sa.String(length=20), server_default='citizen_portal', nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('job_centre_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_centre_id'], ['job_centres.id'], name=op.f('fk_api_clients_job_centre_id_job_centres'), ondelete='CASCADE'),
    sa.CheckConstraint("purpose IN ('citizen_portal', 'case_system')", name=op.f('ck_api_clients_purpose')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
    sa.UniqueConstraint('job_centre_id', 'name', name=op.f('uq_api_clients_job_centre_id_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_clients_token_hash'))
    )
    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_clients_job_centre_id'), ['job_centre_id'], unique=False)

    with op.batch_alter_table('booking_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reserved_until', sa.DateTime(), nullable=True))

    with op.batch_alter_table('online_offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_age', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_age', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('postal_codes', sa.String(length=200), nullable=True))
        batch_op.create_check_constraint(
            'age_range', 'min_age IS NULL OR max_age IS NULL OR min_age <= max_age')


def downgrade():
    with op.batch_alter_table('online_offers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_online_offers_age_range'), type_='check')
        batch_op.drop_column('postal_codes')
        batch_op.drop_column('max_age')
        batch_op.drop_column('min_age')

    with op.batch_alter_table('booking_participants', schema=None) as batch_op:
        batch_op.drop_column('reserved_until')

    with op.batch_alter_table('api_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_clients_job_centre_id'))

    op.drop_table('api_clients')
