"""Data rights: everything held about a person (GDPR Art. 15), and forgetting them (Art. 17).

What refers to a person, table by table (``PERSONAL_REFERENCES``), is the one list both
directions read: ``personal_data`` exports every row it names, ``forget`` erases or unlinks
every one of them. A test walks all tables and fails when one refers to a person and is
neither listed here nor in ``NOTHING_PERSONAL`` with its reason.

Forgetting keeps the participant row and their ideas as anonymous tombstones (so counts and
pipeline statistics stay consistent: kind, stage, dates, organisation type) and removes the
rest: Slack user id, name, organisation, language, the texts they wrote (ideas, theme labels,
stage notes, text answers), where they were reached (DM channels), whom they met or avoided
(think tanks, co-authorships, links, do-not-match), and their Slack id on what they did as a
facilitator (rounds, polls, templates, schedules).
"""

from __future__ import annotations

import enum
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from i18n import t
from models import (
    Base,
    Charter,
    DoNotMatch,
    Experiment,
    Facilitator,
    Idea,
    IdeaCoauthor,
    IdeaLink,
    IdeaStage,
    MatchSchedule,
    OptIn,
    Participant,
    PendingSuggestion,
    Poll,
    PollAnswer,
    PollDelivery,
    PollTemplate,
    QuestionKind,
    Round,
    RoundNotice,
    ScheduledSend,
    StageEvaluationAnswer,
    StageEvaluationInvite,
    StrategyGoal,
    Theme,
    ThinkTankMember,
)
from models.base import utcnow
from models.db import checkpoint_after_commit
from models.queries import find_participant
from services.answer_keys import AnswerKeys
from services.participants import SlackUser
from services.polls import respondent_key
from services.stage_evaluations import respondent_key as evaluation_respondent

FORMAT_VERSION = 2
TOMBSTONE_PREFIX = "forgotten-"
# What replaces a forgotten facilitator's Slack id on rounds, polls and schedules: the same for
# everyone, so nothing links their past actions to each other or to their tombstone.
FORGOTTEN_USER = "forgotten"
# Derived copies of personal text; the export shows the text itself once.
_LEFT_OUT = {"search_text"}

# Tables that hold nothing about a person, and why (checked by the completeness test).
NOTHING_PERSONAL = {
    "handled_requests": "keys of Slack requests (trigger and view ids) and the idea ids they made",
    "app_secrets": "the app's own generated secrets, and fingerprints of its answer keys",
    "scheduler_leases": "which process runs the scheduler",
    "apscheduler_jobs": "sweeps over polls and rounds; their arguments are never people",
    "think_tanks": "a group's number, language and conversation; who is in it: think_tank_members",
    "similar_suggestions": "pairs of idea ids the bot suggested; the ideas say whose they are",
    "stage_evaluations": "which stage of which idea was evaluated; who was asked: the invites",
    "home_charts": "the Slack file of each team's programme chart: aggregates of 3 or more",
    "retired_home_charts": "replaced programme chart files (aggregates), until Slack deletes them",
}


