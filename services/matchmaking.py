"""Matchmaking previews: choose the pool, run the engine, store a preview the facilitator refines.

Every change to a preview bumps ``Round.version``; actions name the version they were shown, so
two facilitators (or a double click) acting on the same preview never both take effect.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from matching.grouping import describe_groups, form_groups
from matching.model import Anchor, Contribution, GroupingOptions, GroupingResult
from matching.model import Participant as PoolPerson
from models import (
    DoNotMatch,
    Idea,
    IdeaCoauthor,
    IdeaKind,
    IdeaStatus,
    OptIn,
    Participant,
    Round,
    RoundNotice,
    RoundStatus,
    ThinkTank,
    ThinkTankMember,
)
from models.base import utcnow
from services.errors import InvalidInput, NotFound
from services.participants import SlackUser

MAX_POOL = 20_000
# A grouping under this many times the cohesion of random groups is not clearly better than
# chance, and the preview says so, with the likely cause.
CLEARLY_BETTER = 1.2
# Likely causes, in the order they are checked: few people (few pairs to choose among) or
# short texts (few words in common to see).
FEW_PEOPLE = 16
SHORT_TEXT_WORDS = 8


class StalePreview(InvalidInput):
    """The preview changed (or was confirmed or discarded) since this person saw it."""

    def __init__(self) -> None:
        super().__init__("rounds.stale_preview")


@dataclass(frozen=True)
class RoundSettings:
    """What a facilitator chooses in the match form."""

    min_size: int = 3
    max_size: int = 5
    min_distinct: int = 2
    repeat_window: int = 3
    since: str | None = None  # ISO date: only ideas and needs from this day on
    theme_id: int | None = None
    channel_members: tuple[str, ...] | None = None  # Slack user ids
    around_needs: bool = False
    # People known only from an import (not in Slack) join groups only when asked; their
    # needs anchor groups either way.
    include_offline: bool = False
    seed: int = 0
    auto_confirm: bool = False

    def validate(self) -> RoundSettings:
        if not 2 <= self.min_size <= self.max_size <= 50:
            raise InvalidInput(
                "rounds.bad_sizes", field="sizes", min_size=self.min_size, max_size=self.max_size
            )
        if not 0 <= self.min_distinct <= 6:
            raise InvalidInput("rounds.bad_diversity", field="diversity", value=self.min_distinct)
        if not 0 <= self.repeat_window <= 52:
            raise InvalidInput("rounds.bad_window", field="window", value=self.repeat_window)
        if self.since:
            try:
                date.fromisoformat(self.since)
            except ValueError:
                raise InvalidInput("rounds.bad_date", field="since") from None
        return self

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["channel_members"] = list(self.channel_members) if self.channel_members else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoundSettings:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        if known.get("channel_members") is not None:
            known["channel_members"] = tuple(known["channel_members"])
        return cls(**known)


@dataclass
class PoolEntry:
    participant: Participant
    ideas: list[Idea] = field(default_factory=list)


def _available(participant: Participant, now: datetime) -> bool:
    if participant.opt_in is OptIn.IN:
        return True
    if participant.opt_in is OptIn.PAUSED:
        return participant.paused_until is not None and participant.paused_until <= now
    return False


def build_pool(session: Session, team_id: str, settings: RoundSettings) -> list[PoolEntry]:
    """Opted-in participants with an open idea or need matching the facilitator's filters."""
    now = utcnow()
    conditions = [Idea.status == IdeaStatus.OPEN, Participant.team_id == team_id]
    if settings.since:
        start = datetime.combine(date.fromisoformat(settings.since), time.min, tzinfo=UTC)
        conditions.append(Idea.created_at >= start)
    if settings.theme_id is not None:
        conditions.append(Idea.theme_id == settings.theme_id)
    if settings.channel_members is not None:
        conditions.append(Participant.user_id.in_(settings.channel_members))
    rows = session.execute(
        select(Participant, Idea)
        .join(Idea, Idea.author_id == Participant.id)
        .where(*conditions)
        .order_by(Participant.id, Idea.id)
        .limit(MAX_POOL * 10)
    ).all()
    # Co-authors bring the ideas they joined, as if they had written them.
    coauthored = session.execute(
        select(Participant, Idea)
        .join(IdeaCoauthor, IdeaCoauthor.participant_id == Participant.id)
        .join(Idea, Idea.id == IdeaCoauthor.idea_id)
        .where(*conditions)
        .order_by(Participant.id, Idea.id)
        .limit(MAX_POOL)
    ).all()
    pool: dict[int, PoolEntry] = {}
    for participant, idea in [*rows, *coauthored]:
        if _available(participant, now):
            pool.setdefault(participant.id, PoolEntry(participant)).ideas.append(idea)
    return sorted(pool.values(), key=lambda entry: entry.participant.id)


