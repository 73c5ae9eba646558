"""App Home's chart files: the one each team shows per language, and replaced ones to delete

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The send keys under which charts were uploaded before this: "programme:T:home-chart:L:DIGEST".
OLD_KEY = "programme:%:home-chart:%"


def upgrade() -> None:
    home_charts = op.create_table(
        "home_charts",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("figures_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "language", name=op.f("pk_home_charts")),
    )
    retired = op.create_table(
        "retired_home_charts",
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_retired_home_charts")),
    )
    with op.batch_alter_table("retired_home_charts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_retired_home_charts_team_id_next_attempt_at",
            ["team_id", "next_attempt_at"],
            unique=False,
        )
    _adopt_uploaded_charts(home_charts, retired)


def _adopt_uploaded_charts(home_charts: sa.Table, retired: sa.Table) -> None:
    """Charts uploaded before this were never deleted: the last one of each team and language
    becomes the one shown, every earlier one is retired, due for deletion at once."""
    sends = sa.table(
        "scheduled_sends",
        sa.column("key", sa.String()),
        sa.column("state", sa.String()),
        sa.column("sent_at", sa.DateTime(timezone=True)),
        sa.column("result", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(sends.c.key, sends.c.sent_at, sends.c.result)
        .where(sends.c.key.like(OLD_KEY), sends.c.state == "sent", sends.c.sent_at.is_not(None))
        .order_by(sends.c.sent_at)
    ).all()
    shown: dict[tuple[str, str], dict[str, object]] = {}
    for key, sent_at, result in rows:
        parts = key.split(":")
        file_id = (result or "").partition(" ")[2]
        if len(parts) != 5 or not file_id:
            continue
        _, team_id, _, language, digest = parts
        earlier = shown.get((team_id, language))
        if earlier is not None:
            connection.execute(
                retired.insert().values(
                    file_id=earlier["file_id"],
                    team_id=team_id,
                    retired_at=sent_at,
                    next_attempt_at=sent_at,
                    attempts=0,
                )
            )
        shown[(team_id, language)] = {
            "team_id": team_id,
            "language": language,
            "file_id": file_id,
            "digest": digest,
            "figures_at": sent_at,
        }
    if shown:
        connection.execute(home_charts.insert(), list(shown.values()))


def downgrade() -> None:
    with op.batch_alter_table("retired_home_charts", schema=None) as batch_op:
        batch_op.drop_index("ix_retired_home_charts_team_id_next_attempt_at")
    op.drop_table("retired_home_charts")
    op.drop_table("home_charts")
