"""What a stage move sends after the ack: the notice to the idea's author.

It goes through ``services.delivery.deliver`` under the key ``stage:{change id}:author``, so
running it twice (a retried job, a double submission that got this far) never tells the author
twice. The move is committed before: a notice that fails is logged, never undone.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import joinedload

from models import Idea, IdeaStage
from services.delivery import Outcome, Recipient, deliver
from services.outgoing import Outbound, person_language

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
        team_id, user_id = author.team_id, author.user_id
    language = person_language(out, team_id, user_id)
    message = out.views.stage_moved(idea, change, language)
    outcome = deliver(
        out.database,
        out.gateway,
        message,
        Recipient(user_id=user_id),
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
