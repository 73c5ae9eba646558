"""Small numpy helpers shared by the engine's vectorized steps."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


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


def in_order_of_appearance(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``ids`` by first appearance, and ``ids`` renumbered to positions in them."""
    distinct, first = np.unique(ids, return_index=True)
    order = np.argsort(first, kind="stable")
    renumber = np.empty(len(distinct), dtype=np.int64)
    renumber[order] = np.arange(len(distinct))
    return distinct[order], renumber[np.searchsorted(distinct, ids)]


def counts(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """How often each (row, column) pair occurs, as a float32 matrix."""
    ones = np.ones(len(rows), dtype=np.float32)
    return sp.csr_matrix((ones, (rows, columns)), shape=shape)
