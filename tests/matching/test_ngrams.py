"""Character n-grams of a pool's words: numbered in order of appearance, counted per word."""

from __future__ import annotations

import numpy as np
import pytest

from matching.ngrams import char_ngrams, grams_by_word

WORDS = ["kirjasto", "ab", "banana", "pyörä", "öö", "библиотека", "مكتبة", "straße", "aaaa"]


def expected(words: list[str], low: int, high: int) -> tuple[dict[str, int], np.ndarray]:
    """What the definition says, one n-gram at a time."""
    vocabulary: dict[str, int] = {}
    for word in words:
        for gram in char_ngrams(word, low, high):
            vocabulary.setdefault(gram, len(vocabulary))
    table = np.zeros((len(words), len(vocabulary)), dtype=np.float32)
    for row, word in enumerate(words):
        for gram in char_ngrams(word, low, high):
            table[row, vocabulary[gram]] += 1
    return vocabulary, table


@pytest.mark.parametrize(
    "words",
    [
        WORDS,
        # So many distinct letters that 5-grams do not fit 64 bits as numbers.
        ["".join(chr(0x4E00 + i + j) for j in range(4)) for i in range(0, 8000, 3)],
        # A word too short for the shortest n-gram.
        ["a", "abc"],
        [],
    ],
)
@pytest.mark.parametrize(("low", "high"), [(3, 5), (4, 4)])
def test_a_pool_gets_its_ngrams_in_order_of_appearance(
    words: list[str], low: int, high: int
) -> None:
    vocabulary: dict[str, int] = {}
    found = grams_by_word(words, low, high, vocabulary, grow=True)
    expected_vocabulary, table = expected(words, low, high)
    assert vocabulary == expected_vocabulary
    assert list(vocabulary.values()) == list(range(len(vocabulary)))
    np.testing.assert_array_equal(found.toarray(), table)


def test_new_words_count_only_the_fitted_ngrams() -> None:
    vocabulary: dict[str, int] = {}
    grams_by_word(WORDS, 3, 5, vocabulary, grow=True)
    size = len(vocabulary)
    found = grams_by_word(["kirjat", "zzz"], 3, 5, vocabulary, grow=False).toarray()
    assert len(vocabulary) == size and found.shape == (2, size)
    known = [gram for gram in char_ngrams("kirjat", 3, 5) if gram in vocabulary]
    assert found[0].sum() == len(known) == 9  # " ki", "kir", ..., " kirj", "kirja"
    assert all(found[0, vocabulary[gram]] == 1 for gram in known)
    assert found[1].sum() == 0
