"""Forget-me and the outbox: every message the bot sent to a person's DM, whatever its key.

``services/programme_workflow.py`` sends stage-evaluation invites
(``evaluation:{id}:invite:{participant id}``), result requests
(``experiment:{id}:result:{participant id}``) and the mover's experiment prompt
(``experiment:{id}:prompt:{change}:mover``) to the person's DM, and ``services/delivery``
keeps where each landed (``result = "<DM channel> <ts>"``). Forget used to erase only poll DMs
and claim offers, found by their keys, and other rows only by the DM channels of their poll
deliveries: someone never sent a poll kept them all. Sends now record whose DM they went to.
"""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy import delete, select

from bot.local.slack import LocalSlack
from bot.slack_gateway import SlackGateway
from models import Experiment, PollDelivery, ScheduledSend
from models.db import Database
from services import personal_data
from services.delivery import Recipient, Status, deliver
from tests.conftest import BOT_TOKEN
from tests.personal_data_search import traces
from tests.reliability.test_data_rights_are_complete import EEVA, KEYS, build_world


def test_forget_me_erases_her_dm_from_programme_sends(
    database: Database, slack: LocalSlack
) -> None:
    world = build_world(database, polled=False)
    with database.session() as s:
        s.execute(delete(ScheduledSend))
        assert s.scalars(select(PollDelivery)).all() == []
        experiment_id = s.scalars(select(Experiment.id)).one()
    gateway = SlackGateway(WebClient(token=BOT_TOKEN, base_url=slack.api_url, timeout=5))
    dm = slack.dm_channel(EEVA.user_id)
    message, her = {"text": "Hei Eeva"}, Recipient(user_id=EEVA.user_id, team_id=EEVA.team_id)
    # As the programme sends them: to her DM by her Slack id, or by its recorded channel.
    for key, to in (
        (f"evaluation:{world.evaluation_id}:invite:{world.eeva}", her),
        (f"experiment:{experiment_id}:result:{world.eeva}", her),
        (f"experiment:{experiment_id}:prompt:1:mover", Recipient(dm, EEVA.user_id, EEVA.team_id)),
    ):
        assert deliver(database, gateway, message, to, key=key, holder="test").delivered
    assert len(traces(database, dm)) == 3

    with database.session() as session:
        listed = personal_data.personal_data(session, EEVA, answer_keys=KEYS)
    assert listed is not None and len(listed["messages_sent"]) == 3  # my-data lists them
    with database.session() as session:
        assert personal_data.forget(session, EEVA, "en", answer_keys=KEYS) is not None
    left = traces(database, dm)
    assert left == [], f"her DM channel survives forget-me: {left}"
    with database.session() as session:
        # "Who was asked ... is about them": the invite's key, which names her, goes too.
        assert session.scalars(select(ScheduledSend.key)).all() == []


def test_a_message_made_before_forget_me_is_not_sent_after_it(
    database: Database, slack: LocalSlack
) -> None:
    """A notice composed for her while she asks to be forgotten (the stage notice is made after
    the facilitator's ack, in the background) is claimed after her forget-me has run: it must
    neither go out nor write her Slack id into the outbox again."""
    world = build_world(database, polled=False)
    with database.session() as s:
        s.execute(delete(ScheduledSend))
    gateway = SlackGateway(WebClient(token=BOT_TOKEN, base_url=slack.api_url, timeout=5))
    her = Recipient(user_id=EEVA.user_id, team_id=EEVA.team_id, participant_id=world.eeva)
    with database.session() as session:
        assert personal_data.forget(session, EEVA, "en", answer_keys=KEYS) is not None
    posts_before = len(slack.calls_to("chat.postMessage"))

    outcome = deliver(database, gateway, {"text": "Hei Eeva"}, her, key="stage:9:author")

    assert outcome.status is Status.FORGOTTEN and not outcome.delivered and not outcome.failed
    assert len(slack.calls_to("chat.postMessage")) == posts_before
    assert traces(database, EEVA.user_id) == []
    with database.session() as session:
        assert session.scalars(select(ScheduledSend.key)).all() == []
