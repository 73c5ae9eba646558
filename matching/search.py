"""Group formation on indices: a greedy start, then swaps between groups.

Inputs are a sparse, symmetric people x people similarity graph (top-k links per person), the
group sizes, and the constraints. The objective is the total similarity of pairs that share a
group (plus each member's affinity to the group's anchor), while a group never gains a
constraint violation: a pair that must not meet, or too few organisation types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from matching.arrays import members_by_group, run_starts

_EPSILON = 1e-7


@dataclass
class Constraints:
    # Organisation type of each person as an integer code, -1 when unknown.
    types: np.ndarray
    # Distinct types each group needs; 0 when the pool cannot offer them.
    min_distinct: int = 0
    forbidden: set[tuple[int, int]] = field(default_factory=set)
    # Person -> group they must stay in (the author of an anchor need).
    pinned: dict[int, int] = field(default_factory=dict)

    def is_forbidden(self, a: int, b: int) -> bool:
        return bool(self.forbidden) and (min(a, b), max(a, b)) in self.forbidden

    def penalty(self, members: Iterable[int]) -> int:
        """Violations of a group: forbidden pairs weigh more than a missing type."""
        members = list(members)
        pairs = (
            sum(self.is_forbidden(a, b) for i, a in enumerate(members) for b in members[i + 1 :])
            if self.forbidden
            else 0
        )
        if self.min_distinct:
            distinct = len({int(self.types[m]) for m in members} - {-1})
            missing = max(0, self.min_distinct - distinct)
        else:
            missing = 0
        return 10 * pairs + missing


class _Links:
    """Row access to the graph as Python lists, for the parts that loop per person."""

    def __init__(self, graph: sp.csr_matrix) -> None:
        self._indptr = graph.indptr
        self._indices = graph.indices
        self._data = graph.data

    def row(self, person: int) -> tuple[np.ndarray, np.ndarray]:
        start, stop = self._indptr[person], self._indptr[person + 1]
        return self._indices[start:stop], self._data[start:stop]

    def to_group(self, person: int, members: Iterable[int]) -> float:
        indices, data = self.row(person)
        if not len(indices):
            return 0.0
        wanted = np.fromiter(members, dtype=np.int64)
        return float(data[np.isin(indices, wanted)].sum())


# Swap rounds stop once a round adds less than this share to the total within-group similarity.
_MIN_ROUND_GAIN = 1e-3


def construct(
    graph: sp.csr_matrix,
    sizes: list[int],
    constraints: Constraints,
    affinity: sp.csr_matrix | None,
    rng: np.random.Generator,
) -> np.ndarray:
    """Greedy start: groups grow from the best-connected free person, one best link at a time."""
    n = graph.shape[0]
    links = _Links(graph)
    # Python lists, not arrays: this loop reads one person at a time, and a list item is read
    # several times faster than an array element.
    assign = [-1] * n
    types: list[int] = constraints.types.tolist()
    groups: list[list[int]] = [[] for _ in sizes]
    for pinned, group in constraints.pinned.items():
        assign[pinned] = group
        groups[group].append(pinned)
    # People with strong links start groups first; the shuffle breaks ties by the seed only.
    shuffled = rng.permutation(n)
    strength = np.asarray(graph.sum(axis=1)).ravel()[shuffled]
    order: list[int] = shuffled[np.argsort(-strength, kind="stable")].tolist()
    rank = [0] * n
    for position, strong in enumerate(order):
        rank[strong] = position
    by_type: dict[int, list[int]] = {}
    for weak in reversed(order):
        by_type.setdefault(types[weak], []).append(weak)
    cursor = 0
    anchored = affinity.shape[1] if affinity is not None else 0
    anchor_columns = sp.csc_matrix(affinity) if affinity is not None else None

    def first_free(members: list[int]) -> int | None:
        """The next free person in order, preferring one whom no member must avoid."""
        nonlocal cursor
        while cursor < n and assign[order[cursor]] >= 0:
            cursor += 1
        if cursor == n:
            return None
        for candidate in order[cursor : cursor + 200]:
            if assign[candidate] < 0 and not _avoids(constraints, candidate, members):
                return candidate
        return order[cursor]

    for g in sorted(range(len(sizes)), key=lambda g: (g >= anchored, -sizes[g])):
        members = groups[g]
        scores: dict[int, float] = {}
        if anchor_columns is not None and g < anchored:
            column = anchor_columns[:, g]
            for anchor_fan, value in zip(column.indices.tolist(), column.data, strict=True):
                scores[anchor_fan] = scores.get(anchor_fan, 0.0) + float(value)
        for member in members:
            _add_links(scores, links, member)
        while len(members) < sizes[g]:
            present = _needs_new_type(members, sizes[g], constraints, types)
            person: int | None = _best_candidate(
                scores, members, present, constraints, assign, rank, types
            )
            if person is None and present is not None:
                person = _free_with_new_type(members, present, constraints, by_type, assign)
            if person is None:
                person = first_free(members)
            if person is None:
                break
            assign[person] = g
            members.append(person)
            scores.pop(person, None)
            _add_links(scores, links, person)
    return np.array(assign, dtype=np.int64)


def _add_links(scores: dict[int, float], links: _Links, person: int) -> None:
    indices, data = links.row(person)
    get = scores.get
    for other, value in zip(indices.tolist(), data.tolist(), strict=True):
        scores[other] = get(other, 0.0) + value


def _avoids(constraints: Constraints, person: int, members: list[int]) -> bool:
    """Whether ``person`` must not meet one of ``members``."""
    return bool(constraints.forbidden) and any(constraints.is_forbidden(person, m) for m in members)


def _needs_new_type(
    members: list[int], size: int, constraints: Constraints, types: list[int]
) -> set[int] | None:
    """The types already present when the remaining seats must bring new types, else None."""
    if not constraints.min_distinct:
        return None
    present = {types[m] for m in members} - {-1}
    missing = constraints.min_distinct - len(present)
    return present if missing > 0 and missing >= size - len(members) else None


def _best_candidate(
    scores: dict[int, float],
    members: list[int],
    present: set[int] | None,
    constraints: Constraints,
    assign: list[int],
    rank: list[int],
    types: list[int],
) -> int | None:
    """The free person most linked to the members (ties: the earlier in order) whom the
    constraints allow; people already placed elsewhere are dropped from ``scores``."""
    excluded = None if present is None else present | {-1}
    check_pairs = bool(constraints.forbidden)
    best, best_score, best_rank = None, 0.0, 0
    placed = []
    for person, score in scores.items():
        if assign[person] >= 0:
            placed.append(person)
            continue
        if excluded is not None and types[person] in excluded:
            continue
        if check_pairs and _avoids(constraints, person, members):
            continue
        if best is None or score > best_score or (score == best_score and rank[person] < best_rank):
            best, best_score, best_rank = person, score, rank[person]
    for person in placed:
        del scores[person]
    return best


def _free_with_new_type(
    members: list[int],
    present: set[int],
    constraints: Constraints,
    by_type: dict[int, list[int]],
    assign: list[int],
) -> int | None:
    for type_code, stack in by_type.items():
        if type_code in present or type_code == -1:
            continue
        while stack and assign[stack[-1]] >= 0:
            stack.pop()
        for person in reversed(stack[-50:]):
            if not _avoids(constraints, person, members):
                return person
    return None


def improve(
    graph: sp.csr_matrix,
    assign: np.ndarray,
    constraints: Constraints,
    affinity: sp.csr_matrix | None,
    max_rounds: int,
) -> np.ndarray:
    """Swap pairs of people between groups while the total similarity grows.

    Each round scores, for every ordered pair of groups linked by the graph, the best swap (the
    person of one group most drawn to the other, against the partner most drawn back or least
    held), then applies the best non-overlapping swaps at once. Everything per round is sparse
    and vectorized; only the accepted swaps are checked one by one against the constraints.
    """
    assign = assign.copy()
    n = len(assign)
    n_groups = int(assign.max()) + 1 if n else 0
    if n_groups < 2:
        return assign
    members = members_by_group(assign, n_groups)
    movable = np.ones(n, dtype=bool)
    movable[list(constraints.pinned)] = False
    graph = sp.csr_matrix(graph)
    total_before = None
    for _ in range(max_rounds):
        membership = sp.csr_matrix(
            (np.ones(n, dtype=np.float32), (np.arange(n), assign)), shape=(n, n_groups)
        )
        pull = sp.csr_matrix(graph @ membership)
        if affinity is not None:
            pull = sp.csr_matrix(pull + _pad_columns(affinity, n_groups))
        own = np.asarray(pull.multiply(membership).sum(axis=1)).ravel()
        total = float(own.sum())
        if total_before is not None and total - total_before <= _MIN_ROUND_GAIN * abs(total_before):
            break
        total_before = total
        swaps = _candidate_swaps(pull, own, assign, movable, graph, n_groups)
        if not _apply_swaps(swaps, assign, members, constraints):
            break
    return assign


def _pad_columns(matrix: sp.csr_matrix, width: int) -> sp.csr_matrix:
    matrix = sp.csr_matrix(matrix)
    matrix.resize((matrix.shape[0], width))
    return matrix


def _best_per_key(key: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each distinct key, the position of its largest value; returns (keys, positions)."""
    order = np.lexsort((-value, key))
    first = run_starts(key[order])
    return key[order][first], order[first]


