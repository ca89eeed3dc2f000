"""Staff logins: an e-mail address and a one-time set-password link per user (R-6.3)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('password_link_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('password_link_expires_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_password_link_hash'), ['password_link_hash'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_password_link_hash'), type_='unique')
        batch_op.drop_column('password_link_expires_at')
        batch_op.drop_column('password_link_hash')
        batch_op.drop_column('email')
