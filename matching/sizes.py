"""How many groups, of which sizes, for a pool of n people."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SizePlan:
    sizes: tuple[int, ...]
    # None when every size lies in [min, max]; otherwise the issue code that explains why not.
    problem: str | None = None


def plan_sizes(n: int, min_size: int, max_size: int, preferred: int) -> SizePlan:
    """Balanced sizes near ``preferred``; as close to [min, max] as n allows when it cannot fit."""
    if min_size < 1 or max_size < min_size:
        raise ValueError(f"group sizes must satisfy 1 <= min <= max, got {min_size}..{max_size}")
    if n == 0:
        return SizePlan(())
    if n < min_size:
        # Fewer people than a group needs: one small group beats leaving anyone out.
        return SizePlan((n,), "pool_too_small")
    fewest, most = math.ceil(n / max_size), n // min_size
    if fewest > most:
        # e.g. 7 people in groups of 4..5: no count of groups fits; keep groups within max.
        return SizePlan(_balanced(n, fewest), "sizes_infeasible")
    count = min(max(round(n / preferred), fewest), most)
    return SizePlan(_balanced(n, count))


def _balanced(n: int, count: int) -> tuple[int, ...]:
    base, extra = divmod(n, count)
    return tuple(base + 1 if i < extra else base for i in range(count))
