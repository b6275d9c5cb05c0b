"""Just enough tracking to count line crossings: greedy nearest-neighbour matching of anchors.

A gate line needs each person's previous position. Matching is greedy on distance (closest pairs
first) within ``max_step`` (ground metres when a homography exists, else pixels); a track not
seen for ``max_age`` updates is dropped. Deterministic and O(N*M) per frame, fine for a camera's
tens of people.
"""

from __future__ import annotations

import numpy as np


class NearestTracker:
    def __init__(self, max_step: float, max_age: int = 3) -> None:
        self.max_step = max_step
        self.max_age = max_age
        self.positions = np.zeros((0, 2))
        self.ages = np.zeros(0, dtype=np.int64)

    def step(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Match ``points`` to live tracks; return (previous, current) for the matched pairs."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        prev_idx, cur_idx = self._match(points)
        prev, cur = self.positions[prev_idx], points[cur_idx]
        unmatched_tracks = np.setdiff1d(np.arange(len(self.positions)), prev_idx)
        new_points = np.setdiff1d(np.arange(len(points)), cur_idx)
        kept = unmatched_tracks[self.ages[unmatched_tracks] + 1 < self.max_age]
        self.positions = np.vstack([points[cur_idx], self.positions[kept], points[new_points]])
        self.ages = np.concatenate(
            [
                np.zeros(len(cur_idx), np.int64),
                self.ages[kept] + 1,
                np.zeros(len(new_points), np.int64),
            ]
        )
        return prev, cur

    def _match(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(points) == 0 or len(self.positions) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        dist = np.linalg.norm(self.positions[:, None, :] - points[None, :, :], axis=2)
        order = np.argsort(dist, axis=None, kind="stable")
        used_t: set[int] = set()
        used_p: set[int] = set()
        pairs: list[tuple[int, int]] = []
        for flat in order:
            t, p = divmod(int(flat), len(points))
            if dist[t, p] > self.max_step:
                break
            if t in used_t or p in used_p:
                continue
            used_t.add(t)
            used_p.add(p)
            pairs.append((t, p))
        if not pairs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        arr = np.asarray(pairs, dtype=np.int64)
        return arr[:, 0], arr[:, 1]
