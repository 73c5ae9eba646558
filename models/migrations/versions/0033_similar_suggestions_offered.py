"""the similar ideas the bot suggested, the only pairs that may be joined or linked

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "similar_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("suggested_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_similar_suggestions_idea_id_ideas")
        ),
        sa.ForeignKeyConstraint(
            ["suggested_id"], ["ideas.id"], name=op.f("fk_similar_suggestions_suggested_id_ideas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_similar_suggestions")),
        sa.UniqueConstraint(
            "idea_id", "suggested_id", name=op.f("uq_similar_suggestions_idea_id_suggested_id")
        ),
    )
    with op.batch_alter_table("similar_suggestions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_similar_suggestions_idea_id"), ["idea_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("similar_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_similar_suggestions_idea_id"))
    op.drop_table("similar_suggestions")
