"""Attack: forget-me and the programme's outbox rows.

``services/programme_workflow.py`` sends stage-evaluation invites
(``evaluation:{id}:invite:{participant id}``), result requests
(``experiment:{id}:result:{participant id}``) and the mover's experiment prompt
(``experiment:{id}:prompt:{change}:mover``) to the person's DM, and ``services/delivery``
keeps where each landed (``result = "<DM channel> <ts>"``). ``forget`` erases only poll DMs
(``:to:`` / ``:remind:``) and claim offers: these rows keep the person's DM channel, which
Slack resolves to them, next to their tombstone's id. (It finds such rows only by the DM
channels of her poll deliveries: someone never sent a poll keeps them all.)
"""

from __future__ import annotations

from sqlalchemy import delete, select

from models import Experiment, PollDelivery, ScheduledSend
from models.db import Database
from services import personal_data
from tests.personal_data_search import traces
from tests.reliability.test_data_rights_are_complete import DM, EEVA, KEY, build_world


def test_forget_me_erases_her_dm_from_programme_sends(database: Database) -> None:
    world = build_world(database)
    with database.session() as s:
        # She was never sent a poll (the only DMs forget looks for); she was asked to evaluate
        # a stage and to record an experiment's result.
        s.execute(delete(ScheduledSend).where(ScheduledSend.key.like("poll:%")))
        s.execute(delete(PollDelivery))
        experiment_id = s.scalars(select(Experiment.id)).one()
        s.add_all(
            [
                ScheduledSend(
                    key=f"evaluation:{world.evaluation_id}:invite:{world.eeva}",
                    result=f"{DM} 9.1",
                ),
                ScheduledSend(
                    key=f"experiment:{experiment_id}:result:{world.eeva}", result=f"{DM} 9.2"
                ),
                ScheduledSend(key=f"experiment:{experiment_id}:prompt:1:mover", result=f"{DM} 9.3"),
            ]
        )
    with database.session() as session:
        assert personal_data.forget(session, EEVA, "en", answer_key=KEY) is not None
    left = traces(database, DM)
    assert left == [], f"her DM channel survives forget-me: {left}"


def test_forget_me_erases_that_she_was_asked_to_evaluate(database: Database) -> None:
    """The invite row goes ("who was asked ... is about them"); its outbox key says the same."""
    world = build_world(database)
    invite = f"evaluation:{world.evaluation_id}:invite:{world.eeva}"
    with database.session() as s:
        s.add(ScheduledSend(key=invite, result=None))
    with database.session() as session:
        assert personal_data.forget(session, EEVA, "en", answer_key=KEY) is not None
    with database.session() as session:
        keys = session.scalars(select(ScheduledSend.key)).all()
    assert invite not in keys
