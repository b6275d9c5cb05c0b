"""Where each name goes on the venue map: beside its marker, never on top of another name.

A greedy placer after the classic point-feature labelling approach (Imhof's positions, tried in
order of preference): each label tries the eight positions around its marker, then rings further
out with a leader line back to the marker, and takes the first box that overlaps no marker, no
label already placed and stays inside the map. The most important places are placed first. The
text width is estimated from the character count, generously, so the boxes hold in a browser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Advance widths in em, rounded up from DejaVu Sans; anything not listed counts as lowercase.
NARROW, NARROW_EM = set("iljfrtI.,:;'!|()[]- "), 0.42
WIDE, WIDE_EM = set("mwMW@%"), 1.0
UPPER_EM, DIGIT_EM, LOWER_EM = 0.76, 0.65, 0.63
LINE_EM = 1.25  # box height in em
GAP = 2.0  # map units kept clear between two boxes
RINGS = (0.0, 10.0, 22.0, 36.0, 54.0, 76.0, 102.0, 132.0, 170.0)  # extra distance tried
DIRECTIONS = 16  # directions tried on each outer ring


@dataclass(frozen=True)
class LabelBox:
    """A placed name: left end of its baseline at ``(x, y)``; ``leader`` leads to its marker."""

    text: str
    x: float
    y: float
    width: float
    height: float
    leader: tuple[tuple[float, float], tuple[float, float]] | None = None

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) in map units."""
        descent = 0.22 * self.height
        return (self.x, self.y - self.height + descent, self.x + self.width, self.y + descent)

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "x": round(self.x, 1),
            "y": round(self.y, 1),
            "width": round(self.width, 1),
            "height": round(self.height, 1),
            "leader": [list(p) for p in self.leader] if self.leader else None,
        }


@dataclass(frozen=True)
class Want:
    """A label to place: its text, the marker it names (centre, radius) and its font size."""

    key: str
    text: str
    x: float
    y: float
    r: float
    font: float


Box = tuple[float, float, float, float]


def overlaps(a: Box, b: Box, gap: float = 0.0) -> bool:
    """True when two (left, top, right, bottom) boxes come closer than ``gap``."""
    return not (
        a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1]
    )


def text_width(text: str, font: float) -> float:
    """Width in map units of ``text`` at ``font`` size (an overestimate for common sans fonts)."""
    em = 0.0
    for char in text:
        if char in NARROW:
            em += NARROW_EM
        elif char in WIDE:
            em += WIDE_EM
        elif char.isupper():
            em += UPPER_EM
        elif char.isdigit():
            em += DIGIT_EM
        else:
            em += LOWER_EM
    return em * font + 2.0


def place_labels(
    wants: Sequence[Want], obstacles: Sequence[Box], *, width: float, height: float
) -> dict[str, LabelBox | None]:
    """A box for every wanted label in order, or None where no free spot exists within reach."""
    placed: list[Box] = []
    out: dict[str, LabelBox | None] = {}
    for want in wants:
        label = _first_free(want, [*obstacles, *placed], width, height)
        out[want.key] = label
        if label is not None:
            placed.append(label.box)
    return out


def _first_free(want: Want, taken: list[Box], width: float, height: float) -> LabelBox | None:
    w, h = text_width(want.text, want.font), want.font * LINE_EM
    near = [b for b in taken if _within(b, want, w + RINGS[-1] + want.r)]
    for extra in RINGS:
        for dx, dy in _directions(extra):
            label = _candidate(want, w, h, dx, dy, extra)
            left, top, right, bottom = label.box
            if left < 0 or top < 0 or right > width or bottom > height:
                continue
            if not any(overlaps(label.box, b, GAP) for b in near):
                return label
    return None


def _within(box: Box, want: Want, reach: float) -> bool:
    return (
        box[2] >= want.x - reach
        and box[0] <= want.x + reach
        and box[3] >= want.y - reach
        and box[1] <= want.y + reach
    )


def _directions(extra: float) -> list[tuple[float, float]]:
    """Right, left, above, below, then the diagonals; more directions further out."""
    if extra == 0.0:
        d = math.sqrt(0.5)
        return [(1, 0), (-1, 0), (0, -1), (0, 1), (d, -d), (-d, -d), (d, d), (-d, d)]
    angles = [2 * math.pi * i / DIRECTIONS for i in range(DIRECTIONS)]
    return [(math.cos(a), math.sin(a)) for a in angles]


def _candidate(want: Want, w: float, h: float, dx: float, dy: float, extra: float) -> LabelBox:
    """The box whose nearest side faces the marker from direction (dx, dy) at the given reach."""
    reach = want.r + 3.0 + extra
    px, py = want.x + dx * reach, want.y + dy * reach
    # Anchor the box by the side or corner that faces the marker.
    left = px if dx > 0.3 else px - w if dx < -0.3 else px - w / 2
    top = py if dy > 0.3 else py - h if dy < -0.3 else py - h / 2
    baseline = top + h - 0.22 * h
    leader = None
    if extra > 0.0:
        edge = (want.x + dx * want.r, want.y + dy * want.r)
        leader = (
            (round(edge[0], 1), round(edge[1], 1)),
            (
                round(min(max(edge[0], left), left + w), 1),
                round(min(max(edge[1], top), top + h), 1),
            ),
        )
    return LabelBox(want.text, left, baseline, w, h, leader)