# Why a member gets no Slack call at all: they are not in Slack (an imported author).
OFFLINE = "offline"


def members_of(pool: list[PoolEntry], settings: RoundSettings) -> list[PoolEntry]:
    """Who can be placed in groups: people not in Slack only if the facilitator asked."""
    if settings.include_offline:
        return pool
    return [entry for entry in pool if not entry.participant.is_offline]


def _engine_person(entry: PoolEntry) -> PoolPerson:
    org_type = entry.participant.organisation_type
    return PoolPerson(
        id=str(entry.participant.id),
        organisation_type=org_type.value if org_type else None,
        contributions=tuple(
            Contribution(
                id=str(idea.id),
                text=f"{idea.title}. {idea.body}" if idea.title not in idea.body else idea.body,
                kind="need" if idea.kind is IdeaKind.NEED else "idea",
                theme=idea.theme,
            )
            for idea in entry.ideas
        ),
    )


def recent_pairs(session: Session, team_id: str, window: int) -> set[tuple[str, str]]:
    """Pairs of participants who shared a think tank in the last ``window`` carried-out rounds."""
    if window <= 0:
        return set()
    round_ids = list(
        session.scalars(
            select(Round.id)
            .where(
                Round.team_id == team_id,
                Round.status.in_([RoundStatus.CONFIRMED, RoundStatus.COMPLETED]),
            )
            .order_by(Round.confirmed_at.desc(), Round.id.desc())
            .limit(window)
        )
    )
    groups: dict[int, list[int]] = {}
    for tank_id, participant_id in session.execute(
        select(ThinkTankMember.think_tank_id, ThinkTankMember.participant_id).where(
            ThinkTankMember.round_id.in_(round_ids)
        )
    ):
        groups.setdefault(tank_id, []).append(participant_id)
    pairs: set[tuple[str, str]] = set()
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs.add((str(a), str(b)))
    return pairs


def avoided_pairs(session: Session, participant_ids: Iterable[int]) -> set[tuple[str, str]]:
    ids = list(participant_ids)
    rows = session.execute(
        select(DoNotMatch.participant_id, DoNotMatch.avoided_id).where(
            DoNotMatch.participant_id.in_(ids)
        )
    )
    return {(str(a), str(b)) for a, b in rows}


def _language(members: Sequence[Participant], default: str) -> str:
    spoken = Counter(member.language for member in members if member.language)
    return spoken.most_common(1)[0][0] if spoken else default


def _run_engine(
    session: Session, round_: Round, pool: list[PoolEntry], settings: RoundSettings
) -> GroupingResult:
    members = members_of(pool, settings)
    placed = {entry.participant.id for entry in members}
    people = [_engine_person(entry) for entry in members]
    anchors: list[Anchor] = []
    if settings.around_needs:
        # A need of someone who is not placed (not in Slack) still anchors a group, authorless.
        anchors = [
            Anchor(
                id=str(idea.id),
                text=idea.body,
                participant_id=str(entry.participant.id)
                if entry.participant.id in placed
                else None,
            )
            for entry in pool
            for idea in entry.ideas
            if idea.kind is IdeaKind.NEED
        ]
    options = GroupingOptions(
        min_size=settings.min_size,
        max_size=settings.max_size,
        min_distinct_types=settings.min_distinct,
    )
    return form_groups(
        people,
        options,
        past_pairs=recent_pairs(session, round_.team_id, settings.repeat_window),
        avoid_pairs=avoided_pairs(session, (entry.participant.id for entry in pool)),
        anchors=anchors,
        seed=settings.seed,
    )


