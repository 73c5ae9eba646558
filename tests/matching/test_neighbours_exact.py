"""The neighbour graph is the exact top-k: equal to a brute-force search on small random pools."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from matching.similarity import KindWeights, PoolSimilarity


def brute_force_graph(
    vectors: np.ndarray, owners: np.ndarray, is_need: np.ndarray, n_people: int, k: int
) -> np.ndarray:
    """Every pair scored densely; each contribution keeps its k best of other people."""
    weights = KindWeights()
    scores = vectors @ vectors.T
    same_kind = is_need[:, None] == is_need[None, :]
    scores = scores * np.where(same_kind, weights.same_kind, weights.need_idea)
    scores[owners[:, None] == owners[None, :]] = 0.0
    graph = np.zeros((n_people, n_people), dtype=np.float32)
    for item, row in enumerate(scores):
        best = np.argsort(-row, kind="stable")[:k]
        for other in best[row[best] > 0]:
            a, b = owners[item], owners[other]
            graph[a, b] = max(graph[a, b], row[other])
    return np.maximum(graph, graph.T)


def random_pool(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    n_people = int(rng.integers(5, 60))
    owners = np.sort(rng.integers(0, n_people, size=int(rng.integers(n_people, 3 * n_people))))
    owners[:n_people] = np.arange(n_people)  # everyone wrote at least one
    owners = np.sort(owners)
    # Sparse, non-negative, some columns used by nearly everyone (the case pruning got wrong).
    dense = rng.random((len(owners), 40)) * (rng.random((len(owners), 40)) < 0.15)
    dense[:, :3] = rng.random((len(owners), 3)) * 0.3
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    is_need = rng.random(len(owners)) < 0.3
    return dense.astype(np.float32), owners, is_need, n_people


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("k", [1, 3, 20])
def test_neighbour_graph_equals_brute_force_top_k(seed: int, k: int) -> None:
    vectors, owners, is_need, n_people = random_pool(seed)
    similarity = PoolSimilarity(sp.csr_matrix(vectors), owners, is_need, n_people)
    found = similarity.neighbour_graph(k, hub_correction=False).toarray()
    expected = brute_force_graph(vectors, owners, is_need, n_people, k)
    np.testing.assert_allclose(found, expected, rtol=1e-5, atol=1e-6)


def test_faint_links_are_kept() -> None:
    # One shared common column only: a faint link, but the only one each text has.
    vectors = sp.csr_matrix(np.array([[1.0, 0, 0], [0.1, 0.99, 0], [0.1, 0, 0.99]]))
    similarity = PoolSimilarity(vectors, np.arange(3), np.zeros(3, dtype=bool), 3)
    graph = similarity.neighbour_graph(2, hub_correction=False).toarray()
    assert graph[1, 2] > 0 and graph[0, 1] > 0 and graph[0, 2] > 0


def test_hub_correction_weighs_a_link_by_what_it_exceeds_the_typical_neighbour() -> None:
    # Text 0 resembles everyone a little (a hub); 1 and 2 resemble each other clearly.
    dense = np.array([[0.6, 0.6, 0.53], [0.0, 0.8, 0.6], [0.0, 0.6, 0.8], [0.6, 0.0, 0.8]])
    vectors = sp.csr_matrix(dense / np.linalg.norm(dense, axis=1, keepdims=True))
    similarity = PoolSimilarity(vectors, np.arange(4), np.zeros(4, dtype=bool), 4)
    plain = similarity.neighbour_graph(3, hub_correction=False).toarray()
    corrected = similarity.neighbour_graph(3).toarray()
    assert plain[0, 1] > plain[1, 2] * 0.8  # the hub's link looks nearly as strong
    assert corrected[1, 2] > 2 * corrected[0, 1]
    assert (corrected >= 0).all() and (corrected[plain > 0] > 0).all()
