"""Forget-me and my-data in one workspace: another workspace's outbox, and whom a message went
to when it was only about the person, are not theirs.

One deployment serves several workspaces (ideas and themes are kept apart by workspace). On an
Enterprise Grid the same Slack user id is a member of several of them, and forget-me is asked
in one: it tombstones that workspace's participant only, so the other workspace's outbox rows
for them must stay, or their sends (claimed once, "nothing sent twice") are claimed again.
"""

from __future__ import annotations

from sqlalchemy import select

from models import ScheduledSend
from models.db import Database
from models.sends import claim, mark_sent
from services.participants import SlackUser, ensure_participant
from services.personal_data import forget, personal_data

USER = "UGRIDPERSON"
HERE, THERE = SlackUser("T0HERE", USER), SlackUser("T0THERE", USER)


def _sent(database: Database, key: str, user: SlackUser, channel: str, **about: int) -> None:
    """A send as ``services.delivery.deliver`` records it: whose DM, in which workspace."""
    with database.session() as session:
        assert claim(
            session, key, holder="test", recipient=user.user_id, team_id=user.team_id, **about
        )
        mark_sent(session, key, channel=channel, ts="1.0")


def test_forget_in_one_workspace_keeps_the_other_workspaces_sends(database: Database) -> None:
    with database.session() as session:
        here = ensure_participant(session, HERE)
        there = ensure_participant(session, THERE)
        session.flush()
        here_key, there_key = f"poll:1:to:{here.id}", f"poll:2:to:{there.id}"
    # On a Grid the DM between the app and a person may be one conversation in both.
    _sent(database, here_key, HERE, "DGRID")
    _sent(database, there_key, THERE, "DGRID")
    with database.session() as session:
        assert forget(session, HERE, "en") is not None
    with database.session() as session:
        kept = session.scalars(select(ScheduledSend.key)).all()
        listed = personal_data(session, THERE)
    # Deleted: that workspace's sweeper may claim the poll DM again and send it twice.
    assert kept == [there_key]
    assert listed is not None
    assert [row["key"] for row in listed["messages_sent"]] == [there_key]


def test_my_data_shows_a_message_about_them_but_not_whose_dm_it_went_to(
    database: Database,
) -> None:
    joiner, author = SlackUser("T0HERE", "UJOINER"), SlackUser("T0HERE", "UAUTHOR")
    with database.session() as session:
        joiner_id = ensure_participant(session, joiner).id
        ensure_participant(session, author)
    # The author is told that the joiner joined their idea: sent to the author, about the joiner.
    _sent(database, "coauthor:1:2", author, "DAUTHOR", about_id=joiner_id)
    with database.session() as session:
        theirs = personal_data(session, joiner)
        authors = personal_data(session, author)
    assert theirs is not None and authors is not None
    [about] = theirs["messages_sent"]
    assert about["key"] == "coauthor:1:2" and about["sent_at"]  # what it was, and when
    assert "UAUTHOR" not in str(about) and "DAUTHOR" not in str(about)
    [own] = authors["messages_sent"]
    assert (own["recipient"], own["result"]) == ("UAUTHOR", "DAUTHOR 1.0")
