"""Latent topics of a pool (LSA): short texts that share a topic but few words still meet.

Latent semantic analysis (Deerwester et al. 1990) keeps the strongest directions of the pool's
own TF-IDF matrix X. Words that occur in the same texts end up close, so a text about buses and
one about trams meet even when they share no word. Nothing is learned outside the pool.

The texts' coordinates on the top d directions are U_d S_d, where X = U S V^T; they are the top
eigenvectors of the n x n matrix of cosines X X^T scaled by the square roots of their
eigenvalues. Pools small enough for an exact neighbour search have that matrix anyway, and it is
far smaller than X (n texts against tens of thousands of n-grams), so the decomposition runs on
it: randomized (Halko et al. 2011) with a fixed seed, so the same pool always gives the same
vectors.
"""

from __future__ import annotations

import numpy as np

# Pools smaller than this have too few texts for topics to be told from the texts themselves.
MIN_TEXTS = 20
# One latent dimension per this many texts, within the bounds below (see ``dimensions``).
TEXTS_PER_DIMENSION = 20
MIN_DIMENSIONS = 10
MAX_DIMENSIONS = 300


def dimensions(n_texts: int) -> int:
    """How many latent topics a pool of ``n_texts`` supports.

    A topic is a direction that several texts share; with groups of 3 to 5, one topic per twenty
    texts is one per four or five groups. Fewer directions blur the fine topics (proposals
    merged into one plan), many more stop relating texts that share a topic but not its words.
    The cap is the top of the classic LSA range (100 to 300) and keeps the decomposition cheap;
    the floor keeps small pools from collapsing onto a couple of directions. Never more than
    the pool's rank allows.
    """
    wanted = min(max(n_texts // TEXTS_PER_DIMENSION, MIN_DIMENSIONS), MAX_DIMENSIONS)
    return max(0, min(wanted, n_texts - 1))


def latent_topics(cosines: np.ndarray) -> np.ndarray | None:
    """Unit-length topic coordinates of each text, from the texts' n x n lexical cosines.

    None when the pool is too small for topics. A text without a single term gets zeros (it
    relates to nothing, as lexically).
    """
    n_texts = cosines.shape[0]
    dims = dimensions(n_texts)
    if n_texts < MIN_TEXTS or dims < 1 or not np.any(cosines):
        return None
    vectors, values = top_singular_vectors(cosines, dims)
    latent = (vectors * np.sqrt(np.maximum(values, 0.0))).astype(np.float32)
    norms = np.linalg.norm(latent, axis=1, keepdims=True)
    return latent / np.where(norms > 0, norms, 1.0)


def top_singular_vectors(matrix: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``rank`` singular vectors and values (Halko et al. 2011), seeded: always the same.

    The steps and defaults of scikit-learn's ``randomized_svd(matrix, rank, random_state=0)``
    (10 extra samples, power iterations normalized by LU), without importing scikit-learn; the
    vectors may differ from its in sign, which no dot product of two texts' coordinates sees.
    """
    # Imported here: pools too large or too small for topics never need it (60 ms at start).
    import scipy.linalg as la

    iterations = 7 if rank < 0.1 * min(matrix.shape) else 4
    sample = np.random.RandomState(0).normal(size=(matrix.shape[1], rank + 10))
    basis = sample.astype(matrix.dtype, copy=False)
    for _ in range(iterations):
        basis = la.lu(matrix @ basis, permute_l=True, check_finite=False)[0]
        basis = la.lu(matrix.T @ basis, permute_l=True, check_finite=False)[0]
    basis = la.qr(matrix @ basis, mode="economic", check_finite=False)[0]
    small, values, _ = la.svd(basis.T @ matrix, full_matrices=False, lapack_driver="gesdd")
    return (basis @ small)[:, :rank], values[:rank]
