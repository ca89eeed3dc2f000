"""Letters rendered after the commit: the page waits in the letter, the e-mail points at it (R-6.4, R-6.7)

A letter's PDF is rendered once its booking change has committed, by the outbox job or when it is
first read: until then `letters.html` holds the page and `letters.pdf` is empty. An outbox
attachment that is a letter's PDF names the letter, so the e-mail can be completed from it.
Existing letters are rendered already: their `html` stays empty.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_attachments_letter_id'), ['letter_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_attachments_letter_id_letters'), 'letters',
                                    ['letter_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_attachments_letter_id_letters'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_attachments_letter_id'))
        batch_op.drop_column('letter_id')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_column('html')
