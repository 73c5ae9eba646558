"""Similarity between people, from the similarity of what they wrote.

A person may write several ideas and needs. Two people are as similar as their closest pair of
contributions, and a need meeting an idea counts fully while two contributions of the same kind
count a little less: the point of a think tank is that a need finds the ideas that answer it.
Only the top-k neighbours of each contribution are kept (a sparse graph), so memory grows with
n * k, not n squared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matching.arrays import run_starts

# Rows of the dense block of a product kept in memory at once: about 64 MB of float32.
_BLOCK_CELLS = 16_000_000
_PAIR_CHUNK = 20_000
# Candidate pairs per text the neighbour search may afford (see _search_columns).
_PAIRS_PER_TEXT = 3_000
# Neighbour candidates weaker than this share of a row's best match are not kept.
_KEEP_FRACTION_OF_BEST = 0.2


@dataclass(frozen=True)
class KindWeights:
    """Multipliers of a contribution pair's cosine by the kinds that meet."""

    need_idea: float = 1.0
    same_kind: float = 0.85


class PoolSimilarity:
    """Contribution vectors of a pool and who wrote them, with person-level similarity."""

    def __init__(
        self,
        vectors: sp.csr_matrix,
        owners: np.ndarray,
        is_need: np.ndarray,
        n_people: int,
        kind_weights: KindWeights | None = None,
    ) -> None:
        self.vectors = sp.csr_matrix(vectors, dtype=np.float32)
        self.owners = np.asarray(owners, dtype=np.int64)
        self.is_need = np.asarray(is_need, dtype=bool)
        self.n_people = n_people
        self.kind_weights = kind_weights or KindWeights()
        self._order = np.argsort(self.owners, kind="stable")
        self._counts = np.bincount(self.owners, minlength=n_people)
        self._starts = np.concatenate([[0], np.cumsum(self._counts)[:-1]])

    def _kind_factor(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        weights = self.kind_weights
        same = self.is_need[a] == self.is_need[b]
        return np.where(same, weights.same_kind, weights.need_idea).astype(np.float32)

    def contribution_scores(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Weighted cosine of contribution pairs (a[i], b[i])."""
        scores = np.empty(len(a), dtype=np.float32)
        for start in range(0, len(a), _PAIR_CHUNK):
            stop = start + _PAIR_CHUNK
            rows = self.vectors[a[start:stop]].multiply(self.vectors[b[start:stop]])
            scores[start:stop] = np.asarray(rows.sum(axis=1)).ravel()
        return scores * self._kind_factor(a, b)

    def expand_pairs(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
        """All contribution pairs of person pairs: (pair index, contribution of a, of b)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        per_pair = self._counts[a] * self._counts[b]
        pair = np.repeat(np.arange(len(a)), per_pair)
        offset = np.arange(per_pair.sum()) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
        width = self._counts[b][pair]
        ca = self._order[self._starts[a][pair] + offset // width]
        cb = self._order[self._starts[b][pair] + offset % width]
        return pair, ca, cb

    def person_scores(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Similarity of person pairs (a[i], b[i]): the best of their contribution pairs."""
        pair, ca, cb = self.expand_pairs(a, b)
        best = np.zeros(len(a), dtype=np.float32)
        np.maximum.at(best, pair, self.contribution_scores(ca, cb))
        return best

    def neighbour_graph(self, k: int) -> sp.csr_matrix:
        """Symmetric people x people matrix holding each person's k strongest links."""
        n_items = self.vectors.shape[0]
        if n_items == 0 or self.n_people < 2:
            return sp.csr_matrix((self.n_people, self.n_people), dtype=np.float32)
        search = _search_columns(self.vectors)
        transposed = sp.csr_matrix(search.T)
        block = max(1, min(n_items, _BLOCK_CELLS // max(n_items, 1)))
        rows, cols, vals = [], [], []
        for start in range(0, n_items, block):
            stop = min(n_items, start + block)
            product = sp.csr_matrix(search[start:stop] @ transposed)
            r, c, v = _top_k_per_row(product, self.owners, start, k)
            rows.append(r)
            cols.append(c)
            vals.append(v * self._kind_factor(r, c))
        row = self.owners[np.concatenate(rows)]
        col = self.owners[np.concatenate(cols)]
        graph = _max_aggregate(row, col, np.concatenate(vals), self.n_people)
        return sp.csr_matrix(graph.maximum(graph.T))


def _search_columns(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The columns worth searching neighbours on, within a work budget linear in the pool.

    A column used by one text adds nothing to a dot product between two texts. A column used
    by d texts costs d * d multiply-adds, so the commonest columns (lowest IDF, least telling)
    are left out of the search until the work fits ``_PAIRS_PER_TEXT`` per text; vectors and
    scores elsewhere keep every column.
    """
    used = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)
    order = np.argsort(used, kind="stable")
    work = np.cumsum(used[order] ** 2)
    affordable = order[work <= _PAIRS_PER_TEXT * matrix.shape[0]]
    return sp.csr_matrix(matrix[:, np.sort(affordable[used[affordable] > 1])])


def _top_k_per_row(
    product: sp.csr_matrix, owners: np.ndarray, offset: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k largest entries of each row whose column belongs to another person.

    Entries below a fraction of their row's largest are dropped before sorting: on large pools
    a row holds thousands of faint matches (one shared common word) that no group would use,
    and sorting them all was most of the search time.
    """
    lengths = np.diff(product.indptr)
    row = np.repeat(np.arange(product.shape[0], dtype=np.int64), lengths) + offset
    col = product.indices.astype(np.int64)
    val = product.data
    keep = (owners[row] != owners[col]) & (val > 0)
    row, col, val = row[keep], col[keep], val[keep]
    if not len(row):
        return row, col, val
    # Rows stay in CSR order, so each row's entries are one contiguous run.
    starts = np.flatnonzero(run_starts(row))
    row_max = np.maximum.reduceat(val, starts)
    strong = val >= _KEEP_FRACTION_OF_BEST * np.repeat(row_max, np.diff([*starts, len(val)]))
    row, col, val = row[strong], col[strong], val[strong]
    order = np.lexsort((-val, row))
    row, col, val = row[order], col[order], val[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row, side="left")
    top = rank < k
    return row[top], col[top], val[top]


def _max_aggregate(row: np.ndarray, col: np.ndarray, val: np.ndarray, n: int) -> sp.csr_matrix:
    """A sparse matrix keeping, for repeated (row, col), the largest value."""
    keep = row != col
    row, col, val = row[keep], col[keep], val[keep]
    key = row * n + col
    order = np.lexsort((-val, key))
    key, val = key[order], val[order]
    unique = run_starts(key)
    key, val = key[unique], val[unique]
    return sp.csr_matrix((val, (key // n, key % n)), shape=(n, n), dtype=np.float32)