def _plain(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def row_as_dict(row: Base) -> dict[str, Any]:
    """Every column of an ORM row as JSON-ready values."""
    return {
        column.key: _plain(getattr(row, column.key))
        for column in row.__mapper__.columns
        if column.key not in _LEFT_OUT
    }


def _rows(rows: Sequence[Base]) -> list[dict[str, Any]]:
    return [row_as_dict(row) for row in rows]


def _dm_channels(session: Session, user: SlackUser, participant_id: int | None) -> set[str]:
    """Their DM channel(s) in this workspace, wherever the bot recorded one: a send to them, a
    poll they were sent, a round preview they were shown."""
    results = session.scalars(select(ScheduledSend.result).where(_recorded_to(user)))
    channels = {result.partition(" ")[0] for result in results if result}
    if participant_id is not None:
        channels.update(
            session.scalars(
                select(PollDelivery.channel).where(PollDelivery.participant_id == participant_id)
            )
        )
    previews = select(Round.preview_channel).where(
        Round.team_id == user.team_id, Round.created_by == user.user_id
    )
    channels.update(session.scalars(previews))
    return {channel for channel in channels if channel}


def _recorded_to(user: SlackUser) -> Any:
    # The workspace too: on an Enterprise Grid the same user id is a member of several, and
    # another workspace's sends to them are its record that they were made (sent once).
    return (ScheduledSend.recipient == user.user_id) & (ScheduledSend.team_id == user.team_id)


def _sent_to(user: SlackUser, channels: set[str]) -> Any:
    """The outbox rows of messages sent to their DM: recorded so, or found by its channel."""
    if not channels:
        return _recorded_to(user)
    # "channel ts" (models.sends): sent there, whoever was recorded (or not) as its recipient;
    # a Grid DM channel may be the same in another workspace, whose sends there stay.
    in_their_dm = or_(
        *(ScheduledSend.result.startswith(f"{c} ", autoescape=True) for c in sorted(channels))
    )
    here = or_(ScheduledSend.team_id == user.team_id, ScheduledSend.team_id.is_(None))
    return or_(_recorded_to(user), in_their_dm & here)


def _messages(session: Session, user: SlackUser, participant_id: int | None) -> Any:
    """The outbox rows of messages to them and about them: what forget-me erases."""
    return _to_or_about(_sent_to(user, _dm_channels(session, user, participant_id)), participant_id)


def _to_or_about(sent_to_them: Any, participant_id: int | None) -> Any:
    about = [] if participant_id is None else [ScheduledSend.about_id == participant_id]
    return or_(sent_to_them, *about)


# Where a message went: someone else's, on a message only about the person (a co-author's
# joining, told to the idea's author), so their data shows what it was and when, not those.
_RECIPIENTS_OWN = ("recipient", "result")


def _messages_listed(
    session: Session, user: SlackUser, participant_id: int | None
) -> list[dict[str, Any]]:
    """The outbox rows for my-data: those sent to them whole, those only about them without
    whose DM they went to."""
    to_them = _sent_to(user, _dm_channels(session, user, participant_id))
    found = session.execute(
        select(ScheduledSend, to_them.label("to_them"))
        .where(_to_or_about(to_them, participant_id))
        .order_by(ScheduledSend.id)
    ).all()
    listed = []
    for row, theirs in found:
        fields = row_as_dict(row)
        if not theirs:
            fields = {name: value for name, value in fields.items() if name not in _RECIPIENTS_OWN}
        listed.append(fields)
    return listed


def _participant_references(pid: int) -> dict[str, tuple[type[Base], Any]]:
    """Rows tied to the person's participant row, by what they are (model, condition)."""
    return {
        "ideas": (Idea, Idea.author_id == pid),
        "stage_changes_made": (IdeaStage, IdeaStage.changed_by_id == pid),
        "themes_created": (Theme, Theme.created_by_id == pid),
        "coauthorships": (IdeaCoauthor, IdeaCoauthor.participant_id == pid),
        "ideas_linked": (IdeaLink, IdeaLink.created_by == pid),
        "avoid_list": (DoNotMatch, DoNotMatch.participant_id == pid),
        "think_tank_memberships": (ThinkTankMember, ThinkTankMember.participant_id == pid),
        "round_notices": (RoundNotice, RoundNotice.participant_id == pid),
        "poll_deliveries": (PollDelivery, PollDelivery.participant_id == pid),
        "attributed_poll_answers": (PollAnswer, PollAnswer.participant_id == pid),
        "strategy_goals_created": (StrategyGoal, StrategyGoal.created_by_id == pid),
        "charters_edited": (Charter, Charter.updated_by_id == pid),
        "experiments": (
            Experiment,
            or_(Experiment.created_by_id == pid, Experiment.result_by_id == pid),
        ),
        # Where the bot will answer with similar ideas (a response URL or channel), for minutes.
        "suggestions_waiting": (
            PendingSuggestion,
            PendingSuggestion.idea_id.in_(select(Idea.id).where(Idea.author_id == pid)),
        ),
        "stage_evaluations_asked": (
            StageEvaluationInvite,
            StageEvaluationInvite.participant_id == pid,
        ),
    }


def _slack_id_references(team_id: str, user_id: str) -> dict[str, tuple[type[Base], Any]]:
    """Rows that name the person by Slack id: what they did as a facilitator, and the imported
    authors found by their e-mail (offered to them, or declined by them)."""
    return {
        "imported_authors_offered": (
            Participant,
            (Participant.team_id == team_id)
            & or_(
                Participant.claim_offered_to == user_id,
                Participant.claim_declined_by == user_id,
            ),
        ),
        "rounds_created_or_confirmed": (
            Round,
            (Round.team_id == team_id)
            & or_(Round.created_by == user_id, Round.confirmed_by == user_id),
        ),
        "polls_created": (Poll, (Poll.team_id == team_id) & (Poll.created_by == user_id)),
        "poll_templates_created": (
            PollTemplate,
            (PollTemplate.team_id == team_id) & (PollTemplate.created_by == user_id),
        ),
        "schedules_created": (
            MatchSchedule,
            (MatchSchedule.team_id == team_id) & (MatchSchedule.created_by == user_id),
        ),
        "facilitator_roles": (
            Facilitator,
            (Facilitator.team_id == team_id)
            & or_(Facilitator.user_id == user_id, Facilitator.added_by == user_id),
        ),
    }


def section_tables() -> dict[str, str]:
    """The table each section of the my-data file comes from (``ideas[].stages``: idea_stages)."""
    references = {**_participant_references(0), **_slack_id_references("", "")}
    return {
        "participant": "participants",
        "anonymous_poll_answers": "poll_answers",
        "anonymous_stage_evaluation_answers": "stage_evaluation_answers",
        "messages_sent": "scheduled_sends",
        **{name: model.__tablename__ for name, (model, _) in references.items()},  # type: ignore[attr-defined]
    }


def _fetch(session: Session, references: dict[str, tuple[type[Base], Any]]) -> dict[str, list]:
    return {
        name: list(
            session.scalars(
                select(model).where(condition).order_by(*model.__table__.primary_key.columns)  # type: ignore[attr-defined]
            )
        )
        for name, (model, condition) in references.items()
    }


def _anonymous_answers(
    session: Session, participant_id: int, answer_keys: AnswerKeys | None
) -> list[PollAnswer]:
    """The person's answers to anonymous polls, found again with the answer key (the current
    one and every earlier one: answers made before a change of key are theirs too)."""
    if answer_keys is None:
        return []
    poll_ids = session.scalars(
        select(PollDelivery.poll_id).where(PollDelivery.participant_id == participant_id)
    ).all()
    keys = [
        respondent_key(key, poll_id, participant_id)
        for poll_id in poll_ids
        for key in answer_keys.all
    ]
    return list(
        session.scalars(
            select(PollAnswer)
            .where(PollAnswer.respondent.in_(keys), PollAnswer.participant_id.is_(None))
            .order_by(PollAnswer.id)
        )
    )


def personal_data(
    session: Session, user: SlackUser, answer_keys: AnswerKeys | None = None
) -> dict[str, Any] | None:
    """All data held about the person, or None when nothing is held.

    With ``answer_keys`` their answers to anonymous polls are included too (only they, asking
    for their own data, link those answers to themselves).
    """
    participant = find_participant(session, user.team_id, user.user_id)
    by_slack_id = _fetch(session, _slack_id_references(user.team_id, user.user_id))
    messages = _messages_listed(session, user, participant.id if participant else None)
    if participant is None and not (messages or any(by_slack_id.values())):
        return None
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "generated_at": utcnow().isoformat(),
        "participant": row_as_dict(participant) if participant else None,
    }
    if participant is not None:
        own = _fetch(session, _participant_references(participant.id))
        data["ideas"] = [
            {**row_as_dict(idea), "stages": _rows(idea.stages)} for idea in own.pop("ideas")
        ]
        data.update({name: _rows(rows) for name, rows in own.items()})
        data["anonymous_poll_answers"] = _rows(
            _anonymous_answers(session, participant.id, answer_keys)
        )
        data["anonymous_stage_evaluation_answers"] = _rows(
            _evaluation_answers(session, participant.id, answer_keys)
        )
    data.update({name: _rows(rows) for name, rows in by_slack_id.items()})
    data["messages_sent"] = messages
    return data


