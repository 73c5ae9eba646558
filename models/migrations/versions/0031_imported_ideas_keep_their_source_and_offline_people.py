"""imported ideas keep their source; people who are not in Slack

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("source_state", sa.String(length=40), nullable=True))
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_offline", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("email", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("claim_offered_to", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_participants_email"), ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participants_email"))
        batch_op.drop_column("claim_offered_to")
        batch_op.drop_column("email")
        batch_op.drop_column("is_offline")
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.drop_column("source_state")
        batch_op.drop_column("source_id")
        batch_op.drop_column("source")
