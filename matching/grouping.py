"""Form think tanks: everyone in exactly one group of related people, within the constraints."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from matching.arrays import members_by_group
from matching.explain import (
    cohesion,
    mean_cohesion,
    member_ties,
    random_baseline_cohesion,
    shared_terms,
    tie_terms,
)
from matching.model import (
    Anchor,
    Group,
    GroupingOptions,
    GroupingResult,
    Issue,
    MemberTie,
    Participant,
)
from matching.search import Constraints, construct, improve, repair
from matching.similarity import PoolSimilarity
from matching.sizes import plan_sizes
from matching.vectorize import TextVectorizer, TextVectors

PersonPair = tuple[str, str]


def form_groups(
    participants: Sequence[Participant],
    options: GroupingOptions | None = None,
    *,
    past_pairs: Iterable[PersonPair] = (),
    avoid_pairs: Iterable[PersonPair] = (),
    anchors: Sequence[Anchor] = (),
    seed: int = 0,
    on_stage: Callable[[str], None] | None = None,
) -> GroupingResult:
    """Place every participant in exactly one group, most related first.

    ``past_pairs`` (people who shared a group in recent rounds) and ``avoid_pairs`` must not meet;
    each group needs ``options.min_distinct_types`` organisation types when the pool has them;
    with ``anchors``, one group forms around each. What cannot be met is returned as issues.
    ``on_stage`` is told the name of each stage as it starts (analyse, neighbours, group,
    explain), for a progress display.
    """
    options = options or GroupingOptions()
    stage = on_stage or (lambda name: None)
    stage("analyse")
    ids = [p.id for p in participants]
    if len(set(ids)) != len(ids):
        raise ValueError("participant ids must be unique")
    index = {pid: i for i, pid in enumerate(ids)}
    n = len(ids)
    issues: list[Issue] = []

    plan = plan_sizes(n, options.min_size, options.max_size, options.preferred_size())
    sizes = list(plan.sizes)
    anchors, anchor_issues = _usable_anchors(anchors, index, len(sizes))
    issues += anchor_issues

    vectorizer, vectors, similarity = _vectorize(participants, options)
    silent = [p.id for p in participants if not any(c.text.strip() for c in p.contributions)]
    if silent:
        issues.append(Issue("no_text", tuple(silent)))

    constraints, constraint_issues = _constraints(
        participants, index, options.min_distinct_types, past_pairs, avoid_pairs, sizes
    )
    issues += constraint_issues
    constraints.pinned = {
        index[a.participant_id]: g for g, a in enumerate(anchors) if a.participant_id
    }
    affinity = (
        _anchor_affinity(vectorizer, similarity, anchors) * options.anchor_weight
        if anchors
        else None
    )

    assign = _assign(similarity, sizes, constraints, affinity, options, seed, stage)
    groups = members_by_group(assign, len(sizes))
    if plan.problem:
        issues.append(_size_issue(plan.problem, groups, ids, options))
    issues += _violations(groups, constraints, ids)
    stage("explain")
    return _result(
        groups, ids, participants, anchors, similarity, vectorizer, vectors, options, issues, seed
    )


def _assign(
    similarity: PoolSimilarity,
    sizes: list[int],
    constraints: Constraints,
    affinity: sp.csr_matrix | None,
    options: GroupingOptions,
    seed: int,
    stage: Callable[[str], None],
) -> np.ndarray:
    """Each person's group: greedy start, swaps while they help, then constraint repair."""
    if not sizes:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    stage("neighbours")
    graph = similarity.neighbour_graph(options.neighbours)
    stage("group")
    assign = construct(graph, sizes, constraints, affinity, rng)
    assign = improve(graph, assign, constraints, affinity, options.max_search_rounds)
    return repair(graph, assign, constraints, rng)