def _store_groups(
    session: Session,
    round_: Round,
    pool: list[PoolEntry],
    result: GroupingResult,
    first_number: int,
    default_language: str,
) -> None:
    by_id = {str(entry.participant.id): entry.participant for entry in pool}
    for offset, group in enumerate(result.groups):
        members = [by_id[member_id] for member_id in group.member_ids]
        tank = ThinkTank(
            round=round_,
            number=first_number + offset,
            language=_language(members, default_language),
            cohesion=round(group.cohesion, 4),
            key_terms=list(group.key_terms),
            anchor_idea_id=int(group.anchor_id) if group.anchor_id else None,
        )
        session.add(tank)
        for participant in members:
            tie = group.ties.get(str(participant.id))
            tank.members.append(
                ThinkTankMember(
                    round_id=round_.id,
                    participant=participant,
                    idea_id=int(tie.contribution_id) if tie else None,
                    tie_score=tie.score if tie else 0.0,
                    # Never opened, introduced or polled in Slack; listed for the facilitator.
                    unreachable=OFFLINE if participant.is_offline else None,
                )
            )


def _issues(result: GroupingResult) -> list[dict[str, Any]]:
    return [
        {
            "code": issue.code,
            "participants": [int(pid) for pid in issue.participant_ids if pid.isdigit()],
            "params": {k: v for k, v in issue.params.items() if isinstance(v, str | int | float)},
        }
        for issue in result.issues
    ]


def create_preview(
    session: Session,
    facilitator: SlackUser,
    settings: RoundSettings,
    default_language: str = "en",
) -> Round:
    """Group the pool and store the proposal as a preview round."""
    settings = settings.validate()
    if settings.seed == 0:
        settings = RoundSettings(**{**settings.__dict__, "seed": random.randint(1, 2**31 - 1)})
    everyone = build_pool(session, facilitator.team_id, settings)
    pool = members_of(everyone, settings)
    round_ = Round(
        team_id=facilitator.team_id,
        created_by=facilitator.user_id,
        parameters=settings.as_json(),
        status=RoundStatus.PREVIEW,
    )
    session.add(round_)
    session.flush()
    if len(pool) < settings.min_size:
        # Too few people for one group: nobody is placed, and each is told why.
        for entry in pool:
            if entry.participant.is_offline:
                continue  # not in Slack: nobody to tell
            round_.notices.append(
                RoundNotice(participant=entry.participant, reason="pool_too_small")
            )
        round_.issues = [
            {
                "code": "pool_too_small",
                "participants": [e.participant.id for e in pool],
                "params": {"count": len(pool), "min_size": settings.min_size},
            }
        ]
        return round_
    result = _run_engine(session, round_, everyone, settings)
    _store_groups(session, round_, pool, result, 1, default_language)
    round_.cohesion = round(result.cohesion, 4)
    round_.random_cohesion = round(result.random_cohesion, 4)
    round_.issues = _issues(result)
    session.flush()
    return round_


