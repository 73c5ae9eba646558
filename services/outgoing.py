"""What workflows send outside a request, and what they need to send it.

The domain describes each message as plain data (``Intro``, ``Unplaced``, ``RoundSummary``) or
hands over its own objects (a round, a poll, a report); ``Views`` turns them into Block Kit.
The implementation lives with the other views, in ``handlers/outgoing_views.py``, and the
entry points compose it (``bot/app.py``, ``bot/scheduling.py``) into an ``Outbound``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from i18n import normalize_language
from models.db import Database
from models.queries import find_participant
from services.answer_keys import KeySettings
from services.delivery import Gateway, Message, Outcome, Recipient, Status, deliver
from services.facilitators import facilitator_ids
from services.participants import language_of, remember_slack_locale

if TYPE_CHECKING:
    from models import (
        Charter,
        Experiment,
        Idea,
        IdeaStage,
        Poll,
        Round,
        Stage,
        StageEvaluation,
    )
    from services.claims import ClaimOffer
    from services.poll_reports import Report
    from services.programme_report import ProgrammeReport

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntroMember:
    # None for someone who is not in Slack (imported): named, never given a made-up id.
    user_id: str | None
    organisation: str | None
    organisation_type: str | None
    idea_title: str | None
    idea_kind: str | None
    name: str | None = None


@dataclass(frozen=True)
class Intro:
    """The first message in a think tank's conversation."""

    think_tank_id: int
    round_id: int
    number: int
    language: str
    members: tuple[IntroMember, ...]
    key_terms: tuple[str, ...]
    first_poll_on: datetime | None = None


@dataclass(frozen=True)
class Unplaced:
    participant_id: int
    user_id: str
    language: str
    reason: str
    round_id: int


@dataclass(frozen=True)
class RoundSummary:
    round_id: int
    language: str
    think_tanks: int
    people: int
    failed_groups: tuple[tuple[int, str], ...] = ()
    unreachable: tuple[tuple[str, str], ...] = ()
    # Names of members who are not in Slack (imported): the facilitator invites them.
    offline: tuple[str, ...] = ()
    notices: int = 0
    extra: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class NotReached:
    """Someone a message did not reach, and Slack's reason (or ours, e.g. a closed evaluation).
    Someone not in Slack (imported) has no ``user_id`` (never their made-up one), only a name."""

    user_id: str | None
    code: str
    name: str | None = None


@dataclass(frozen=True)
class InvitationFailures:
    """A stage evaluation's invitations that were not delivered, once none is waiting any more.
    Who was asked is no secret (answers are): who answered is never part of it."""

    evaluation_id: int
    stage: Stage  # the stage evaluated
    invited: int
    not_reached: tuple[NotReached, ...]


@dataclass(frozen=True)
class MoveFailures:
    """To the facilitator who moved an idea: what of the move's messages Slack did not take.

    ``author``: the stage notice; ``think_tank``: the error of the card prompt in the group's
    conversation; ``invitations``: the evaluation of the stage just finished."""

    idea_id: int
    idea_title: str
    language: str
    author: NotReached | None = None
    think_tank: str | None = None
    invitations: InvitationFailures | None = None


@dataclass(frozen=True)
class ResultRequestFailures:
    """To the facilitator who started an experiment: owners its result request did not reach."""

    experiment_id: int
    title: str
    language: str
    not_reached: tuple[NotReached, ...]


class Views(Protocol):
    """Block Kit for every message a workflow sends."""

    def preview(self, round_: Round, language: str) -> Message: ...

    def intro(self, intro: Intro) -> Message: ...

    def unplaced(self, notice: Unplaced) -> Message: ...

    def round_summary(self, summary: RoundSummary) -> Message: ...

    def poll(
        self, poll: Poll, answers: dict[str, str], language: str, *, closed: bool = False
    ) -> Message: ...

    def reminder(self, poll: Poll, language: str) -> Message: ...

    def poll_failures(
        self, poll: Poll, problems: list[tuple[str, str]], language: str
    ) -> Message: ...

    def poll_failures_text(
        self, poll: Poll, problems: list[tuple[str, str]], language: str
    ) -> str | None:
        """Every failure as a text file's content, or None when the message lists them all."""
        ...

    def report(self, report: Report, language: str) -> Message: ...

    def report_text(self, report: Report, language: str) -> str:
        """The whole report as a text file's content (the message may only count the rest)."""
        ...

    def preview_text(self, round_: Round, language: str) -> str:
        """Every group of a preview as a text file's content."""
        ...

    def charter(self, charter: Charter, language: str) -> Message:
        """A think tank's charter, as posted (and pinned) in its conversation."""
        ...

    def experiment_prompt(self, experiment: Experiment, language: str) -> Message: ...

    def experiment_card(self, experiment: Experiment, language: str) -> Message: ...

    def result_request(self, experiment: Experiment, language: str) -> Message: ...

    def evaluation_invite(
        self, evaluation: StageEvaluation, idea_title: str, language: str
    ) -> Message: ...

    def programme_report(self, report: ProgrammeReport, language: str) -> Message: ...

    def programme_chart(self, report: ProgrammeReport, language: str) -> bytes:
        """The programme report's charts on one PNG."""
        ...

    def claim_offer(self, offer: ClaimOffer, language: str) -> Message:
        """The DM offering imported ideas to the member with the same e-mail."""
        ...

    def stage_moved(self, idea: Idea, change: IdeaStage, language: str) -> Message:
        """To an idea's author: it moved to another stage of the pipeline."""
        ...

    def move_failures(self, failures: MoveFailures) -> Message:
        """To the facilitator who moved an idea: who its messages did not reach."""
        ...

    def result_request_failures(self, failures: ResultRequestFailures) -> Message:
        """To the facilitator who started an experiment: whom its result request missed."""
        ...

    def notice(self, text: str) -> Message:
        """A one-line notice the bot wrote (e.g. "something went wrong")."""
        ...


