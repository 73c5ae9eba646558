"""TF-IDF vectors for a pool of texts: words (optionally lemmatized) and character n-grams.

Character n-grams are counted once per distinct word and spread to texts by a sparse product
(texts x words @ words x n-grams), which keeps them cheap on large pools; sklearn's ``char_wb``
analyzer would slice every occurrence of every word in Python.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Literal

import numpy as np
import scipy.sparse as sp

from matching.analyze import AnalyzedText, Normalizer, analyze, lemmatizer, snowball_stemmer

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


def _count_matrix(
    documents: Sequence[Sequence[str]], vocabulary: dict[str, int], grow: bool
) -> sp.csr_matrix:
    """Documents x vocabulary counts; with ``grow`` unseen tokens get new columns."""
    indptr = [0]
    indices: list[int] = []
    for tokens in documents:
        for token in tokens:
            column = vocabulary.get(token)
            if column is None:
                if not grow:
                    continue
                column = vocabulary[token] = len(vocabulary)
            indices.append(column)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sp.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(documents), len(vocabulary)),
    )
    matrix.sum_duplicates()
    return matrix


def char_ngrams(word: str, low: int, high: int) -> list[str]:
    """The n-grams of `` word `` (padded like sklearn's ``char_wb``), for n in [low, high]."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams or [padded]


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
        self._surfaces: dict[str, int] = {}
        self._ngrams: dict[str, int] = {}
        self._use_chars = self.config.char_ngrams is not None
        self._word_tfidf = SublinearTfidf()
        self._char_tfidf = SublinearTfidf()
        self.term_labels: list[str] = []

    def analyze(self, texts: Sequence[str]) -> list[AnalyzedText]:
        stop_words = self.config.stop_words
        return [analyze(text, normalizer=self._normalize, stop_words=stop_words) for text in texts]

    def fit_transform(self, texts: Sequence[str]) -> TextVectors:
        analyzed = self.analyze(texts)
        self._use_chars = (
            self.config.char_ngrams is not None and len(texts) <= self.config.char_ngrams_max_texts
        )
        words = _count_matrix([a.terms for a in analyzed], self._terms, grow=True)
        self._word_tfidf.fit(words)
        self.term_labels = self._readable_labels(analyzed)
        chars = self._char_counts(analyzed, grow=True)
        if chars is not None:
            self._char_tfidf.fit(chars)
        return self._vectors(analyzed, words, chars)

    def transform(self, texts: Sequence[str]) -> TextVectors:
        analyzed = self.analyze(texts)
        words = _count_matrix([a.terms for a in analyzed], self._terms, grow=False)
        return self._vectors(analyzed, words, self._char_counts(analyzed, grow=False))

    def _vectors(
        self,
        analyzed: list[AnalyzedText],
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
        return TextVectors(
            matrix=matrix, words=word_vectors, languages=tuple(a.language for a in analyzed)
        )

    def _char_counts(self, analyzed: list[AnalyzedText], grow: bool) -> sp.csr_matrix | None:
        if not self._use_chars or self.config.char_ngrams is None:
            return None
        low, high = self.config.char_ngrams
        # The n-grams come from the words as written, so they still join inflected forms that a
        # lemmatizer does not know (names of places, new compounds).
        local: dict[str, int] = {}
        texts_by_word = _count_matrix([a.words for a in analyzed], local, grow=True)
        grams_by_word = _count_matrix(
            [char_ngrams(word, low, high) for word in local], self._ngrams, grow=grow
        )
        grams_by_word.resize((len(local), len(self._ngrams)))
        return sp.csr_matrix(texts_by_word @ grams_by_word)

    def _readable_labels(self, analyzed: list[AnalyzedText]) -> list[str]:
        """For each term, the surface word the pool used most often for it."""
        # One Counter over (term, word) pairs counts in C; a Counter per term was seconds at 100k.
        usage = Counter(
            zip(
                chain.from_iterable(text.terms for text in analyzed),
                chain.from_iterable(text.words for text in analyzed),
                strict=True,
            )
        )
        best: dict[str, tuple[int, str]] = {}
        for (term, word), count in usage.items():
            if term not in best or (count, word) > best[term]:
                best[term] = (count, word)
        labels = [""] * len(self._terms)
        for term, column in self._terms.items():
            labels[column] = best[term][1]
        return labels