def _size_issue(
    problem: str, groups: Sequence[Sequence[int]], ids: Sequence[str], options: GroupingOptions
) -> Issue:
    """The people in groups outside the size range, when the pool cannot be split within it."""
    return Issue(
        problem,
        tuple(ids[m] for members in groups for m in members if not _fits(members, options)),
        {"count": len(ids), "min_size": options.min_size, "max_size": options.max_size},
    )


def describe_groups(
    participants: Sequence[Participant],
    member_ids: Sequence[Sequence[str]],
    options: GroupingOptions | None = None,
    *,
    seed: int = 0,
) -> GroupingResult:
    """The figures of a grouping someone changed by hand: cohesion, random baseline, terms, ties.

    ``member_ids`` lists each group's people; ids not among ``participants`` are left out.
    Vectors are fitted on all of ``participants``, as ``form_groups`` does, so the figures of
    changed and unchanged groups stay comparable.
    """
    options = options or GroupingOptions()
    ids = [p.id for p in participants]
    index = {pid: i for i, pid in enumerate(ids)}
    groups = [[index[m] for m in members if m in index] for members in member_ids]
    vectorizer, vectors, similarity = _vectorize(participants, options)
    return _result(
        groups, ids, participants, (), similarity, vectorizer, vectors, options, [], seed
    )


def _vectorize(
    participants: Sequence[Participant], options: GroupingOptions
) -> tuple[TextVectorizer, TextVectors, PoolSimilarity]:
    vectorizer = TextVectorizer(options.vectorizer)
    items = [(i, c) for i, p in enumerate(participants) for c in p.contributions]
    texts = [f"{c.theme}. {c.text}" if c.theme else c.text for _, c in items]
    vectors = vectorizer.fit_transform(texts)
    similarity = PoolSimilarity(
        vectors.matrix,
        owners=np.array([i for i, _ in items], dtype=np.int64),
        is_need=np.array([c.kind == "need" for _, c in items], dtype=bool),
        n_people=len(participants),
        kind_weights=options.kind_weights,
        latent_weight=options.latent_weight,
    )
    return vectorizer, vectors, similarity


def _fits(members: Sequence[int], options: GroupingOptions) -> bool:
    return options.min_size <= len(members) <= options.max_size


def _usable_anchors(
    anchors: Sequence[Anchor], index: dict[str, int], n_groups: int
) -> tuple[list[Anchor], list[Issue]]:
    issues = []
    usable = []
    for anchor in anchors:
        if anchor.participant_id is not None and anchor.participant_id not in index:
            issues.append(
                Issue("anchor_unknown_participant", (anchor.participant_id,), {"anchor": anchor.id})
            )
            anchor = Anchor(anchor.id, anchor.text)
        usable.append(anchor)
    if len(usable) > n_groups:
        dropped = usable[n_groups:]
        issues.append(
            Issue(
                "anchors_dropped",
                tuple(a.participant_id for a in dropped if a.participant_id),
                # Named by their text: a facilitator knows the needs, not their ids.
                {"anchors": "; ".join(_short(a.text) for a in dropped), "groups": n_groups},
            )
        )
        usable = usable[:n_groups]
    return usable, issues


