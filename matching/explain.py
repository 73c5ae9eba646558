"""Why a group belongs together: shared key terms, each member's tie, and cohesion figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matching.arrays import run_starts
from matching.similarity import PoolSimilarity
from matching.stopwords import GENERIC_TERMS


@dataclass(frozen=True)
class GroupPairs:
    """Every pair of members of every group, as index arrays."""

    group: np.ndarray
    a: np.ndarray
    b: np.ndarray


def group_pairs(groups: Sequence[Sequence[int]]) -> GroupPairs:
    """Pairs ordered by group, then by the members' positions in it (first, second)."""
    by_size: dict[int, list[int]] = {}
    for g, members in enumerate(groups):
        by_size.setdefault(len(members), []).append(g)
    parts = []
    for size, numbers in by_size.items():
        if size < 2:
            continue
        first, second = np.triu_indices(size, k=1)
        table = np.array([groups[g] for g in numbers], dtype=np.int64).reshape(len(numbers), size)
        parts.append(
            (np.repeat(numbers, len(first)), table[:, first].ravel(), table[:, second].ravel())
        )
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return GroupPairs(empty, empty, empty)
    group, a, b = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.argsort(group, kind="stable")
    return GroupPairs(group[order].astype(np.int64), a[order], b[order])


def cohesion(similarity: PoolSimilarity, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Mean similarity of the pairs in each group (0 for a group of one)."""
    pairs = group_pairs(groups)
    scores = similarity.person_scores(pairs.a, pairs.b)
    totals = np.bincount(pairs.group, scores, minlength=len(groups))
    counts = np.bincount(pairs.group, minlength=len(groups))
    return np.divide(totals, counts, out=np.zeros(len(groups)), where=counts > 0)


def mean_cohesion(values: np.ndarray, groups: Sequence[Sequence[int]]) -> float:
    sizes = np.array([len(members) for members in groups])
    return float(values[sizes > 1].mean()) if (sizes > 1).any() else 0.0


# Pairs scored to estimate the random baseline on large pools (standard error ~ 0.7 % of the
# spread of pair similarities); smaller pools are scored pair by pair.
_BASELINE_PAIRS = 20_000


def random_baseline_cohesion(
    similarity: PoolSimilarity, sizes: Sequence[int], seed: int = 0
) -> float:
    """Expected cohesion of a random grouping: what matching is measured against.

    Every pair of people is equally likely to share a random group, so the expectation is the
    mean similarity over all pairs: exact for small pools, from a sample of pairs on large
    ones. (One random grouping would do as a draw, but a small pool's draw can by chance be
    as good as the matching, and the preview would then call a clear grouping weak.)
    """
    n = similarity.n_people
    if n < 2 or not any(size > 1 for size in sizes):
        return 0.0
    if n * (n - 1) // 2 <= _BASELINE_PAIRS:
        a, b = np.triu_indices(n, k=1)
    else:
        rng = np.random.default_rng(seed)
        a = rng.integers(0, n, size=_BASELINE_PAIRS)
        b = (a + rng.integers(1, n, size=_BASELINE_PAIRS)) % n
    return float(similarity.person_scores(a.astype(np.int64), b.astype(np.int64)).mean())


def member_ties(
    similarity: PoolSimilarity, groups: Sequence[Sequence[int]]
) -> dict[int, tuple[int, float]]:
    """For each person in a group of two or more: (contribution index, mean score to the others).

    The tie is the person's contribution with the highest total similarity to the contributions
    of the other members.
    """
    pairs = group_pairs(groups)
    _, ca, cb = similarity.expand_pairs(pairs.a, pairs.b)
    scores = similarity.contribution_scores(ca, cb)
    n_items = similarity.vectors.shape[0]
    totals = np.bincount(ca, scores, minlength=n_items) + np.bincount(cb, scores, minlength=n_items)
    owners = similarity.owners
    order = np.lexsort((-totals, owners))
    first = run_starts(owners[order])
    best = order[first] if len(order) else order
    others = np.zeros(similarity.n_people)
    for members in groups:
        others[list(members)] = len(members) - 1
    ties = {}
    for item in best.tolist():
        person = int(owners[item])
        if others[person] > 0:
            ties[person] = (item, float(totals[item] / others[person]))
    return ties


def _person_terms(words: sp.csr_matrix, owners: np.ndarray, n_people: int) -> sp.csr_matrix:
    """People x terms: the summed TF-IDF weights of each person's contributions."""
    n_items = words.shape[0]
    by_person = sp.csr_matrix(
        (np.ones(n_items, dtype=np.float32), (owners, np.arange(n_items))),
        shape=(n_people, n_items),
    )
    return sp.csr_matrix(by_person @ words)


def _membership(groups: Sequence[Sequence[int]], n_people: int) -> sp.csr_matrix:
    rows = [m for members in groups for m in members]
    cols = [g for g, members in enumerate(groups) for _ in members]
    return sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (cols, rows)), shape=(len(groups), n_people)
    )


