"""Absences (R-6.4) and the audit events for absences and exports (R-1.9.1, R-6.11)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

OLD_EVENTS = (
    'call_in_created', 'call_in_sent_to_hub', 'booking_seen_by_citizen',
    'booking_being_moved_by_citizen', 'booking_moved_by_citizen',
    'booking_being_moved_by_job_centre', 'booking_moved_by_job_centre',
    'booking_cancelled_by_job_centre', 'booking_cancelled_by_citizen', 'booking_created',
    'booking_details_viewed', 'caseworker_attached', 'caseworker_detached', 'citizen_attached',
    'citizen_detached', 'citizen_card_viewed', 'admin_created', 'admin_updated', 'admin_deleted',
)
NEW_EVENTS = OLD_EVENTS + (
    'data_exported', 'absence_registered', 'absence_changed', 'absence_removed')


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('absences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caseworker_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('sickness', 'holiday', 'course', 'other', name='absencekind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('job_centre_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_absences_order')),
    sa.ForeignKeyConstraint(['caseworker_id'], ['caseworkers.id'], name=op.f('fk_absences_caseworker_id_caseworkers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_absences_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_centre_id'], ['job_centres.id'], name=op.f('fk_absences_job_centre_id_job_centres'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_absences'))
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absences_caseworker_id'), ['caseworker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_absences_job_centre_id'), ['job_centre_id'], unique=False)

    _set_audit_events(NEW_EVENTS)


def downgrade():
    _set_audit_events(OLD_EVENTS)
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absences_job_centre_id'))
        batch_op.drop_index(batch_op.f('ix_absences_caseworker_id'))

    op.drop_table('absences')


def _set_audit_events(events):
    """Replace the CHECK constraint listing the audit events (SQLite rebuilds the table)."""
    check = "event IN (" + ", ".join(f"'{event}'" for event in events) + ")"
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_audit_entries_auditevent"), "audit_entries", type_="check")
        op.create_check_constraint(op.f("ck_audit_entries_auditevent"), "audit_entries", check)
        return
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_entries_no_{action}")
    with op.batch_alter_table("audit_entries", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_entries_auditevent"), type_="check")
        batch_op.create_check_constraint(op.f("ck_audit_entries_auditevent"), check)
    for action in ("UPDATE", "DELETE"):
        op.execute(f"""
            CREATE TRIGGER audit_entries_no_{action.lower()}
            BEFORE {action} ON audit_entries
            BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""")
