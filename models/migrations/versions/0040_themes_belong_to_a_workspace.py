"""themes belong to a workspace (one deployment may serve several)

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-02 12:00:00.000000

Which workspace an existing theme belongs to, in this order:

1. its creator's (a facilitator of that workspace opened it: the only certain answer);
2. else (the creator asked to be forgotten, so ``created_by_id`` is empty) the one workspace
   whose people attached ideas to it, if they all come from one;
3. else the deployment's only workspace, if it has one (every single-workspace install);
4. else none: ``''``, which no request's ``team_id`` matches. Such a theme is hidden
   everywhere rather than shown to a workspace it may not belong to; an operator can give it
   its workspace with ``UPDATE themes SET team_id = 'T...' WHERE id = ...``.

Guessing further (the workspace with the most ideas, say) could hand one city's challenge to
another, which is the leak this revision closes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_WORKSPACE = ""

themes = sa.table(
    "themes",
    sa.column("id", sa.Integer()),
    sa.column("team_id", sa.String(32)),
    sa.column("created_by_id", sa.Integer()),
)
participants = sa.table(
    "participants", sa.column("id", sa.Integer()), sa.column("team_id", sa.String(32))
)
ideas = sa.table("ideas", sa.column("theme_id", sa.Integer()), sa.column("author_id", sa.Integer()))


def _workspace_of(connection: sa.Connection, created_by_id: int | None, theme_id: int) -> str:
    if created_by_id is not None:
        creator = connection.scalar(
            sa.select(participants.c.team_id).where(participants.c.id == created_by_id)
        )
        if creator:
            return str(creator)
    of_ideas = connection.scalars(
        sa.select(participants.c.team_id)
        .distinct()
        .join(ideas, ideas.c.author_id == participants.c.id)
        .where(ideas.c.theme_id == theme_id)
    ).all()
    if len(of_ideas) == 1:
        return str(of_ideas[0])
    every = connection.scalars(sa.select(participants.c.team_id).distinct().limit(2)).all()
    return str(every[0]) if len(every) == 1 else NO_WORKSPACE


def upgrade() -> None:
    with op.batch_alter_table("themes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    for theme_id, created_by_id in connection.execute(
        sa.select(themes.c.id, themes.c.created_by_id)
    ).all():
        connection.execute(
            themes.update()
            .where(themes.c.id == theme_id)
            .values(team_id=_workspace_of(connection, created_by_id, theme_id))
        )
    with op.batch_alter_table("themes", schema=None) as batch_op:
        batch_op.alter_column("team_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f("ix_themes_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("themes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_themes_team_id"))
        batch_op.drop_column("team_id")
