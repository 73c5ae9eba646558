"""Character n-grams of a pool's distinct words, as a words x n-grams count matrix.

Each word is padded with a space on both sides, as scikit-learn's ``char_wb`` analyzer does,
so that n-grams at a word's start and end differ from those inside it. Columns are numbered
in order of first appearance (word by word, shorter n-grams first, left to right).

A pool's fit codes each n-gram as an integer (its letters as digits, in a base one larger
than the pool's alphabet) and numbers them with numpy: about ten times faster than a
dictionary lookup per n-gram, which was half of the vectorizer's time on 5,000 texts. New
texts against a fitted vocabulary, and pools whose alphabet is too large for n-grams to fit
64 bits, look each n-gram up by its text.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np
import scipy.sparse as sp

from matching.arrays import counts


def char_ngrams(word: str, low: int, high: int) -> list[str]:
    """The n-grams of `` word `` for n in [low, high]; the padded word if it is shorter."""
    padded = f" {word} "
    grams = [padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)]
    return grams or [padded]


def grams_by_word(
    words: Sequence[str], low: int, high: int, vocabulary: dict[str, int], grow: bool
) -> sp.csr_matrix:
    """Words x n-gram counts; with ``grow`` unseen n-grams get new columns in ``vocabulary``."""
    coded = _coded_grams(words, low, high) if grow and not vocabulary else None
    if coded is not None:
        grams, rows, columns = coded
        vocabulary.update(zip(grams, range(len(grams)), strict=True))
        return counts(rows, columns, (len(words), len(grams)))
    per_word = [char_ngrams(word, low, high) for word in words]
    found = list(chain.from_iterable(per_word))
    if grow:
        for gram in dict.fromkeys(found):
            vocabulary.setdefault(gram, len(vocabulary))
    columns = np.fromiter(map(vocabulary.get, found, repeat(-1)), dtype=np.int64, count=len(found))
    rows = np.repeat(np.arange(len(words)), [len(grams) for grams in per_word])
    known = columns >= 0
    return counts(rows[known], columns[known], (len(words), len(vocabulary)))


def _coded_grams(
    words: Sequence[str], low: int, high: int
) -> tuple[list[str], np.ndarray, np.ndarray] | None:
    """The distinct n-grams in column order, and each occurrence's word and column; None when
    a word is too short for an n-gram or the alphabet too large to code them in 64 bits."""
    padded = [f" {word} " for word in words]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    if not len(padded) or lengths.min() < low:
        return None
    letters = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32)
    # Digits start at 1, so that n-grams of different lengths never share a code.
    used = np.bincount(letters) > 0
    base = int(used.sum()) + 1
    if base**high >= 2**63:
        return None
    digits = np.cumsum(used)[letters].astype(np.int64)
    # Occurrences in column order: word by word, then by n, then from the left.
    sizes = np.arange(low, high + 1)
    block_word = np.repeat(np.arange(len(padded)), len(sizes))
    block_size = np.tile(sizes, len(padded))
    block_length = np.maximum(lengths[block_word] - block_size + 1, 0)
    word = np.repeat(block_word, block_length)
    size = np.repeat(block_size, block_length)
    start = np.arange(len(word)) - np.repeat(np.cumsum(block_length) - block_length, block_length)
    first_letter = (np.cumsum(lengths) - lengths)[word] + start
    code = np.zeros(len(word), dtype=np.int64)
    for j in range(high):
        inside = j < size
        letter = digits[np.minimum(first_letter + j, len(digits) - 1)]
        code = np.where(inside, code * base + letter, code)
    distinct, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    order = np.argsort(first)
    column_of = np.empty(len(distinct), dtype=np.int64)
    column_of[order] = np.arange(len(distinct))
    first = first[order]
    grams = [
        padded[w][i : i + n]
        for w, n, i in zip(
            word[first].tolist(), size[first].tolist(), start[first].tolist(), strict=True
        )
    ]
    return grams, word, column_of[inverse]
