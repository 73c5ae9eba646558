"""the facilitator who moved an idea is told which evaluation invitations were not delivered

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stage_evaluations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failures_reported_at", sa.DateTime(timezone=True), nullable=True)
        )
    # Evaluations closed before this are not reported weeks late, in a burst of DMs after the
    # upgrade: their failed invitations stay counted in the programme report. Open ones are
    # reported when their invitations have settled, as new ones are.
    evaluations = sa.table(
        "stage_evaluations",
        sa.column("closed_at", sa.DateTime(timezone=True)),
        sa.column("failures_reported_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        evaluations.update()
        .where(evaluations.c.closed_at.is_not(None))
        .values(failures_reported_at=evaluations.c.closed_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("stage_evaluations", schema=None) as batch_op:
        batch_op.drop_column("failures_reported_at")