def _candidate_swaps(
    pull: sp.csr_matrix,
    own: np.ndarray,
    assign: np.ndarray,
    movable: np.ndarray,
    graph: sp.csr_matrix,
    n_groups: int,
) -> list[tuple[float, int, int]]:
    coo = pull.tocoo()
    person = coo.row.astype(np.int64)
    target = coo.col.astype(np.int64)
    source = assign[person]
    keep = (target != source) & movable[person]
    person, target, source = person[keep], target[keep], source[keep]
    gain = coo.data[keep] - own[person]
    if not len(person):
        return []
    key = source * n_groups + target
    # Best leaver of each group pair, among people who would gain by leaving.
    positive = gain > _EPSILON
    if not positive.any():
        return []
    fwd_keys, fwd_pos = _best_per_key(key[positive], gain[positive])
    fwd_pos = np.flatnonzero(positive)[fwd_pos]
    # Best partner back: the member most drawn to the other group, or the least held one.
    any_keys, any_pos = _best_per_key(key, gain)
    held = np.where(movable, own, np.inf)
    weakest = np.full(n_groups, -1, dtype=np.int64)
    weakest_own = np.full(n_groups, np.inf)
    order = np.lexsort((held, assign))
    first = run_starts(assign[order])
    weakest[assign[order][first]] = order[first]
    weakest_own[assign[order][first]] = held[order][first]

    leaver = person[fwd_pos]
    a, b = source[fwd_pos], target[fwd_pos]
    partner = weakest[b]
    partner_gain = -weakest_own[b]
    reverse = b * n_groups + a
    found = np.searchsorted(any_keys, reverse)
    found = np.minimum(found, len(any_keys) - 1)
    linked = any_keys[found] == reverse
    linked_gain = np.where(linked, gain[any_pos[found]], -np.inf)
    better = linked_gain > partner_gain
    partner = np.where(better, person[any_pos[found]], partner)
    partner_gain = np.where(better, linked_gain, partner_gain)
    valid = (partner >= 0) & np.isfinite(partner_gain)
    leaver, partner = leaver[valid], partner[valid]
    between = np.asarray(graph[leaver, partner]).ravel() if len(leaver) else np.zeros(0)
    delta = gain[fwd_pos][valid] + partner_gain[valid] - 2 * between
    improving = delta > _EPSILON
    ranked = np.argsort(-delta[improving], kind="stable")
    return list(
        zip(
            delta[improving][ranked].tolist(),
            leaver[improving][ranked].tolist(),
            partner[improving][ranked].tolist(),
            strict=True,
        )
    )


