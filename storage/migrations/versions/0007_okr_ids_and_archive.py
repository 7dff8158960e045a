"""objectives and key results get the OKR file's stable id and an archived time

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 05:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            'uq_objectives_quarter_external_id', ['quarter', 'external_id']
        )
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('external_id')
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.drop_constraint('uq_objectives_quarter_external_id', type_='unique')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('external_id')
