"""Plain values that go into and come out of the matching engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from matching.similarity import KindWeights
from matching.vectorize import VectorizerConfig

Kind = Literal["idea", "need"]


@dataclass(frozen=True)
class Contribution:
    """One idea or need; ``theme`` (a short label) is read together with the text."""

    id: str
    text: str
    kind: Kind = "idea"
    theme: str | None = None


@dataclass(frozen=True)
class Participant:
    id: str
    contributions: tuple[Contribution, ...]
    organisation_type: str | None = None


@dataclass(frozen=True)
class Anchor:
    """A need or theme that one group forms around; its author, if any, joins that group."""

    id: str
    text: str
    participant_id: str | None = None


@dataclass(frozen=True)
class GroupingOptions:
    min_size: int = 3
    max_size: int = 5
    # Preferred size; groups are as close to it as the pool allows. None: middle of the range.
    target_size: int | None = None
    min_distinct_types: int = 2
    neighbours: int = 20
    # Share of a similarity that comes from the pool's latent topics (LSA, matching.latent):
    # relates short texts that share a topic but few words. 0 turns it off.
    latent_weight: float = 0.35
    max_search_rounds: int = 40
    # How strongly a member is drawn to an anchor, against the pull of one fellow member: above
    # 1 so that the group stays about its anchor rather than about whoever the author resembles.
    anchor_weight: float = 3.0
    vectorizer: VectorizerConfig = field(default_factory=VectorizerConfig)
    kind_weights: KindWeights = field(default_factory=KindWeights)
    explain: bool = True

    def preferred_size(self) -> int:
        if self.target_size is not None:
            return min(max(self.target_size, self.min_size), self.max_size)
        return (self.min_size + self.max_size + 1) // 2


@dataclass(frozen=True)
class Issue:
    """A constraint that could not be met, for whom; ``code`` maps to ``matching.issue_<code>``."""

    code: str
    participant_ids: tuple[str, ...] = ()
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberTie:
    """The contribution that ties a member to their group, and how strongly (weighted cosine).

    ``terms``: the words of that contribution that other members of the group also used.
    """

    contribution_id: str
    text: str
    score: float
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    member_ids: tuple[str, ...]
    anchor_id: str | None = None
    # Mean similarity of the group's pairs of members.
    cohesion: float = 0.0
    key_terms: tuple[str, ...] = ()
    ties: Mapping[str, MemberTie] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupingResult:
    groups: tuple[Group, ...]
    issues: tuple[Issue, ...]
    # Mean of the groups' cohesion, and the same for a random grouping with the same sizes.
    cohesion: float = 0.0
    random_cohesion: float = 0.0