def forget_programme_links(session: Session, participant_id: int) -> None:
    """Unlink the person from the programme's rows; the group's work (charters, cards) stays."""
    for model, column in (
        (StrategyGoal, StrategyGoal.created_by_id),
        (Charter, Charter.updated_by_id),
        (Experiment, Experiment.created_by_id),
        (Experiment, Experiment.result_by_id),
    ):
        session.execute(update(model).where(column == participant_id).values({column.key: None}))
    # Who was asked to evaluate a stage, and whether they answered, is about them.
    session.execute(
        delete(StageEvaluationInvite).where(StageEvaluationInvite.participant_id == participant_id)
    )


@dataclass(frozen=True)
class Forgotten:
    participant_id: int | None
    ideas: int


def forget(
    session: Session, user: SlackUser, language: str, answer_keys: AnswerKeys | None = None
) -> Forgotten | None:
    """Erase or unlink the person's personal data; None when nothing was held.

    ``language`` is the workspace's language, for the note that replaces their texts. With
    ``answer_keys`` their text answers to anonymous polls are erased as well.
    """
    participant = find_participant(session, user.team_id, user.user_id)
    if participant is not None:
        # Locked first, so a send being claimed for them (``models.sends.still_here``) either
        # commits before this erases it, or waits and sees them forgotten.
        session.refresh(participant, with_for_update=True)
    # First: their poll deliveries and round previews still say where their DM is.
    messages = _forget_messages(session, user, participant.id if participant else None)
    named = _forget_slack_id(session, user)
    if participant is None:
        if not (named or messages):
            return None
        checkpoint_after_commit(session)
        return Forgotten(participant_id=None, ideas=0)
    anonymous = _anonymous_answers(session, participant.id, answer_keys)
    _forget_evaluation_texts(_evaluation_answers(session, participant.id, answer_keys))
    _forget_poll_traces(session, participant.id, anonymous)
    _forget_relations(session, participant.id)
    forget_programme_links(session, participant.id)
    ideas = session.scalars(select(Idea).where(Idea.author_id == participant.id)).all()
    for idea in ideas:
        anonymize_idea(idea, language)
    _tombstone(participant)
    checkpoint_after_commit(session)
    return Forgotten(participant_id=participant.id, ideas=len(ideas))


