"""What a stage move sends after the ack: the notice to the idea's author, the experiment card's
prompt and the evaluation of the stage just finished (``services.programme_workflow``), then one
DM to the facilitator who moved the idea naming whatever of it Slack did not take (to the
workspace's facilitators, each once, when the mover was forgotten or their DM fails for good).

Each goes through ``services.delivery.deliver`` under a key of its own (the notice
``stage:{change id}:author``, the DM ``stage:{change id}:undelivered``), so running it twice (a
retried job, a double submission that got this far) never tells anyone twice. The move is
committed before: a notice that fails is told to the facilitator, never undone.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy.orm import joinedload

from models import Idea, IdeaStage
from services.delivery import Message, Outcome, Recipient, deliver
from services.outgoing import (
    MoveFailures,
    NotReached,
    Outbound,
    person_language,
)
from services.participants import SlackUser
from services.programme_workflow import (
    claimed_invitation_failures,
    prompt_card,
    send_invites,
    tell_of_invitations,
)
from services.stage_evaluations import mover_of

logger = logging.getLogger(__name__)


def stage_notice_key(change_id: int) -> str:
    return f"stage:{change_id}:author"


def tell_author(out: Outbound, change_id: int) -> Outcome | None:
    """DM the author of the moved idea, in their language; None when there is nobody to tell
    (the author asked to be forgotten, or is known only from an imported file)."""
    with out.database.session() as session:
        change = session.get(
            IdeaStage, change_id, options=[joinedload(IdeaStage.idea).joinedload(Idea.author)]
        )
        if change is None:
            return None
        idea, author = change.idea, change.idea.author
        if author.forgotten_at is not None or author.is_offline:
            return None
        team_id, user_id, author_id = author.team_id, author.user_id, author.id
    language = person_language(out, team_id, user_id)
    message = out.views.stage_moved(idea, change, language)
    outcome = deliver(
        out.database,
        out.gateway,
        message,
        Recipient(user_id=user_id, team_id=team_id, participant_id=author_id),
        key=stage_notice_key(change_id),
        holder=out.holder,
    )
    if not outcome.delivered:
        logger.warning(
            "idea #%s: no stage notice to its author (%s %s)",
            idea.id,
            outcome.status,
            outcome.code,
        )
    return outcome


def follow_up_move(
    out: Outbound,
    mover: SlackUser,
    change_id: int,
    experiment_id: int | None = None,
    evaluation_id: int | None = None,
) -> None:
    """Tell the author, invite the card's people to fill it in and everyone involved to evaluate
    the stage; then tell the mover, in one DM, whom of them Slack did not take.

    Invitations still waiting for another try are not in it: the evaluation sweep tells the mover
    of them once none is waiting any more (``report_invitation_failures``)."""
    author = tell_author(out, change_id)
    not_posted = (
        prompt_card(out, mover, change_id, experiment_id) if experiment_id is not None else None
    )
    if evaluation_id is not None:
        send_invites(out, evaluation_id)
    invitations = (
        claimed_invitation_failures(out, evaluation_id) if evaluation_id is not None else None
    )
    with out.database.session() as session:
        change = session.get(
            IdeaStage, change_id, options=[joinedload(IdeaStage.idea).joinedload(Idea.author)]
        )
        assert change is not None
        idea, author_id = change.idea, change.idea.author.user_id
        # Read again: the mover may have asked to be forgotten since the move.
        told = mover_of(session, change)
        failures = MoveFailures(
            idea.id,
            idea.title,
            out.settings.default_language,
            author=(
                NotReached(author_id, author.code or author.status.value)
                if author is not None and author.failed
                else None
            ),
            think_tank=not_posted,
            invitations=invitations.failures if invitations is not None else None,
        )
    if failures.author is None and failures.think_tank is None and failures.invitations is None:
        return

    def message(language: str) -> Message:
        return out.views.move_failures(replace(failures, language=language))

    # Not told this time, the sweep tells of the invitations later, on their own.
    key = f"stage:{change_id}:undelivered"
    tell_of_invitations(out, invitations, mover.team_id, told, message, key=key)
