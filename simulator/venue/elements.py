"""The venue vocabulary: every watchable element of a venue, and which Fruin scale grades it.

One definition read by the engine (time series), the report, the twin's zones and the dashboard,
so a place has one level of service everywhere. Elements are numbered in one order: origins,
areas, checkpoints, sectors, exits, then links; the engine's occupancy counters use the same
numbering.

The scale rule (Fruin 1971/1987, see ``docs/design.md``):

    origin      a platform or bus bay where fans stand waiting (tram, rail, bus): queuing;
                a car park, drop-off or walk-in point: walkway
    area        the scale the scenario gives it (``los_scale``, default walkway)
    checkpoint  the queue pen in front of the lanes: queuing
    link        stairs up or down and escalators: stairs; every other kind: walkway
    sector/exit no floor of their own (density is not graded): walkway
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from simulator.venue.los import LosScale, fruin_los

if TYPE_CHECKING:  # the scenario model imports this package for its scale names
    from simulator.scenario.model import Link, Origin, Venue

ElementKind = Literal["origin", "area", "checkpoint", "sector", "exit", "link"]
NODE_KINDS: tuple[ElementKind, ...] = ("origin", "area", "checkpoint", "sector", "exit")
WAITING_MODES = frozenset({"tram", "rail", "bus"})  # origins where fans stand and wait
STAIR_KINDS = frozenset({"stairs_up", "stairs_down", "escalator"})


@dataclass(frozen=True)
class VenueElement:
    """One place or link of a venue as every part of matchday sees it."""

    id: str
    kind: ElementKind
    floor_m2: float  # 0: no floor of its own, so no density or level of service
    los_scale: LosScale
    label: str
    xy: tuple[float, float] | None = None  # map position in metres; None: laid out by the map

    @property
    def name(self) -> str:
        """What a person reads: the label, or the id where the scenario gives none."""
        return self.label or self.id

    def los(self, density_per_m2: float) -> str:
        """Fruin level at this density on this element's scale; "" where it has no floor."""
        return fruin_los(density_per_m2, self.los_scale) if self.floor_m2 > 0 else ""


def origin_scale(origin: Origin) -> LosScale:
    return "queuing" if origin.mode in WAITING_MODES else "walkway"


def link_scale(link: Link) -> LosScale:
    return "stairs" if link.kind in STAIR_KINDS else "walkway"


def venue_elements(venue: Venue) -> tuple[VenueElement, ...]:
    """Every element of ``venue`` in the engine's numbering, each with its one Fruin scale."""
    out: list[VenueElement] = []
    out += [
        VenueElement(o.id, "origin", o.area_m2 or 0.0, origin_scale(o), o.label, o.xy)
        for o in venue.origins
    ]
    out += [VenueElement(a.id, "area", a.area_m2, a.los_scale, a.label, a.xy) for a in venue.areas]
    out += [
        VenueElement(c.id, "checkpoint", c.queue_area_m2, "queuing", c.label, c.xy)
        for c in venue.checkpoints
    ]
    out += [VenueElement(s.id, "sector", 0.0, "walkway", s.label, s.xy) for s in venue.sectors]
    out += [VenueElement(e.id, "exit", 0.0, "walkway", e.label, e.xy) for e in venue.exits]
    out += [
        VenueElement(lk.id, "link", lk.floor_m2, link_scale(lk), lk.label, None)
        for lk in venue.links
    ]
    return tuple(out)
