"""Figures from lists of numbers, one definition for the statistics and the benchmarks alike."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0–100) of `values`: a figure that actually occurred; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
