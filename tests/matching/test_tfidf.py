"""The engine's TF-IDF gives scikit-learn's numbers, without importing scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from matching.vectorize import SublinearTfidf


def random_counts(rng: np.random.Generator, n_rows: int, n_columns: int) -> sp.csr_matrix:
    """Word counts as the vectorizer builds them: float32, no duplicate entries, some rows
    empty, one column in every row (its idf is the smallest)."""
    dense = rng.integers(1, 6, size=(n_rows, n_columns)) * (rng.random((n_rows, n_columns)) < 0.2)
    dense[:, 0] = rng.integers(1, 3, size=n_rows)
    dense[rng.random(n_rows) < 0.1] = 0
    return sp.csr_matrix(dense.astype(np.float32))


@pytest.mark.parametrize("seed", range(6))
def test_weights_equal_scikit_learns_tfidf_transformer(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_columns = int(rng.integers(1, 300))
    pool = random_counts(rng, int(rng.integers(1, 400)), n_columns)
    new_texts = random_counts(rng, int(rng.integers(1, 50)), n_columns)
    ours = SublinearTfidf()
    ours.fit(pool)
    reference = TfidfTransformer(sublinear_tf=True).fit(pool)
    assert ours.idf is not None and ours.idf.dtype == reference.idf_.dtype
    np.testing.assert_array_equal(ours.idf, reference.idf_)
    for counts in (pool, new_texts):
        found = ours.transform(counts)
        expected = sp.csr_matrix(reference.transform(counts), dtype=np.float32)
        assert found.dtype == np.float32
        np.testing.assert_array_equal(found.indptr, expected.indptr)
        np.testing.assert_array_equal(found.indices, expected.indices)
        np.testing.assert_array_equal(found.data, expected.data)


def test_a_pool_without_terms_gives_zero_vectors() -> None:
    weights = SublinearTfidf()
    weights.fit(sp.csr_matrix((3, 0), dtype=np.float32))
    assert weights.transform(sp.csr_matrix((2, 0), dtype=np.float32)).shape == (2, 0)
    weights.fit(sp.csr_matrix((0, 4), dtype=np.float32))
    assert weights.transform(sp.csr_matrix((2, 4), dtype=np.float32)).nnz == 0