def weak_grouping_cause(round_: Round) -> str | None:
    """``few``, ``short`` or ``unclear`` when the grouping is not clearly better than random."""
    tanks = round_.think_tanks
    if not tanks:
        return None
    cohesion, random_ = round_.cohesion or 0.0, round_.random_cohesion or 0.0
    if cohesion > 0 and cohesion >= CLEARLY_BETTER * random_:
        return None
    people = sum(len(tank.members) for tank in tanks)
    words = sorted(
        len((member.idea.body if member.idea else "").split())
        for tank in tanks
        for member in tank.members
    )
    if people < FEW_PEOPLE:
        return "few"
    if words[len(words) // 2] < SHORT_TEXT_WORDS:
        return "short"
    return "unclear"


def _refresh_figures(session: Session, round_: Round) -> None:
    """Cohesion, shared terms and ties of every think tank again, after a hand-made change."""
    settings = RoundSettings.from_json(round_.parameters)
    tanks = sorted(round_.think_tanks, key=lambda tank: tank.number)
    placed = {member.participant_id for tank in tanks for member in tank.members}
    pool = [e for e in build_pool(session, round_.team_id, settings) if e.participant.id in placed]
    options = GroupingOptions(min_size=settings.min_size, max_size=settings.max_size)
    result = describe_groups(
        [_engine_person(entry) for entry in pool],
        [[str(member.participant_id) for member in tank.members] for tank in tanks],
        options,
        seed=settings.seed,
    )
    for tank, group in zip(tanks, result.groups, strict=True):
        tank.cohesion = round(group.cohesion, 4)
        tank.key_terms = list(group.key_terms)
        for member in tank.members:
            tie = group.ties.get(str(member.participant_id))
            if tie is not None:
                member.idea_id, member.tie_score = int(tie.contribution_id), tie.score
    round_.cohesion = round(result.cohesion, 4)
    round_.random_cohesion = round(result.random_cohesion, 4)


def load_round(session: Session, round_id: int) -> Round:
    round_ = session.get(
        Round,
        round_id,
        options=[
            selectinload(Round.think_tanks)
            .selectinload(ThinkTank.members)
            .selectinload(ThinkTankMember.participant),
            selectinload(Round.think_tanks)
            .selectinload(ThinkTank.members)
            .selectinload(ThinkTankMember.idea),
            selectinload(Round.notices).selectinload(RoundNotice.participant),
        ],
    )
    if round_ is None:
        raise NotFound("rounds.not_found")
    return round_


def _claim_version(session: Session, round_id: int, version: int, **changes: Any) -> Round:
    """Move a preview forward only if it is still the version the person saw."""
    claimed = session.execute(
        update(Round)
        .where(Round.id == round_id, Round.version == version, Round.status == RoundStatus.PREVIEW)
        .values(version=version + 1, **changes)
        .returning(Round.id)
    ).scalar()
    if claimed is None:
        raise StalePreview()
    session.expire_all()
    return load_round(session, round_id)


def rerun_preview(
    session: Session, round_id: int, version: int, default_language: str = "en"
) -> Round:
    """Group again with a new seed; locked think tanks keep their members."""
    round_ = _claim_version(session, round_id, version)
    settings = RoundSettings.from_json(round_.parameters)
    settings = RoundSettings(**{**settings.__dict__, "seed": settings.seed + 1})
    round_.parameters = settings.as_json()
    locked = [tank for tank in round_.think_tanks if tank.locked]
    kept = {member.participant_id for tank in locked for member in tank.members}
    for tank in [tank for tank in round_.think_tanks if not tank.locked]:
        round_.think_tanks.remove(tank)
    session.flush()
    everyone = [
        entry
        for entry in build_pool(session, round_.team_id, settings)
        if entry.participant.id not in kept
    ]
    pool = members_of(everyone, settings)
    if len(pool) >= settings.min_size:
        result = _run_engine(session, round_, everyone, settings)
        next_number = max((tank.number for tank in locked), default=0) + 1
        _store_groups(session, round_, pool, result, next_number, default_language)
        round_.cohesion = round(result.cohesion, 4)
        round_.random_cohesion = round(result.random_cohesion, 4)
        round_.issues = _issues(result)
    session.flush()
    session.expire_all()
    return load_round(session, round_id)


def set_locked(session: Session, round_id: int, version: int, number: int, locked: bool) -> Round:
    round_ = _claim_version(session, round_id, version)
    tank = next((tank for tank in round_.think_tanks if tank.number == number), None)
    if tank is None:
        raise InvalidInput("rounds.no_such_group", field="group", number=number)
    tank.locked = locked
    return round_


def move_member(
    session: Session, round_id: int, version: int, participant_id: int, number: int
) -> Round:
    """Move one person to think tank ``number`` (a new one if it is one past the last).

    A move may take a group past the maximum size (the facilitator decides; the preview warns),
    and every figure is computed again for the new grouping.
    """
    round_ = _claim_version(session, round_id, version)
    member = next(
        (
            m
            for tank in round_.think_tanks
            for m in tank.members
            if m.participant_id == participant_id
        ),
        None,
    )
    if member is None:
        raise InvalidInput("rounds.not_in_preview", field="person")
    target = next((tank for tank in round_.think_tanks if tank.number == number), None)
    last = max((tank.number for tank in round_.think_tanks), default=0)
    if target is None and number == last + 1:
        source = member.think_tank
        target = ThinkTank(round=round_, number=number, language=source.language)
        session.add(target)
    if target is None:
        raise InvalidInput("rounds.no_such_group", field="group", number=number)
    if target.locked or member.think_tank.locked:
        raise InvalidInput("rounds.group_locked", field="group", number=number)
    source = member.think_tank
    source.members.remove(member)
    session.flush()
    target.members.append(
        ThinkTankMember(
            round_id=round_.id,
            participant_id=participant_id,
            idea_id=member.idea_id,
            tie_score=member.tie_score,
            unreachable=member.unreachable,
        )
    )
    if not source.members:
        round_.think_tanks.remove(source)
    session.flush()
    _refresh_figures(session, round_)
    session.flush()
    session.expire_all()
    return load_round(session, round_id)


@dataclass(frozen=True)
class MemberChoice:
    participant_id: int
    name: str
    number: int  # the think tank they are in


@dataclass(frozen=True)
class MemberChoices:
    members: list[MemberChoice]
    more: int = 0  # matches past the limit


def find_members(session: Session, round_id: int, query: str, limit: int = 100) -> MemberChoices:
    """The preview's members whose name or Slack id contains ``query`` (ignoring case), or,
    for ``#N``, the members of think tank N: at most ``limit``, by group, and how many more."""
    wanted = query.strip().casefold()
    group = wanted[1:] if wanted.startswith("#") and wanted[1:].isdigit() else None
    found = []
    for tank in sorted(load_round(session, round_id).think_tanks, key=lambda tank: tank.number):
        for member in tank.members:
            person = member.participant
            name = person.display_name or person.user_id
            if group is not None:
                matches = group == str(tank.number)
            else:
                matches = wanted in name.casefold() or wanted in person.user_id.casefold()
            if matches:
                found.append(MemberChoice(member.participant_id, name, tank.number))
    return MemberChoices(found[:limit], more=max(0, len(found) - limit))


def discard(session: Session, round_id: int, version: int) -> Round:
    return _claim_version(session, round_id, version, status=RoundStatus.DISCARDED)


def confirm(session: Session, round_id: int, version: int, facilitator: SlackUser) -> Round:
    """Exactly one confirm wins; the rest get StalePreview."""
    return _claim_version(
        session,
        round_id,
        version,
        status=RoundStatus.CONFIRMED,
        confirmed_by=facilitator.user_id,
        confirmed_at=utcnow(),
    )


def think_tanks_of(session: Session, user: SlackUser, limit: int = 10) -> list[ThinkTank]:
    """The think tanks a person has been placed in by carried-out rounds, newest first."""
    return list(
        session.scalars(
            select(ThinkTank)
            .join(ThinkTankMember, ThinkTankMember.think_tank_id == ThinkTank.id)
            .join(Participant, Participant.id == ThinkTankMember.participant_id)
            .join(Round, Round.id == ThinkTank.round_id)
            .where(
                Participant.team_id == user.team_id,
                Participant.user_id == user.user_id,
                Round.status.in_([RoundStatus.CONFIRMED, RoundStatus.COMPLETED]),
            )
            .options(selectinload(ThinkTank.members).selectinload(ThinkTankMember.participant))
            .order_by(ThinkTank.id.desc())
            .limit(limit)
        )
    )
