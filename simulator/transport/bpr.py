"""The Bureau of Public Roads volume-delay function.

``t = t0 * (1 + alpha * (v / c) ** beta)`` (BPR 1964; alpha 0.15 and beta 4 are the classic
values): travel time on a road link grows smoothly with the ratio of volume to capacity and
keeps growing past capacity, which is how a static assignment represents queues.
"""

from __future__ import annotations


def bpr_travel_time(
    free_time_s: float,
    volume_per_h: float,
    capacity_per_h: float,
    *,
    alpha: float = 0.15,
    beta: float = 4.0,
) -> float:
    """Travel time in seconds at ``volume_per_h`` on a road of ``capacity_per_h``."""
    if free_time_s < 0 or volume_per_h < 0:
        raise ValueError(
            f"free time and volume must be >= 0, got {free_time_s} s and {volume_per_h} /h"
        )
    if capacity_per_h <= 0:
        raise ValueError(f"road capacity must be > 0 vehicles/h, got {capacity_per_h}")
    return free_time_s * (1.0 + alpha * (volume_per_h / capacity_per_h) ** beta)