def _ranked_labels(
    matrix: sp.csr_matrix, labels: Sequence[str], limit: int
) -> list[tuple[str, ...]]:
    """Per row, the labels of its first ``limit`` columns by falling weight (ties: lower
    column first), generic words left out."""
    coo = matrix.tocoo()
    columns = np.unique(coo.col)
    generic = np.zeros(len(labels), dtype=bool)
    generic[columns] = [labels[c].casefold() in GENERIC_TERMS for c in columns.tolist()]
    keep = ~generic[coo.col]
    row, col, weight = coo.row[keep], coo.col[keep], coo.data[keep]
    order = np.lexsort((col, -weight, row))
    row, col = row[order], col[order]
    top = np.arange(len(row)) - np.searchsorted(row, row, side="left") < limit
    ranked: list[list[str]] = [[] for _ in range(matrix.shape[0])]
    for r, c in zip(row[top].tolist(), col[top].tolist(), strict=True):
        ranked[r].append(labels[c])
    return [tuple(found) for found in ranked]


def tie_terms(
    words: sp.csr_matrix,
    owners: np.ndarray,
    groups: Sequence[Sequence[int]],
    ties: dict[int, tuple[int, float]],
    labels: Sequence[str],
    n_people: int,
    limit: int = 3,
) -> dict[int, tuple[str, ...]]:
    """For each tied person, the terms of their tie contribution that another member used."""
    if not ties:
        return {}
    people = np.fromiter(ties, dtype=np.int64)
    items = np.fromiter((ties[p][0] for p in people), dtype=np.int64)
    group_of = np.full(n_people, -1, dtype=np.int64)
    for g, members in enumerate(groups):
        group_of[list(members)] = g
    used = (_person_terms(words, owners, n_people) > 0).astype(np.float32)
    users = sp.csr_matrix(_membership(groups, n_people) @ used)
    # The person is one user of each of their own terms: a shared term has at least two.
    shared = sp.csr_matrix(words[items].multiply(users[group_of[people]] >= 2))
    ranked = _ranked_labels(shared, labels, limit)
    return dict(zip(people.tolist(), ranked, strict=True))


def shared_terms(
    words: sp.csr_matrix,
    owners: np.ndarray,
    groups: Sequence[Sequence[int]],
    labels: Sequence[str],
    n_people: int,
    limit: int = 5,
) -> list[tuple[str, ...]]:
    """Per group, the terms that at least two members used, heaviest TF-IDF weight first."""
    person_terms = _person_terms(words, owners, n_people)
    membership = _membership(groups, n_people)
    weight = sp.csr_matrix(membership @ person_terms)
    users = sp.csr_matrix(membership @ (person_terms > 0).astype(np.float32))
    shared = sp.csr_matrix(weight.multiply(users >= 2))
    return _ranked_labels(shared, labels, limit)
