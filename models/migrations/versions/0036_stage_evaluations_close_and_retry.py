"""stage evaluations close (who answered is then forgotten); invitations are retried

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# models.programme.EVALUATION_OPEN_FOR when this was written (a migration keeps its own copy).
OPEN_FOR = timedelta(days=14)


def upgrade() -> None:
    with op.batch_alter_table("stage_evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    # Evaluations opened before this close two weeks after they were opened, as new ones do.
    evaluations = sa.table(
        "stage_evaluations",
        sa.column("id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("closes_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    for evaluation_id, created_at in connection.execute(
        sa.select(evaluations.c.id, evaluations.c.created_at)
    ).all():
        connection.execute(
            evaluations.update()
            .where(evaluations.c.id == evaluation_id)
            .values(closes_at=created_at + OPEN_FOR)
        )
    with op.batch_alter_table("stage_evaluations", schema=None) as batch_op:
        batch_op.alter_column("closes_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(
            "ix_stage_evaluations_closed_at_closes_at", ["closed_at", "closes_at"], unique=False
        )

    with op.batch_alter_table("stage_evaluation_invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("error", sa.String(length=255), nullable=True))
    with op.batch_alter_table("stage_evaluation_invites", schema=None) as batch_op:
        # The server default only filled the rows that were there; the model sets it from now on.
        batch_op.alter_column("attempts", existing_type=sa.Integer(), server_default=None)
        batch_op.create_index(
            "ix_stage_evaluation_invites_state_next_attempt_at",
            ["state", "next_attempt_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("stage_evaluation_invites", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_evaluation_invites_state_next_attempt_at")
        batch_op.drop_column("error")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
    with op.batch_alter_table("stage_evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_evaluations_closed_at_closes_at")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("closes_at")