def _short(text: str, limit: int = 60) -> str:
    """The first words of ``text``, within ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return f"“{text}”"
    return "“" + (text[:limit].rsplit(" ", 1)[0] or text[:limit]) + "…”"


def _constraints(
    participants: Sequence[Participant],
    index: dict[str, int],
    min_distinct: int,
    past_pairs: Iterable[PersonPair],
    avoid_pairs: Iterable[PersonPair],
    sizes: Sequence[int],
) -> tuple[Constraints, list[Issue]]:
    codes: dict[str, int] = {}
    types = np.array(
        [
            -1 if p.organisation_type is None else codes.setdefault(p.organisation_type, len(codes))
            for p in participants
        ],
        dtype=np.int64,
    )
    issues = []
    # With no types known at all, the caller did not ask for diversity: nothing to report.
    effective = min_distinct if min_distinct > 1 and codes else 0
    if effective and sizes and len(codes) < effective:
        issues.append(
            Issue("diversity_unavailable", (), {"required": min_distinct, "available": len(codes)})
        )
        effective = 0
    forbidden = set()
    for a, b in (*past_pairs, *avoid_pairs):
        if a in index and b in index and a != b:
            i, j = index[a], index[b]
            forbidden.add((min(i, j), max(i, j)))
    return Constraints(types=types, min_distinct=effective, forbidden=forbidden), issues


def _anchor_affinity(
    vectorizer: TextVectorizer, similarity: PoolSimilarity, anchors: Sequence[Anchor]
) -> sp.csr_matrix:
    """People x anchors: each person's best contribution cosine to the anchor's text."""
    anchor_vectors = vectorizer.transform([a.text for a in anchors]).matrix
    per_item = sp.coo_matrix(similarity.vectors @ anchor_vectors.T)
    best = np.zeros((similarity.n_people, len(anchors)), dtype=np.float32)
    np.maximum.at(best, (similarity.owners[per_item.row], per_item.col), per_item.data)
    return sp.csr_matrix(best)


def _violations(
    groups: Sequence[Sequence[int]], constraints: Constraints, ids: Sequence[str]
) -> list[Issue]:
    issues = []
    for g, members in enumerate(groups):
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if constraints.is_forbidden(a, b):
                    issues.append(Issue("pair_together", (ids[a], ids[b]), {"group": g + 1}))
        if constraints.min_distinct:
            found = len({int(constraints.types[m]) for m in members} - {-1})
            if found < constraints.min_distinct:
                issues.append(
                    Issue(
                        "diversity_unmet",
                        tuple(ids[m] for m in members),
                        {"group": g + 1, "required": constraints.min_distinct, "found": found},
                    )
                )
    return issues


def _result(
    groups: list[list[int]],
    ids: Sequence[str],
    participants: Sequence[Participant],
    anchors: Sequence[Anchor],
    similarity: PoolSimilarity,
    vectorizer: TextVectorizer,
    vectors: TextVectors,
    options: GroupingOptions,
    issues: list[Issue],
    seed: int,
) -> GroupingResult:
    per_group = cohesion(similarity, groups)
    terms: list[tuple[str, ...]] = [()] * len(groups)
    ties: dict[int, tuple[int, float]] = {}
    tied_terms: dict[int, tuple[str, ...]] = {}
    if options.explain and groups:
        words = vectors.words
        labels = vectorizer.term_labels
        terms = shared_terms(words, similarity.owners, groups, labels, similarity.n_people)
        ties = member_ties(similarity, groups)
        tied_terms = tie_terms(words, similarity.owners, groups, ties, labels, similarity.n_people)
    contributions = [c for p in participants for c in p.contributions]
    result_groups = []
    for g, members in enumerate(groups):
        member_tie = {}
        for m in members:
            if m in ties:
                item, score = ties[m]
                contribution = contributions[item]
                member_tie[ids[m]] = MemberTie(
                    contribution.id, contribution.text, round(score, 4), tied_terms.get(m, ())
                )
        result_groups.append(
            Group(
                member_ids=tuple(ids[m] for m in members),
                anchor_id=anchors[g].id if g < len(anchors) else None,
                cohesion=float(per_group[g]),
                key_terms=terms[g],
                ties=member_tie,
            )
        )
    sizes = [len(members) for members in groups]
    return GroupingResult(
        groups=tuple(result_groups),
        issues=tuple(issues),
        cohesion=mean_cohesion(per_group, groups),
        random_cohesion=random_baseline_cohesion(similarity, sizes, seed) if groups else 0.0,
    )


def pairs_of(groups: Collection[Group]) -> set[frozenset[str]]:
    """Every pair of people who share a group: the ``past_pairs`` of the next round."""
    return {
        frozenset((a, b))
        for group in groups
        for i, a in enumerate(group.member_ids)
        for b in group.member_ids[i + 1 :]
    }
