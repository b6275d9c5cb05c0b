"""A synthetic camera: renders a crowd standing on a ground rectangle, with exact ground truth.

A pinhole camera at ``height_m`` above the near edge's centre line, ``setback_m`` behind it, tilted
down by ``pitch_deg``, looks at a zone ``width_m`` x ``depth_m`` (ground x to the right, y away from
the camera). People are given as ground positions in metres (the live twin passes the simulator's
crowd; ``sample_positions`` draws them at a density) and drawn far-to-near as a shadow, a body and a
head. The truth is the positions, the count inside the zone and a density map (a unit Gaussian at
each head) for training density networks. Nothing here imports the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from vision.geometry import Homography
from vision.zones import Zone, ZoneLayout

BODY_TOP_M, HEAD_M, HEAD_R_M, SHOULDER_M = 1.45, 1.62, 0.11, 0.22


@dataclass(frozen=True)
class SyntheticTruth:
    positions: np.ndarray = field(repr=False)  # ground metres [N, 2], all inside the zone
    density: np.ndarray = field(repr=False)  # people per pixel, sums to the count of heads in view

    @property
    def count(self) -> int:
        return len(self.positions)


@dataclass(frozen=True)
class SyntheticCamera:
    width_m: float = 8.0
    depth_m: float = 10.0
    image_w: int = 320
    image_h: int = 240
    height_m: float = 7.0
    setback_m: float = 4.0
    pitch_deg: float = 38.0
    focal_px: float = 260.0
    camera: str = "synthetic"

    def project(self, xyz: np.ndarray) -> np.ndarray:
        """World points ``[N, 3]`` (metres; z up) to image pixels ``[N, 2]``."""
        t = np.radians(self.pitch_deg)
        r = np.asarray(xyz, dtype=np.float64).reshape(-1, 3) - np.array(
            [self.width_m / 2, -self.setback_m, self.height_m]
        )
        fwd = r[:, 1] * np.cos(t) - r[:, 2] * np.sin(t)
        up = r[:, 1] * np.sin(t) + r[:, 2] * np.cos(t)
        u = self.focal_px * r[:, 0] / fwd + self.image_w / 2
        v = -self.focal_px * up / fwd + self.image_h / 2
        return np.stack([u, v], axis=1)

    @property
    def zone_corners(self) -> np.ndarray:
        return np.array(
            [[0, 0], [self.width_m, 0], [self.width_m, self.depth_m], [0, self.depth_m]],
            dtype=np.float64,
        )

    def zone_polygon(self, height_m: float = 0.0) -> np.ndarray:
        """The zone's outline in image pixels, on the ground or raised to ``height_m``."""
        return self.project(np.hstack([self.zone_corners, np.full((4, 1), height_m)]))

    def homography(self) -> Homography:
        """Image pixels -> ground metres for this camera (exact, from the projection)."""
        return Homography.fit(self.zone_polygon(), self.zone_corners)

    def layout(self, zone: str = "zone", *, heads: bool = False) -> ZoneLayout:
        """A one-zone layout matching this camera, for ``ZoneCounter``.

        Box models place a person at the feet, so the zone is the ground outline. Density maps
        put each person at the head, so for them (``heads=True``) the outline is raised to head
        height; the area stays the ground area.
        """
        poly = self.zone_polygon(HEAD_M if heads else 0.0)
        area = self.width_m * self.depth_m
        return ZoneLayout(self.camera, (Zone(zone, poly, area),), (), self.homography())

    def sample_positions(
        self, density_per_m2: float, rng: np.random.Generator, min_gap_m: float = 0.35
    ) -> np.ndarray:
        """Poisson(``density_per_m2`` x area) people, uniform in the zone, ``min_gap_m`` apart."""
        n = int(rng.poisson(density_per_m2 * self.width_m * self.depth_m))
        pts: list[np.ndarray] = []
        for _ in range(n * 20):
            if len(pts) == n:
                break
            p = rng.uniform([0.0, 0.0], [self.width_m, self.depth_m])
            if not pts or np.min(np.linalg.norm(np.asarray(pts) - p, axis=1)) >= min_gap_m:
                pts.append(p)
        return np.asarray(pts, dtype=np.float64).reshape(-1, 2)

    def render(
        self, positions: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, SyntheticTruth]:
        """Image (BGR uint8) of people at ``positions`` (metres), and the exact truth."""
        pos = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
        inside = (
            (pos[:, 0] >= 0)
            & (pos[:, 0] <= self.width_m)
            & (pos[:, 1] >= 0)
            & (pos[:, 1] <= self.depth_m)
        )
        pos = pos[inside]
        image = self._background(rng)
        for i in np.argsort(-pos[:, 1], kind="stable"):  # far first, so near people occlude them
            self._draw_person(image, pos[i], rng)
        image = np.clip(
            image.astype(np.int16) + rng.normal(0, 4, image.shape).astype(np.int16), 0, 255
        ).astype(np.uint8)
        return image, SyntheticTruth(pos, self._density(pos))

    def _background(self, rng: np.random.Generator) -> np.ndarray:
        base = rng.uniform(90, 170)
        tint = rng.uniform(-12, 12, 3)
        img = np.empty((self.image_h, self.image_w, 3), dtype=np.float32)
        img[:] = base + tint
        noise = cv2.GaussianBlur(
            rng.normal(0, 14, (self.image_h, self.image_w)).astype(np.float32), (0, 0), 3
        )
        img += noise[:, :, None]
        poly = np.round(self.zone_polygon()).astype(np.int32)
        cv2.polylines(img, [poly], True, (200, 200, 200), 1)
        return np.clip(img, 0, 255).astype(np.uint8)

    def _draw_person(self, img: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> None:
        x, y = p
        feet, top, head = self.project(np.array([[x, y, 0.0], [x, y, BODY_TOP_M], [x, y, HEAD_M]]))
        side = self.project(np.array([[x + SHOULDER_M, y, BODY_TOP_M]]))[0]
        scale = rng.uniform(0.9, 1.1)
        half_w = max(1.0, abs(side[0] - top[0]) * scale)
        head_r = max(1.0, half_w * HEAD_R_M / SHOULDER_M)
        cv2.ellipse(
            img,
            (int(feet[0]), int(feet[1])),
            (int(half_w * 1.2), max(1, int(half_w * 0.4))),
            0,
            0,
            360,
            (40, 40, 40),
            -1,
        )
        centre = ((feet + top) / 2).astype(int)
        along = top - feet  # verticals lean away from the image centre under a tilted camera
        axes = (int(max(1, np.hypot(*along) / 2)), int(max(1, half_w)))
        angle = float(np.degrees(np.arctan2(along[1], along[0])))
        colour = tuple(int(c) for c in rng.integers(0, 230, 3))
        cv2.ellipse(img, (int(centre[0]), int(centre[1])), axes, angle, 0, 360, colour, -1)
        skin = tuple(int(c) for c in rng.integers(40, 200) * np.array([0.7, 0.8, 1.0]))
        cv2.circle(img, (int(head[0]), int(head[1])), round(head_r), skin, -1)

    def _density(self, pos: np.ndarray) -> np.ndarray:
        """One unit Gaussian per head (sigma ~ head radius), so the map sums to the count."""
        dmap = np.zeros((self.image_h, self.image_w), dtype=np.float64)
        if len(pos) == 0:
            return dmap
        heads = self.project(np.hstack([pos, np.full((len(pos), 1), HEAD_M)]))
        sides = self.project(
            np.hstack([pos + np.array([HEAD_R_M, 0.0]), np.full((len(pos), 1), HEAD_M)])
        )
        yy, xx = np.mgrid[0 : self.image_h, 0 : self.image_w]
        for (hx, hy), (sx, _) in zip(heads, sides, strict=True):
            sigma = max(1.0, abs(sx - hx))
            r = int(3 * sigma) + 1
            x0, x1 = max(0, int(hx) - r), min(self.image_w, int(hx) + r + 1)
            y0, y1 = max(0, int(hy) - r), min(self.image_h, int(hy) + r + 1)
            g = np.exp(
                -((xx[y0:y1, x0:x1] - hx) ** 2 + (yy[y0:y1, x0:x1] - hy) ** 2) / (2 * sigma**2)
            )
            if g.sum() > 0:
                dmap[y0:y1, x0:x1] += g / g.sum()
        return dmap
