"""Similar-idea search: one new text against all stored ideas."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matching.vectorize import TextVectorizer, VectorizerConfig


@dataclass(frozen=True)
class SimilarIdea:
    id: str
    score: float


class SimilarityIndex:
    """TF-IDF index of stored ideas; rebuild it when ideas change (it fits on what it holds)."""

    def __init__(
        self, ideas: Iterable[tuple[str, str]], config: VectorizerConfig | None = None
    ) -> None:
        pairs = list(ideas)
        self._ids = [idea_id for idea_id, _ in pairs]
        self._vectorizer = TextVectorizer(config)
        self._matrix = self._vectorizer.fit_transform([text for _, text in pairs]).matrix

    def __len__(self) -> int:
        return len(self._ids)

    def extend(self, ideas: Iterable[tuple[str, str]]) -> None:
        """Add ideas without refitting: their vectors use the vocabulary and weights fitted so
        far (cheap; refit by building a new index when the pool has grown a lot)."""
        pairs = list(ideas)
        if not pairs:
            return
        added = self._vectorizer.transform([text for _, text in pairs]).matrix
        # Ids first: a search running meanwhile may see more ids than rows, never fewer.
        self._ids = self._ids + [idea_id for idea_id, _ in pairs]
        self._matrix = sp.vstack([self._matrix, added], format="csr")

    def search(self, text: str, k: int = 5, min_score: float = 0.1) -> list[SimilarIdea]:
        """Up to ``k`` ideas with cosine of at least ``min_score`` to ``text``, best first."""
        if not self._ids or k <= 0:
            return []
        query = self._vectorizer.transform([text]).matrix
        scores = np.asarray((self._matrix @ query.T).todense()).ravel()
        candidates = np.flatnonzero(scores >= max(min_score, 1e-9))
        best = candidates[np.lexsort((candidates, -scores[candidates]))][:k]
        return [SimilarIdea(self._ids[i], round(float(scores[i]), 4)) for i in best]
