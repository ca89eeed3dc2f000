"""Staff logins: the subject of a user's account at the identity provider (R-6.3, R-7.2)

An OpenID Connect staff login is matched to a user by a stable claim: the e-mail address or,
with PLANNER_OIDC_STAFF_MATCH=sub, this subject. Empty for every existing user.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_oidc_subject'), ['oidc_subject'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_oidc_subject'), type_='unique')
        batch_op.drop_column('oidc_subject')
