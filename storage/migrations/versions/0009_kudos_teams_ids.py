"""kudos hold whole Teams user ids (29:1 and about 110 characters), not only Slack's

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 06:35:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ('giver_platform_id', 'recipient_platform_id')


def upgrade() -> None:
    with op.batch_alter_table('kudos', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.alter_column(
                column, existing_type=sa.String(length=64), type_=sa.String(length=255)
            )


def downgrade() -> None:
    with op.batch_alter_table('kudos', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.alter_column(
                column, existing_type=sa.String(length=255), type_=sa.String(length=64)
            )