def _tombstone(participant: Participant) -> None:
    participant.user_id = f"{TOMBSTONE_PREFIX}{uuid.uuid4().hex[:20]}"
    participant.display_name = None
    # The organisation's name identifies a person in a small group; its type (one of six
    # categories) does not, and keeps the mix of organisation types in reports right.
    participant.organisation = None
    participant.language = None
    participant.slack_locale = None
    participant.opt_in = OptIn.OUT
    participant.paused_until = None
    # An imported author's e-mail, and whom their ideas were offered to, name them.
    participant.email = None
    participant.claim_offered_to = participant.claim_declined_by = None
    # A role such as "councillor" picks a person out of a small city's programme.
    participant.role = None
    participant.forgotten_at = utcnow()


def _forget_messages(session: Session, user: SlackUser, participant_id: int | None) -> bool:
    """The outbox rows of messages to or about them go, keys (which may name them) and DM
    channels with them; True when there was any. Each send was claimed once: nothing of theirs
    is sent again (their deliveries, invites and Slack id go too)."""
    deleted = session.execute(
        delete(ScheduledSend)
        .where(_messages(session, user, participant_id))
        .execution_options(synchronize_session=False)
    )
    return bool(deleted.rowcount)  # type: ignore[attr-defined]


def _forget_relations(session: Session, pid: int) -> None:
    """Whom they met, joined, linked or avoided: each would point back at them. What they did
    to others' ideas and themes stays, without their name."""
    for model, condition in (
        (ThinkTankMember, ThinkTankMember.participant_id == pid),
        (RoundNotice, RoundNotice.participant_id == pid),
        (IdeaCoauthor, IdeaCoauthor.participant_id == pid),
        (IdeaLink, IdeaLink.created_by == pid),
        (DoNotMatch, or_(DoNotMatch.participant_id == pid, DoNotMatch.avoided_id == pid)),
        (
            PendingSuggestion,
            PendingSuggestion.idea_id.in_(select(Idea.id).where(Idea.author_id == pid)),
        ),
    ):
        session.execute(delete(model).where(condition).execution_options(synchronize_session=False))
    session.execute(
        update(IdeaStage)
        .where(IdeaStage.changed_by_id == pid)
        .values(changed_by_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Theme)
        .where(Theme.created_by_id == pid)
        .values(created_by_id=None)
        .execution_options(synchronize_session=False)
    )


def _evaluation_answers(
    session: Session, participant_id: int, answer_keys: AnswerKeys | None
) -> list[StageEvaluationAnswer]:
    """The person's stage evaluation answers, found again with the answer keys (they are stored
    anonymously, like poll answers)."""
    if answer_keys is None:
        return []
    evaluation_ids = session.scalars(
        select(StageEvaluationInvite.evaluation_id).where(
            StageEvaluationInvite.participant_id == participant_id
        )
    ).all()
    keys = [
        evaluation_respondent(key, evaluation_id, participant_id)
        for evaluation_id in evaluation_ids
        for key in answer_keys.all
    ]
    return list(
        session.scalars(
            select(StageEvaluationAnswer)
            .where(StageEvaluationAnswer.respondent.in_(keys))
            .order_by(StageEvaluationAnswer.id)
        )
    )


