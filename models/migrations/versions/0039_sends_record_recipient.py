"""scheduled sends record whose DM they went to and whom they are about (for forget-me)

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-03 10:00:00.000000

Sends claimed before this say so only in their keys: the send kinds that went to a person's
DM, or told of a person, as they were when this was written, give each its recipient (a Slack
user id) and, for a co-author's joining, the participant it is about. Later sends record both
when they are claimed (``services.delivery``), whatever their key.
"""

import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

sends = sa.table(
    "scheduled_sends",
    sa.column("id", sa.Integer()),
    sa.column("key", sa.String()),
    sa.column("recipient", sa.String()),
    sa.column("about_id", sa.Integer()),
)


def _lookup(connection: sa.Connection, table: str, *columns: str) -> dict[int, tuple]:
    found = connection.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}"))  # noqa: S608 - our own names
    return {row[0]: tuple(row[1:]) for row in found}


def _resolvers(connection: sa.Connection) -> list[tuple[re.Pattern[str], Callable]]:
    """Key pattern -> (recipient's Slack id, participant it is about) from the key's numbers."""
    people = {
        pid: user_id for pid, (user_id,) in _lookup(connection, "participants", "user_id").items()
    }
    stages = _lookup(connection, "idea_stages", "idea_id", "changed_by_id")
    authors = {
        idea: author for idea, (author,) in _lookup(connection, "ideas", "author_id").items()
    }
    notices = _lookup(connection, "round_notices", "participant_id")
    rounds = _lookup(connection, "rounds", "created_by", "confirmed_by")
    polls = _lookup(connection, "polls", "created_by")

    def person(pid: object) -> tuple[str | None, None]:
        return people.get(int(str(pid))) if pid is not None else None, None

    def stage_author(change: str) -> tuple[str | None, None]:
        idea_id = stages.get(int(change), (None, None))[0]
        return person(authors.get(idea_id)) if idea_id is not None else (None, None)

    def coauthor(own: str, other: str) -> tuple[str | None, int | None]:
        return person(authors.get(int(other)))[0], authors.get(int(own))

    return [
        (re.compile(r"poll:\d+:(?:to|remind):(\d+)"), person),
        (re.compile(r"evaluation:\d+:invite:(\d+)"), person),
        (re.compile(r"experiment:\d+:result:(\d+)"), person),
        (
            re.compile(r"experiment:\d+:prompt:(\d+):mover"),
            lambda change: person(stages.get(int(change), (None, None))[1]),
        ),
        (re.compile(r"stage:(\d+):author"), stage_author),
        (
            re.compile(r"collider-notice-(\d+)"),
            lambda notice: person(notices.get(int(notice), (None,))[0]),
        ),
        (
            re.compile(r"collider-preview-(\d+)"),
            lambda round_id: (rounds.get(int(round_id), (None, None))[0], None),
        ),
        (
            re.compile(r"collider-summary-(\d+)"),
            lambda round_id: (rounds.get(int(round_id), (None, None))[1], None),
        ),
        (
            re.compile(r"poll:(\d+):failures"),
            lambda poll_id: (polls.get(int(poll_id), (None,))[0], None),
        ),
        (re.compile(r"claim:\d+:(\w+)"), lambda user_id: (user_id, None)),
        (re.compile(r"coauthor:(\d+):(\d+)"), coauthor),
    ]


def upgrade() -> None:
    with op.batch_alter_table("scheduled_sends", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("about_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_scheduled_sends_recipient"), ["recipient"])
        batch_op.create_index(batch_op.f("ix_scheduled_sends_about_id"), ["about_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_scheduled_sends_about_id_participants"),
            "participants",
            ["about_id"],
            ["id"],
        )
    connection = op.get_bind()
    resolvers = _resolvers(connection)
    for send_id, key in connection.execute(sa.select(sends.c.id, sends.c.key)).all():
        for pattern, resolve in resolvers:
            matched = pattern.fullmatch(key)
            if matched is None:
                continue
            recipient, about = resolve(*matched.groups())
            if recipient is not None or about is not None:
                connection.execute(
                    sends.update()
                    .where(sends.c.id == send_id)
                    .values(recipient=recipient, about_id=about)
                )
            break


def downgrade() -> None:
    with op.batch_alter_table("scheduled_sends", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_scheduled_sends_about_id_participants"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_scheduled_sends_about_id"))
        batch_op.drop_index(batch_op.f("ix_scheduled_sends_recipient"))
        batch_op.drop_column("about_id")
        batch_op.drop_column("recipient")
