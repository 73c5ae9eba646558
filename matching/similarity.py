"""Similarity between people, from the similarity of what they wrote.

A person may write several ideas and needs. Two people are as similar as their closest pair of
contributions, and a need meeting an idea counts fully while two contributions of the same kind
count a little less: the point of a think tank is that a need finds the ideas that answer it.
Only the top-k neighbours of each contribution are kept (a sparse graph), so memory grows with
n * k, not n squared. The top-k is exact: every column and every faint link takes part.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sparse_dot_topn import sp_matmul, sp_matmul_topn

from matching.arrays import run_starts
from matching.latent import latent_topics

_PAIR_CHUNK = 20_000
# Pools up to this many contributions get the latent blend (a dense n x n float32: 100 MB).
LATENT_MAX_TEXTS = 5_000
_DENSE_BLOCK = 1024
# Columns in more than one text in this many go through a dense product (see _all_cosines).
_DENSE_COLUMN_SHARE = 16
# The exact top-k product runs on this many threads at most (the machine may be shared).
_SEARCH_THREADS = min(4, os.cpu_count() or 1)
# What a hub-corrected link weaker than both texts' typical neighbour still weighs: enough to
# break ties between otherwise unrelated people, never enough to outweigh a real link.
_TOKEN_WEIGHT = 1e-4


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
        latent_weight: float = 0.0,
    ) -> None:
        self.vectors = sp.csr_matrix(vectors, dtype=np.float32)
        # With a latent weight w, a cosine is (1 - w) lexical + w latent (matching.latent). That
        # needs every lexical cosine of the pool (dense n x n), so only pools up to
        # LATENT_MAX_TEXTS get it, and they keep the blended cosine of every pair: the search
        # over them stays exact.
        self._blended: np.ndarray | None = None
        self.latent: np.ndarray | None = None
        self.latent_weight = 0.0
        if latent_weight > 0 and self.vectors.shape[0] <= LATENT_MAX_TEXTS:
            cosines = _all_cosines(self.vectors)
            self.latent = latent_topics(cosines)
            if self.latent is not None:
                self.latent_weight = float(latent_weight)
                self._blended = _blend(cosines, self.latent, self.latent_weight)
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
        return self._cosines(a, b) * self._kind_factor(a, b)

    def _cosines(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Cosine of contribution pairs: lexical, blended with latent when the pool has it."""
        if self._blended is not None:
            return self._blended[a, b]
        scores = np.empty(len(a), dtype=np.float32)
        for start in range(0, len(a), _PAIR_CHUNK):
            stop = start + _PAIR_CHUNK
            rows = self.vectors[a[start:stop]].multiply(self.vectors[b[start:stop]])
            scores[start:stop] = np.asarray(rows.sum(axis=1)).ravel()
        return scores

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

    def neighbour_graph(self, k: int, hub_correction: bool = True) -> sp.csr_matrix:
        """Symmetric people x people matrix holding each person's k strongest links (exact).

        With ``hub_correction``, a link weighs its cosine less the mean of the two texts'
        typical neighbour similarity (CSLS, Conneau et al. 2018): a long or generic text is
        fairly similar to everyone (a hub), and its links count for what they exceed that by.
        A link weaker than both texts' typical neighbour keeps only a token weight.
        """
        n_items = self.vectors.shape[0]
        if n_items == 0 or self.n_people < 2 or k <= 0:
            return sp.csr_matrix((self.n_people, self.n_people), dtype=np.float32)
        row, col, val = self.top_k_contributions(k)
        if hub_correction and len(row):
            typical = np.bincount(row, val, minlength=n_items) / np.maximum(
                np.bincount(row, minlength=n_items), 1
            )
            corrected = val - 0.5 * (typical[row] + typical[col])
            val = np.maximum(corrected, _TOKEN_WEIGHT).astype(np.float32)
        graph = _max_aggregate(self.owners[row], self.owners[col], val, self.n_people)
        return sp.csr_matrix(graph.maximum(graph.T))

    def top_k_contributions(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each contribution, its k best matches by other people: (row, column, score).

        Scores are kind-weighted cosines, and the weight is constant for a row within one kind
        of column. So the exact answer is found by one top-n product per kind of column, each
        asking for k plus the most contributions one person has (those of the row's own author
        are dropped afterwards), then merging the two.
        """
        spare = int(self._counts.max()) if len(self._counts) else 0
        rows, cols, vals = [], [], []
        for need_side in (False, True):
            columns = np.flatnonzero(self.is_need == need_side)
            if not len(columns):
                continue
            top_n = min(len(columns), k + spare)
            top = self._lexical_top if self._blended is None else self._blended_top
            row, col, val = top(columns, top_n)
            val = val.astype(np.float32) * self._kind_factor(row, col)
            rows.append(row)
            cols.append(col)
            vals.append(val)
        row, col, val = (np.concatenate(parts) for parts in (rows, cols, vals))
        keep = (self.owners[row] != self.owners[col]) & (val > 0)
        return _top_k_per_row(row[keep], col[keep], val[keep], k)

    def _lexical_top(self, columns: np.ndarray, top_n: int) -> tuple[np.ndarray, ...]:
        """Each contribution's ``top_n`` best lexical cosines among ``columns``: row, col, cos."""
        product = sp_matmul_topn(
            self.vectors,
            sp.csr_matrix(self.vectors[columns].T),
            top_n=top_n,
            n_threads=_SEARCH_THREADS,
        ).tocoo()
        return product.row.astype(np.int64), columns[product.col], product.data

    def _blended_top(self, columns: np.ndarray, top_n: int) -> tuple[np.ndarray, ...]:
        """Each contribution's exact ``top_n`` by blended cosine among ``columns``, densely."""
        assert self._blended is not None
        every_column = len(columns) == self._blended.shape[1]
        rows, cols, vals = [], [], []
        for start in range(0, len(self._blended), _DENSE_BLOCK):
            block = self._blended[start : start + _DENSE_BLOCK]
            scores = block if every_column else block[:, columns]
            best = _top_of_scores(scores, top_n)
            rows.append(np.repeat(np.arange(start, start + len(scores)), best.shape[1]))
            cols.append(columns[best.ravel()])
            vals.append(np.take_along_axis(scores, best, axis=1).ravel())
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _all_cosines(vectors: sp.csr_matrix) -> np.ndarray:
    """Every pair's lexical cosine, dense (float32), computed a block of rows at a time.

    A column shared by many texts (a common n-gram) costs its number of texts squared in a
    sparse product and n x n in a dense one, which does each entry ~250x faster (BLAS): so the
    columns of more than one text in ``_DENSE_COLUMN_SHARE`` go through a dense product, the
    rest through the sparse one. At 5,000 texts with n-grams: 1.2 CPU seconds against 2.3 for
    all-sparse.
    """
    n_items = vectors.shape[0]
    cosines = np.zeros((n_items, n_items), dtype=np.float32)
    if not n_items:
        return cosines
    by_column = vectors.tocsc()
    common = np.diff(by_column.indptr) * _DENSE_COLUMN_SHARE > n_items
    dense = by_column[:, np.flatnonzero(common)].toarray()
    rare = sp.csr_matrix(by_column[:, np.flatnonzero(~common)])
    rare_columns = sp.csr_matrix(rare.T)
    for start in range(0, n_items, _DENSE_BLOCK):
        stop = min(start + _DENSE_BLOCK, n_items)
        block = sp_matmul(rare[start:stop], rare_columns, n_threads=_SEARCH_THREADS)
        cosines[start:stop] = block.toarray()
        cosines[start:stop] += dense[start:stop] @ dense.T
    return cosines


def _blend(cosines: np.ndarray, latent: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) lexical + weight latent cosine of every pair, in place of ``cosines``."""
    for start in range(0, len(cosines), _DENSE_BLOCK):
        block = cosines[start : start + _DENSE_BLOCK]
        block *= np.float32(1.0 - weight)
        block += np.float32(weight) * (latent[start : start + _DENSE_BLOCK] @ latent.T)
    return cosines


def _top_of_scores(scores: np.ndarray, top_n: int) -> np.ndarray:
    """Column positions of each row's ``top_n`` largest scores (in any order)."""
    if top_n < scores.shape[1]:
        # Partitioning at the n - top_n smallest is 2.5x faster than negating the scores.
        return np.argpartition(scores, scores.shape[1] - top_n, axis=1)[:, -top_n:]
    return np.broadcast_to(np.arange(scores.shape[1]), scores.shape)


def _top_k_per_row(
    row: np.ndarray, col: np.ndarray, val: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k largest entries of each row (ties: lower column first)."""
    order = np.lexsort((col, -val, row))
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
