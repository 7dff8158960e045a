"""1:1 agendas: items a manager and a direct report add, the 1:1s they held, their rhythm

Revision ID: 0015
Revises: 0013
Create Date: 2026-11-27 13:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _person(column: str, table: str, ondelete: str, nullable: bool = False) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column(column, sa.Integer(), nullable=nullable),
        sa.ForeignKeyConstraint(
            [column], ['people.id'], name=op.f(f'fk_{table}_{column}_people'), ondelete=ondelete
        ),
    ]


def upgrade() -> None:
    op.create_table(
        'agenda_items',
        sa.Column('id', sa.Integer(), nullable=False),
        *_person('manager_id', 'agenda_items', 'CASCADE'),
        *_person('report_id', 'agenda_items', 'CASCADE'),
        *_person('author_id', 'agenda_items', 'SET NULL', nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('checkin_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('discussed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['checkin_id'],
            ['checkins.id'],
            name=op.f('fk_agenda_items_checkin_id_checkins'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items')),
    )
    op.create_index('ix_agenda_items_pair', 'agenda_items', ['manager_id', 'report_id'])
    op.create_table(
        'one_on_ones',
        sa.Column('id', sa.Integer(), nullable=False),
        *_person('manager_id', 'one_on_ones', 'CASCADE'),
        *_person('report_id', 'one_on_ones', 'CASCADE'),
        sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
        *_person('recorded_by_id', 'one_on_ones', 'SET NULL', nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_one_on_ones')),
    )
    op.create_index(
        'ix_one_on_ones_pair_held', 'one_on_ones', ['manager_id', 'report_id', 'held_at']
    )
    op.create_table(
        'one_on_one_rhythms',
        *_person('manager_id', 'one_on_one_rhythms', 'CASCADE'),
        *_person('report_id', 'one_on_one_rhythms', 'CASCADE'),
        sa.Column('weekday', sa.SmallInteger(), nullable=False),
        sa.Column('every_weeks', sa.SmallInteger(), nullable=False),
        sa.Column('local_time', sa.Time(), nullable=False),
        sa.Column('next_meeting', sa.DateTime(timezone=True), nullable=False),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('manager_id', 'report_id', name=op.f('pk_one_on_one_rhythms')),
    )


def downgrade() -> None:
    op.drop_table('one_on_one_rhythms')
    op.drop_index('ix_one_on_ones_pair_held', table_name='one_on_ones')
    op.drop_table('one_on_ones')
    op.drop_index('ix_agenda_items_pair', table_name='agenda_items')
    op.drop_table('agenda_items')
