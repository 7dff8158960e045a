"""people keep the Teams user id of their 1:1 conversation, indexed, so an @mention is one lookup

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 08:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

people = sa.table(
    'people',
    sa.column('id', sa.Integer),
    sa.column('teams_conversation', sa.JSON),
    sa.column('teams_user_id', sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('teams_user_id', sa.String(length=255), nullable=True))
        batch_op.create_index('ix_people_teams_user_id', ['teams_user_id'], unique=False)
    # Fill it in from the conversation references stored so far (the user each one is with).
    connection = op.get_bind()
    stored = connection.execute(
        sa.select(people.c.id, people.c.teams_conversation).where(
            people.c.teams_conversation.is_not(None)
        )
    ).all()
    for person_id, reference in stored:
        user = (reference or {}).get('user') if isinstance(reference, dict) else None
        user_id = user.get('id') if isinstance(user, dict) else None
        if user_id:
            connection.execute(
                people.update().where(people.c.id == person_id).values(teams_user_id=str(user_id))
            )


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_teams_user_id')
        batch_op.drop_column('teams_user_id')
