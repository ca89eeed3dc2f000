"""Job centres: the municipality's code, which identifies the job centre to the national data hub (R-6.9)

Three digits (101 København, 751 Aarhus, …), as in the reports to DFDG (docs/dfdg.md).
Empty for every existing job centre until support fills it in.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# Three digits, written so that SQLite and PostgreSQL both read it (as the model declares it).
CHECK = ("municipality_code IS NULL OR (length(municipality_code) = 3"
         " AND substr(municipality_code, 1, 1) BETWEEN '0' AND '9'"
         " AND substr(municipality_code, 2, 1) BETWEEN '0' AND '9'"
         " AND substr(municipality_code, 3, 1) BETWEEN '0' AND '9')")


def upgrade():
    with op.batch_alter_table('job_centres', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality_code', sa.String(length=3), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_job_centres_municipality_code'), CHECK)


def downgrade():
    with op.batch_alter_table('job_centres', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_job_centres_municipality_code'), type_='check')
        batch_op.drop_column('municipality_code')