class WorkflowSettings(KeySettings, Protocol):
    """The settings workflows read (``bot.settings.Settings`` has them)."""

    @property
    def default_language(self) -> str: ...

    @property
    def time_zone(self) -> str:
        """The deployment's zone name: the wall clock schedules keep."""
        ...

    @property
    def facilitators(self) -> frozenset[str]:
        """The Slack ids configured as facilitators (``COLLIDER_FACILITATORS``)."""
        ...


@dataclass(frozen=True)
class Outbound:
    """Everything a workflow needs to send: storage, the gateway, the views, the settings.

    ``holder`` names the process in send claims ("host:pid" for the scheduler).
    """

    database: Database
    gateway: Gateway
    views: Views
    settings: WorkflowSettings
    holder: str = ""

    def held_by(self, holder: str) -> Outbound:
        return Outbound(self.database, self.gateway, self.views, self.settings, holder)


def person_language(out: Outbound, team_id: str, user_id: str) -> str:
    """The person's language: their profile, else their Slack locale (asked through the gateway
    once, then kept on their row), else the default. It never fails: it is what an apology for
    a failure is written in, so it is looked up before the work that may fail."""
    default = out.settings.default_language
    participant_id = None
    try:
        with out.database.session() as session:
            participant = find_participant(session, team_id, user_id)
            if participant is not None and (participant.language or participant.slack_locale):
                return language_of(participant, default)
            participant_id = participant.id if participant is not None else None
    except Exception as error:
        logger.warning("language of %s from Slack only: %s", user_id, type(error).__name__)
    try:
        locale = out.gateway.user_locale(user_id)
    except Exception as error:
        logger.warning("no Slack locale for %s: %s", user_id, type(error).__name__)
        return default
    if locale is None:
        return default
    if participant_id is not None:
        try:
            with out.database.session() as session:
                remember_slack_locale(session, participant_id, locale)
        except Exception as error:
            logger.warning("could not keep the locale of %s: %s", user_id, type(error).__name__)
    return normalize_language(locale, default)


@dataclass(frozen=True)
class Addressee:
    """A facilitator to tell: their Slack id, and their participant row when they have one, so
    that a send to someone who asked to be forgotten in the meantime is refused (``once``)."""

    user_id: str
    participant_id: int | None = None


def tell_facilitator(
    out: Outbound,
    team_id: str,
    user_id: str | None,
    message_for: Callable[[str], Message],
    *,
    key: str,
    participant_id: int | None = None,
) -> Outcome | None:
    """DM a facilitator, in their language, which messages of their own doing (a stage move,
    an experiment) Slack did not take, so they can reach those people another way; once per
    ``key``. None when there is nobody to tell (they were forgotten)."""
    if not user_id:
        return None
    message = message_for(person_language(out, team_id, user_id))
    to = Recipient(user_id=user_id, team_id=team_id, participant_id=participant_id)
    outcome = deliver(out.database, out.gateway, message, to, key=key, holder=out.holder)
    if not outcome.delivered:
        logger.warning(
            "%s: facilitator %s not told (%s %s)", key, user_id, outcome.status, outcome.code
        )
    return outcome


def tell_mover_or_facilitators(
    out: Outbound,
    team_id: str,
    mover: Addressee | None,
    message_for: Callable[[str], Message],
    *,
    key: str,
    facilitators_key: str,
) -> list[Outcome]:
    """Tell the facilitator who moved an idea (under ``key``) what of the move Slack did not
    take; when nobody can be (they were forgotten, or their DM fails for good), tell the
    workspace's facilitators instead, each once (under ``facilitators_key:{their id}``) and in
    their own language. Empty when there is nobody at all (a warning says so)."""
    if mover is not None:
        outcome = tell_facilitator(
            out, team_id, mover.user_id, message_for, key=key, participant_id=mover.participant_id
        )
        if outcome is not None and outcome.status not in (Status.PERMANENT, Status.FORGOTTEN):
            return [outcome]
    others = facilitators_of(out, team_id, besides=mover.user_id if mover else None)
    if not others:
        logger.warning("%s: no facilitator to tell what Slack did not take", key)
    outcomes = []
    for person in others:
        outcome = tell_facilitator(
            out,
            team_id,
            person.user_id,
            message_for,
            key=f"{facilitators_key}:{person.user_id}",
            participant_id=person.participant_id,
        )
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def facilitators_of(out: Outbound, team_id: str, *, besides: str | None = None) -> list[Addressee]:
    """The workspace's facilitators (configured and added in Slack, ``facilitator_ids``) but
    ``besides``, and none who asked to be forgotten."""
    with out.database.session() as session:
        found = []
        for user_id in facilitator_ids(session, team_id, out.settings.facilitators):
            participant = find_participant(session, team_id, user_id)
            if user_id == besides or (participant is not None and participant.forgotten_at):
                continue
            found.append(Addressee(user_id, participant.id if participant else None))
        return found


def tell_later(outcome: Outcome | None) -> bool:
    """Whether a facilitator not told this time is to be told by a later run: Slack did not take
    it this time, or another process is sending it right now (it may yet fail)."""
    return outcome is not None and outcome.status in (
        Status.TEMPORARY,
        Status.RETRY_AFTER,
        Status.BUSY,
    )
