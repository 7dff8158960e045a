"""people can have their own working hours (start, end, days)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 08:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_start', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('work_end', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('work_days', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('work_days')
        batch_op.drop_column('work_end')
        batch_op.drop_column('work_start')
