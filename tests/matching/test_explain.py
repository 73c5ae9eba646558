"""The figures and terms that explain a grouping, on small hand-made inputs."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from matching.explain import group_pairs, shared_terms


def test_group_pairs_are_every_pair_of_each_group_in_order() -> None:
    groups = [[4, 1, 7], [2], [], [0, 5], [9, 3, 8, 6], [10, 11, 12]]
    expected = [
        (g, first, second)
        for g, members in enumerate(groups)
        for i, first in enumerate(members)
        for second in members[i + 1 :]
    ]
    pairs = group_pairs(groups)
    found = list(zip(pairs.group.tolist(), pairs.a.tolist(), pairs.b.tolist(), strict=True))
    assert found == expected
    assert len(group_pairs([[1], []]).a) == 0


def test_shared_terms_are_the_heaviest_used_by_two_members_without_generic_words() -> None:
    labels = ["puisto", "idea", "penkki", "valo", "koira", "lapset", "kirjasto"]
    # Five people (one text each) in two groups; columns are the labels above.
    weights = np.array(
        [
            [0.9, 0.8, 0.3, 0.2, 0.1, 0.0, 0.0],
            [0.8, 0.9, 0.4, 0.2, 0.1, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.9],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.8],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0],
        ],
        dtype=np.float32,
    )
    words = sp.csr_matrix(weights)
    owners = np.arange(5)
    terms = shared_terms(words, owners, [[0, 1], [2, 3, 4]], labels, 5, limit=3)
    # "idea" is generic, and "koira" is shared but beyond the limit.
    assert terms == [("puisto", "penkki", "valo"), ("kirjasto", "lapset")]
