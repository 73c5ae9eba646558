"""The latent-topic blend: deterministic, exact top-k over the blended cosine, and useful."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.extmath import randomized_svd

from matching.latent import MIN_TEXTS, dimensions, latent_topics, top_singular_vectors
from matching.similarity import KindWeights, PoolSimilarity
from matching.vectorize import TextVectorizer


def random_pool(seed: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    n_people = int(rng.integers(MIN_TEXTS + 5, 90))
    owners = np.sort(np.r_[np.arange(n_people), rng.integers(0, n_people, size=n_people // 2)])
    dense = rng.random((len(owners), 60)) * (rng.random((len(owners), 60)) < 0.12)
    dense[:, :3] = rng.random((len(owners), 3)) * 0.3
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    is_need = rng.random(len(owners)) < 0.3
    return sp.csr_matrix(dense.astype(np.float32)), owners, is_need, n_people


def brute_force_blended_graph(similarity: PoolSimilarity, k: int) -> np.ndarray:
    """Every pair scored as (1 - w) lexical + w latent, densely; k best of other people each."""
    vectors = similarity.vectors.toarray()
    latent, weight = similarity.latent, similarity.latent_weight
    assert latent is not None
    scores = (1 - weight) * (vectors @ vectors.T) + weight * (latent @ latent.T)
    weights, is_need, owners = KindWeights(), similarity.is_need, similarity.owners
    same_kind = is_need[:, None] == is_need[None, :]
    scores = scores * np.where(same_kind, weights.same_kind, weights.need_idea)
    scores[owners[:, None] == owners[None, :]] = 0.0
    graph = np.zeros((similarity.n_people,) * 2, dtype=np.float32)
    for item, row in enumerate(scores):
        best = np.argsort(-row, kind="stable")[:k]
        for other in best[row[best] > 0]:
            a, b = owners[item], owners[other]
            graph[a, b] = max(graph[a, b], row[other])
    return np.maximum(graph, graph.T)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("k", [1, 5, 20])
def test_blended_neighbour_graph_equals_brute_force_top_k(seed: int, k: int) -> None:
    vectors, owners, is_need, n_people = random_pool(seed)
    similarity = PoolSimilarity(vectors, owners, is_need, n_people, latent_weight=0.3)
    assert similarity.latent is not None and similarity.latent_weight == 0.3
    found = similarity.neighbour_graph(k, hub_correction=False).toarray()
    expected = brute_force_blended_graph(similarity, k)
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5)


def test_latent_topics_are_the_same_for_the_same_pool() -> None:
    vectors, owners, is_need, n_people = random_pool(3)
    first = PoolSimilarity(vectors, owners, is_need, n_people, latent_weight=0.3)
    second = PoolSimilarity(vectors, owners, is_need, n_people, latent_weight=0.3)
    assert first.latent is not None and second.latent is not None
    np.testing.assert_array_equal(first.latent, second.latent)
    np.testing.assert_array_equal(
        first.neighbour_graph(10).toarray(), second.neighbour_graph(10).toarray()
    )


def test_without_weight_or_with_a_tiny_pool_the_similarity_is_lexical() -> None:
    vectors, owners, is_need, n_people = random_pool(1)
    lexical = PoolSimilarity(vectors, owners, is_need, n_people)
    assert lexical.latent is None and lexical.latent_weight == 0.0
    tiny = PoolSimilarity(vectors[:5], np.arange(5), np.zeros(5, dtype=bool), 5, 0.3)
    assert tiny.latent is None and tiny.latent_weight == 0.0


def test_dimensions_follow_the_pool_size_within_bounds() -> None:
    assert dimensions(30) == 10  # the floor
    assert dimensions(1_000) == 50
    assert dimensions(100_000) == dimensions(50_000) == 300  # the cap
    assert dimensions(5) == 4  # never more than the pool's rank allows


def test_texts_of_one_topic_without_a_shared_word_meet_through_the_topic() -> None:
    # Ten topics of twelve made-up words each (random letters, so that no two words share more
    # than chance n-grams), texts of four words of one topic, as many topics as latent
    # dimensions. The probes, texts 0 and 1, are on topic 0 but share no word.
    rng = np.random.default_rng(0)
    letters = list("abcdefghijklmnopqrstuvwxyz")
    topics = [["".join(rng.choice(letters, size=8)) for _ in range(12)] for _ in range(10)]
    texts = [" ".join(topics[0][:4]), " ".join(topics[0][4:8])]
    for words in topics * 10:
        texts.append(" ".join(rng.choice(words, size=4, replace=False)))
    vectors = TextVectorizer().fit_transform(texts).matrix
    lexical = (vectors @ vectors.T).toarray()
    latent = latent_topics(lexical)
    assert latent is not None
    same_topic = float(latent[0] @ latent[1])
    other_topics = [i for i, text in enumerate(texts) if text.split()[0] not in topics[0]]
    assert same_topic > max(float(latent[0] @ latent[j]) for j in other_topics)
    assert same_topic > lexical[0, 1] + 0.2


@pytest.mark.parametrize("n_texts", [30, 400])
def test_decomposition_is_scikit_learns_randomized_svd(n_texts: int) -> None:
    """The same vectors and values as scikit-learn's, which the engine no longer imports."""
    rng = np.random.default_rng(n_texts)
    texts = rng.random((n_texts, 80)) * (rng.random((n_texts, 80)) < 0.2)
    cosines = (texts @ texts.T).astype(np.float32)
    rank = dimensions(n_texts)
    vectors, values = top_singular_vectors(cosines, rank)
    expected_vectors, expected_values, _ = randomized_svd(cosines, rank, random_state=0)
    np.testing.assert_array_equal(values, expected_values)
    # Columns may differ in sign only: no dot product of two texts' coordinates sees that.
    signs = np.sign(np.sum(vectors * expected_vectors, axis=0))
    np.testing.assert_array_equal(vectors * signs, expected_vectors)


def test_blended_cosines_of_every_pair_equal_the_dense_formula() -> None:
    """Over several row blocks, with columns in most texts (a dense product) and columns in a
    few (a sparse one): every pair's score is (1 - w) x.y + w latent(x).latent(y)."""
    rng = np.random.default_rng(7)
    n_texts = 1_300
    common = rng.random((n_texts, 8)) * (rng.random((n_texts, 8)) < 0.7)
    rare = rng.random((n_texts, 400)) * (rng.random((n_texts, 400)) < 0.01)
    dense = np.hstack([common, rare])
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    vectors, owners, ideas = sp.csr_matrix(dense), np.arange(n_texts), np.zeros(n_texts, bool)
    unweighted = KindWeights(same_kind=1.0)
    similarity = PoolSimilarity(vectors, owners, ideas, n_texts, unweighted, latent_weight=0.4)
    latent = similarity.latent
    assert latent is not None
    expected = 0.6 * (dense @ dense.T) + 0.4 * (latent @ latent.T)
    a, b = np.triu_indices(n_texts, k=1)
    np.testing.assert_allclose(similarity.contribution_scores(a, b), expected[a, b], atol=2e-6)
