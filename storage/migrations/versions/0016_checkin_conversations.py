"""check-in conversations: replies and reactions between a person and their manager, where each
check-in's summary is (to thread answers under it), and feedback asked for per key result

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 13:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _person(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ['people.id'],
        name=op.f(f'fk_checkin_messages_{column}_people'),
        ondelete='CASCADE',
    )


def upgrade() -> None:
    op.create_table(
        'checkin_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_thread', sa.String(length=200), nullable=True),
        _person('author_id'),
        _person('recipient_id'),
        _person('report_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_messages')),
        sa.UniqueConstraint('key', name=op.f('uq_checkin_messages_key')),
    )
    with op.batch_alter_table('checkin_messages', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_checkin_messages_delivered_thread'), ['delivered_thread'], unique=False
        )
        batch_op.create_index(
            'ix_checkin_messages_report_period', ['report_id', 'period'], unique=False
        )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('feedback_requested', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('person_weeks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary_ref', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('summary_thread', sa.String(length=200), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_person_weeks_summary_thread'), ['summary_thread'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('person_weeks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_weeks_summary_thread'))
        batch_op.drop_column('summary_thread')
        batch_op.drop_column('summary_ref')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_column('feedback_requested')
    with op.batch_alter_table('checkin_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_checkin_messages_report_period')
        batch_op.drop_index(batch_op.f('ix_checkin_messages_delivered_thread'))
    op.drop_table('checkin_messages')
