"""TF-IDF vectors for a pool of texts: words (optionally lemmatized) and character n-grams.

Character n-grams (``matching.ngrams``) are counted once per distinct word and spread to texts
by a sparse product (texts x words @ words x n-grams), which keeps them cheap on large pools;
sklearn's ``char_wb`` analyzer would slice every occurrence of every word in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from matching import ngrams
from matching.analyze import (
    Normalizer,
    PoolAnalysis,
    analyze_pool,
    lemmatizer,
    snowball_stemmer,
)
from matching.arrays import counts

NormalizerName = Literal["none", "lemma", "snowball"]


@dataclass(frozen=True)
class VectorizerConfig:
    """How texts become vectors; the default was chosen by ``benchmarks/matching_quality.py``."""

    normalizer: NormalizerName = "snowball"
    stop_words: bool = True
    char_ngrams: tuple[int, int] | None = (3, 5)
    # Share of a similarity that comes from character n-grams (0: words only, 1: n-grams only).
    char_weight: float = 0.6
    # Character n-grams make vectors ~50x denser: on pools larger than this they would cost
    # most of the time and memory budget (benchmarks/README.md), so stems are used alone.
    char_ngrams_max_texts: int = 5_000


@dataclass(frozen=True)
class TextVectors:
    """Vectors of texts: ``matrix`` (rows L2-normalized) for similarity, ``words`` for terms."""

    matrix: sp.csr_matrix
    words: sp.csr_matrix
    languages: tuple[str, ...]


def _normalizer(name: NormalizerName) -> Normalizer | None:
    if name == "lemma":
        return lemmatizer()
    if name == "snowball":
        return snowball_stemmer()
    return None


class SublinearTfidf:
    """TF-IDF weights fitted on one pool, as scikit-learn's ``TfidfTransformer(sublinear_tf=True)``.

    tf = 1 + log(count), idf = 1 + log((1 + n) / (1 + df)) (smoothed: a term of every text keeps
    weight 1), rows scaled to unit length; the same float32 arithmetic, so the same numbers
    (tests/matching/test_tfidf.py compares them). Written out because importing scikit-learn
    costs about two seconds (it pulls in scipy.stats) for what is these few lines.
    """

    def __init__(self) -> None:
        self.idf: np.ndarray | None = None

    def fit(self, counts: sp.csr_matrix) -> None:
        # An empty pool, or one without a single term, has no similarity to learn: transform
        # then gives zero vectors (scikit-learn refuses to fit such a pool).
        if not counts.shape[0] or not counts.shape[1]:
            self.idf = None
            return
        dtype = counts.dtype if counts.dtype in (np.float32, np.float64) else np.float64
        frequency = np.bincount(counts.indices, minlength=counts.shape[1]).astype(dtype)
        frequency += 1.0
        idf = np.full_like(frequency, counts.shape[0] + 1)
        idf /= frequency
        np.log(idf, out=idf)
        idf += 1.0
        self.idf = idf

    def transform(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Unit-length TF-IDF rows (float32) of ``counts``: the fitted columns, no duplicates."""
        if self.idf is None or not counts.shape[0]:
            return sp.csr_matrix(counts.shape, dtype=np.float32)
        weights = sp.csr_matrix(counts, dtype=np.float32, copy=True)
        np.log(weights.data, out=weights.data)
        weights.data += 1.0
        weights.data *= self.idf[weights.indices]
        return _unit_rows(weights)


def _unit_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit length in place: squares summed in float64, row by row, as sklearn."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(rows, weights=matrix.data * matrix.data, minlength=matrix.shape[0]))
    norms[norms == 0] = 1.0
    matrix.data = (matrix.data / norms[rows]).astype(matrix.dtype)
    return matrix


def _l2_normalize(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ matrix)


