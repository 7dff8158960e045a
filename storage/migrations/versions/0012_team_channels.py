"""team_channels: the channel each opted-in team's weekly OKR update is posted to

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 10:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'team_channels',
        sa.Column('manager_id', sa.Integer(), nullable=False),
        sa.Column('platform', sa.String(length=8), nullable=False),
        sa.Column('channel', sa.String(length=255), nullable=False),
        sa.Column('set_by', sa.String(length=255), nullable=False),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['manager_id'],
            ['people.id'],
            name=op.f('fk_team_channels_manager_id_people'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('manager_id', name=op.f('pk_team_channels')),
    )


def downgrade() -> None:
    op.drop_table('team_channels')
