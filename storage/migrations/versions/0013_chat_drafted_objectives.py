"""objectives drafted in chat: where each came from and whether it is approved

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 11:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('source', sa.String(length=8), server_default='import', nullable=False)
        )
        batch_op.add_column(
            sa.Column('approval', sa.String(length=16), server_default='approved', nullable=False)
        )
        batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_objectives_approved_by_id_people'),
            'people',
            ['approved_by_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade() -> None:
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_objectives_approved_by_id_people'), type_='foreignkey'
        )
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by_id')
        batch_op.drop_column('approval')
        batch_op.drop_column('source')
