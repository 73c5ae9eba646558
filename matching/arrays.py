"""Small numpy helpers shared by the engine's vectorized steps."""

from __future__ import annotations

import numpy as np


def run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Mask of the first element of each run of equal values in a sorted array."""
    first = np.ones(len(sorted_values), dtype=bool)
    first[1:] = sorted_values[1:] != sorted_values[:-1]
    return first


def members_by_group(assign: np.ndarray, n_groups: int) -> list[list[int]]:
    """Indices of the people in each group, in index order (one sort, not a scan per group)."""
    if n_groups == 0:
        return []
    order = np.argsort(assign, kind="stable")
    bounds = np.searchsorted(assign[order], np.arange(1, n_groups))
    return [part.tolist() for part in np.split(order, bounds)]