def _apply_swaps(
    swaps: list[tuple[float, int, int]],
    assign: np.ndarray,
    members: list[list[int]],
    constraints: Constraints,
) -> int:
    touched: set[int] = set()
    applied = 0
    for _, leaver, partner in swaps:
        a, b = int(assign[leaver]), int(assign[partner])
        if a in touched or b in touched:
            continue
        new_a = [m for m in members[a] if m != leaver] + [partner]
        new_b = [m for m in members[b] if m != partner] + [leaver]
        before = constraints.penalty(members[a]) + constraints.penalty(members[b])
        if constraints.penalty(new_a) + constraints.penalty(new_b) > before:
            continue
        members[a], members[b] = new_a, new_b
        assign[leaver], assign[partner] = b, a
        touched.update((a, b))
        applied += 1
    return applied


def repair(
    graph: sp.csr_matrix,
    assign: np.ndarray,
    constraints: Constraints,
    rng: np.random.Generator,
    candidates: int = 400,
) -> np.ndarray:
    """Swap members out of groups that still break a constraint, losing as little as possible."""
    assign = assign.copy()
    n = len(assign)
    if not n:
        return assign
    links = _Links(graph)
    members = members_by_group(assign, int(assign.max()) + 1)
    for g in range(len(members)):
        if not constraints.penalty(members[g]):
            continue
        pool = rng.permutation(n)[:candidates].tolist()
        best: tuple[tuple[int, float], int, int] | None = None
        for leaver in members[g]:
            if leaver in constraints.pinned:
                continue
            for partner in pool:
                h = int(assign[partner])
                if h == g or partner in constraints.pinned:
                    continue
                new_g = [m for m in members[g] if m != leaver] + [partner]
                new_h = [m for m in members[h] if m != partner] + [leaver]
                fixed = (
                    constraints.penalty(members[g])
                    + constraints.penalty(members[h])
                    - constraints.penalty(new_g)
                    - constraints.penalty(new_h)
                )
                if fixed <= 0:
                    continue
                change = (
                    links.to_group(partner, new_g[:-1])
                    + links.to_group(leaver, new_h[:-1])
                    - links.to_group(leaver, new_g[:-1])
                    - links.to_group(partner, new_h[:-1])
                )
                key = (fixed, change)
                if best is None or key > best[0]:
                    best = (key, leaver, partner)
        if best is not None:
            _, leaver, partner = best
            h = int(assign[partner])
            members[g] = [m for m in members[g] if m != leaver] + [partner]
            members[h] = [m for m in members[h] if m != partner] + [leaver]
            assign[leaver], assign[partner] = h, g
    return assign
