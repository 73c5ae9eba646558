"""scheduled sends name their workspace; import keys are per workspace

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-04 10:00:00.000000

On an Enterprise Grid one Slack user id is a member of several workspaces of one deployment.
Forget-me in one must leave the others' outbox rows alone (they are each workspace's record
that a send was made), so each row gets the workspace of its recipient: the workspace of the
poll, round or participant its key names (the keys 0039 read), else the recipient's only
workspace. A row none of these tells is left without one: forget-me finds it in no workspace
rather than erasing another's (its DM channel still finds it in the one it went to).

Import keys hashed a row's source and id (or content) alone, so a second workspace importing
the same file was told its rows were "already imported". Each key becomes the hash of the
workspace of the idea's author and the old key (``services.importing.import_key``), so
importing again into the first workspace still adds nothing.
"""

import hashlib
import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

sends = sa.table(
    "scheduled_sends",
    sa.column("id", sa.Integer()),
    sa.column("key", sa.String()),
    sa.column("recipient", sa.String()),
    sa.column("team_id", sa.String()),
)
ideas = sa.table(
    "ideas",
    sa.column("id", sa.Integer()),
    sa.column("author_id", sa.Integer()),
    sa.column("import_key", sa.String()),
)


def _teams_of(connection: sa.Connection, table: str) -> dict[int, str]:
    found = connection.execute(sa.text(f"SELECT id, team_id FROM {table}"))  # noqa: S608 - our own names
    return {row[0]: row[1] for row in found}


def _pairs(connection: sa.Connection, query: str) -> dict[int, int]:
    return {row[0]: row[1] for row in connection.execute(sa.text(query))}


def _key_teams(connection: sa.Connection) -> list[tuple[re.Pattern[str], Callable]]:
    """Key pattern -> the workspace, from the first number the key names."""
    people = _teams_of(connection, "participants")
    polls, rounds = _teams_of(connection, "polls"), _teams_of(connection, "rounds")
    authors = _pairs(connection, "SELECT id, author_id FROM ideas")
    stage_ideas = _pairs(connection, "SELECT id, idea_id FROM idea_stages")
    notice_rounds = _pairs(connection, "SELECT id, round_id FROM round_notices")

    def of(lookup: dict[int, str]) -> Callable[[str], str | None]:
        return lambda number: lookup.get(int(number))

    def idea_team(idea_id: int | None) -> str | None:
        author = authors.get(idea_id) if idea_id is not None else None
        return people.get(author) if author is not None else None

    def stage_team(change: str) -> str | None:
        return idea_team(stage_ideas.get(int(change)))

    def notice_team(notice: str) -> str | None:
        round_id = notice_rounds.get(int(notice))
        return rounds.get(round_id) if round_id is not None else None

    return [
        (re.compile(r"poll:(\d+):.*"), of(polls)),
        (re.compile(r"collider-(?:preview|summary)-(\d+)"), of(rounds)),
        (re.compile(r"collider-notice-(\d+)"), notice_team),
        (re.compile(r"(?:evaluation|experiment):\d+:(?:invite|result):(\d+)"), of(people)),
        (re.compile(r"experiment:\d+:prompt:(\d+):\w+"), stage_team),
        (re.compile(r"claim:(\d+):\w+"), of(people)),
        (re.compile(r"stage:(\d+):author"), stage_team),
        (re.compile(r"coauthor:\d+:(\d+)"), lambda other: idea_team(int(other))),
    ]


def _only_workspaces(connection: sa.Connection) -> dict[str, str]:
    """Slack user id -> their workspace, for those who are a member of one only."""
    found = connection.execute(
        sa.text(
            "SELECT user_id, MIN(team_id) FROM participants GROUP BY user_id"
            " HAVING COUNT(DISTINCT team_id) = 1"
        )
    )
    return {row[0]: row[1] for row in found}


def _name_send_workspaces(connection: sa.Connection) -> None:
    patterns, only = _key_teams(connection), _only_workspaces(connection)
    rows = connection.execute(sa.select(sends.c.id, sends.c.key, sends.c.recipient)).all()
    for send_id, key, recipient in rows:
        team = next(
            (
                resolve(*matched.groups())
                for pattern, resolve in patterns
                if (matched := pattern.fullmatch(key))
            ),
            None,
        ) or only.get(recipient)
        if team:
            connection.execute(sends.update().where(sends.c.id == send_id).values(team_id=team))


def _rehash(team_id: str, key: str) -> str:
    # services.importing.import_key, from the hash of the identity (the old key).
    return hashlib.sha256(f"{team_id}\n{key}".encode()).hexdigest()


def _rehash_import_keys(connection: sa.Connection) -> None:
    people = _teams_of(connection, "participants")
    rows = connection.execute(
        sa.select(ideas.c.id, ideas.c.author_id, ideas.c.import_key).where(
            ideas.c.import_key.is_not(None)
        )
    ).all()
    for idea_id, author_id, key in rows:
        new = _rehash(people[author_id], key)
        connection.execute(ideas.update().where(ideas.c.id == idea_id).values(import_key=new))


def upgrade() -> None:
    with op.batch_alter_table("scheduled_sends", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_scheduled_sends_team_id"), ["team_id"])
    connection = op.get_bind()
    _name_send_workspaces(connection)
    _rehash_import_keys(connection)


def downgrade() -> None:
    # Keys of before cannot be told from these (a hash is not undone): a re-import after a
    # downgrade adds the ideas imported before once more.
    with op.batch_alter_table("scheduled_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_sends_team_id"))
        batch_op.drop_column("team_id")