class TextVectorizer:
    """Fits TF-IDF on one pool, then turns texts (the pool's or new ones) into vectors."""

    def __init__(self, config: VectorizerConfig | None = None) -> None:
        self.config = config or VectorizerConfig()
        self._normalize = _normalizer(self.config.normalizer)
        self._terms: dict[str, int] = {}
        self._ngrams: dict[str, int] = {}
        self._use_chars = self.config.char_ngrams is not None
        self._word_tfidf = SublinearTfidf()
        self._char_tfidf = SublinearTfidf()
        self.term_labels: list[str] = []

    def analyze(self, texts: Sequence[str]) -> PoolAnalysis:
        return analyze_pool(texts, normalizer=self._normalize, stop_words=self.config.stop_words)

    def fit_transform(self, texts: Sequence[str]) -> TextVectors:
        pool = self.analyze(texts)
        self._use_chars = (
            self.config.char_ngrams is not None and len(texts) <= self.config.char_ngrams_max_texts
        )
        self._terms = {term: column for column, term in enumerate(pool.terms)}
        self._ngrams = {}
        words = counts(pool.text_ids, pool.term_ids, (len(texts), len(pool.terms)))
        self._word_tfidf.fit(words)
        self.term_labels = _readable_labels(pool)
        chars = self._char_counts(pool, grow=True)
        if chars is not None:
            self._char_tfidf.fit(chars)
        return self._vectors(pool, words, chars)

    def transform(self, texts: Sequence[str]) -> TextVectors:
        pool = self.analyze(texts)
        known = np.fromiter(
            (self._terms.get(term, -1) for term in pool.terms),
            dtype=np.int64,
            count=len(pool.terms),
        )
        columns = known[pool.term_ids]
        found = columns >= 0
        words = counts(pool.text_ids[found], columns[found], (len(texts), len(self._terms)))
        return self._vectors(pool, words, self._char_counts(pool, grow=False))

    def _vectors(
        self,
        pool: PoolAnalysis,
        words: sp.csr_matrix,
        chars: sp.csr_matrix | None,
    ) -> TextVectors:
        word_vectors = self._word_tfidf.transform(words)
        if chars is None:
            matrix = word_vectors
        else:
            char_vectors = self._char_tfidf.transform(chars)
            weight = self.config.char_weight
            # Each block has unit rows, so the cosine of the stack is the weighted mean of both.
            matrix = _l2_normalize(
                sp.hstack(
                    [word_vectors * np.sqrt(1.0 - weight), char_vectors * np.sqrt(weight)],
                    format="csr",
                )
            )
        return TextVectors(matrix=matrix, words=word_vectors, languages=pool.languages)

    def _char_counts(self, pool: PoolAnalysis, grow: bool) -> sp.csr_matrix | None:
        if not self._use_chars or self.config.char_ngrams is None:
            return None
        low, high = self.config.char_ngrams
        # The n-grams come from the words as written, so they still join inflected forms that a
        # lemmatizer does not know (names of places, new compounds).
        texts_by_word = counts(pool.text_ids, pool.word_ids, (len(pool.languages), len(pool.words)))
        grams_by_word = ngrams.grams_by_word(pool.words, low, high, self._ngrams, grow)
        return sp.csr_matrix(texts_by_word @ grams_by_word)


def _readable_labels(pool: PoolAnalysis) -> list[str]:
    """For each term, the surface word the pool used most often for it (ties: the last in
    alphabetical order)."""
    n_words = len(pool.words)
    if not pool.terms:
        return []
    pairs, uses = np.unique(pool.term_ids * n_words + pool.word_ids, return_counts=True)
    term, word = np.divmod(pairs, n_words)
    alphabetical = np.empty(n_words, dtype=np.int64)
    alphabetical[sorted(range(n_words), key=pool.words.__getitem__)] = np.arange(n_words)
    order = np.lexsort((alphabetical[word], uses, term))
    # Within each term's run, the last pair has the most uses (and the latest word on ties).
    last = order[np.r_[term[order][1:] != term[order][:-1], True]]
    return [pool.words[i] for i in word[last].tolist()]