def _forget_evaluation_texts(answers: list[StageEvaluationAnswer]) -> None:
    """The rating stays in the figures; the words, which may identify them, go, and a fresh
    respondent key unlinks the answer from their id."""
    for answer in answers:
        answer.gave = answer.hard = answer.succeeded = ""
        answer.respondent = secrets.token_hex(32)


def _forget_poll_traces(session: Session, pid: int, anonymous: list[PollAnswer]) -> None:
    """Answers stay in the figures, unlinked; their texts, deliveries and DMs go."""
    attributed = list(session.scalars(select(PollAnswer).where(PollAnswer.participant_id == pid)))
    polls = {
        poll.id: poll
        for poll in session.scalars(
            select(Poll).where(Poll.id.in_({a.poll_id for a in attributed + anonymous}))
        )
    }
    # A fresh respondent per poll: the answers still count as one person's, and the answer
    # key no longer finds them from the tombstone's id.
    fresh = {poll_id: secrets.token_hex(32) for poll_id in polls}
    # Two answers to one question: given again under a new key while the earlier one was not
    # tried. The newest is what they answered; the other would count them twice.
    answered: set[tuple[int, str]] = set()
    for answer in sorted(attributed + anonymous, key=lambda answer: answer.id, reverse=True):
        item = next(
            (q for q in polls[answer.poll_id].questions if q["key"] == answer.question_key), None
        )
        again = (answer.poll_id, answer.question_key) in answered
        if item is None or item["kind"] == QuestionKind.TEXT.value or again:
            session.delete(answer)
            continue
        answered.add((answer.poll_id, answer.question_key))
        answer.participant_id = None
        answer.respondent = fresh[answer.poll_id]
    session.execute(delete(PollDelivery).where(PollDelivery.participant_id == pid))


def _forget_slack_id(session: Session, user: SlackUser) -> bool:
    """Their Slack id leaves what they did as a facilitator and the imported authors found by
    their e-mail; True when there was any."""
    references = _fetch(session, _slack_id_references(user.team_id, user.user_id))
    for author in references["imported_authors_offered"]:
        # Found by their e-mail: it is theirs, and without it no offer comes back.
        author.email = None
        if author.claim_offered_to == user.user_id:
            # Their ideas, taken over or offered as theirs: the imported name is theirs too.
            author.claim_offered_to = author.display_name = None
        if author.claim_declined_by == user.user_id:
            author.claim_declined_by = None  # someone else's ideas: that name stays
    for round_ in references["rounds_created_or_confirmed"]:
        if round_.created_by == user.user_id:
            round_.created_by = FORGOTTEN_USER
            # The preview was posted in a DM with them.
            round_.preview_channel = round_.preview_ts = None
        if round_.confirmed_by == user.user_id:
            round_.confirmed_by = FORGOTTEN_USER
    for poll in references["polls_created"]:
        poll.created_by = FORGOTTEN_USER
    for template in references["poll_templates_created"]:
        template.created_by = FORGOTTEN_USER
    for schedule in references["schedules_created"]:
        # A schedule runs as the one who set it up and sends the preview to their DM: with
        # them gone it stops, and another facilitator sets it up again.
        schedule.created_by = FORGOTTEN_USER
        schedule.active = False
    for role in references["facilitator_roles"]:
        if role.user_id == user.user_id:
            session.delete(role)
        else:
            role.added_by = FORGOTTEN_USER
    return any(references.values())


def anonymize_idea(idea: Idea, language: str) -> None:
    """Keep what is not personal (kind, theme, stage, status, dates); replace the texts."""
    idea.title = t("privacy.removed_title", language)
    idea.body = t("privacy.removed_body", language)
    idea.theme = None  # a free label they typed (a facilitator's theme stays as theme_id)
    idea.language = None
    idea.search_text = ""
    idea.source_url = None  # a link to their own message
    idea.import_key = None  # a hash of their text
    # Notes on the stages of their idea are about them and may name them.
    for change in idea.stages:
        change.note = ""
