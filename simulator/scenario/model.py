"""The scenario: frozen, validated value objects describing a venue and its match day.

A Scenario crosses package boundaries (loader -> engine -> KPIs, and the live twin), so it is
immutable: change it with ``dataclasses.replace``. ``simulator.scenario.loader`` builds it from
YAML and is the only place that validates; the engine trusts what it receives.

Times are seconds since local midnight of the match day (kick-off at 21:00 is 75_600). Lengths
are metres, areas m², rates per second unless a name says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from simulator.levers.model import Intervention
from simulator.transport.model import Transport
from simulator.venue.los import LosScale

OriginMode = Literal["tram", "rail", "bus", "car", "walk"]
LinkKind = Literal["walkway", "stairs_up", "stairs_down", "ramp", "escalator", "door"]
DistributionKind = Literal["deterministic", "exponential", "uniform", "triangular", "lognormal"]
RouteChoice = Literal["assigned", "least_delay"]
RouteModel = Literal["logit", "shortest"]
FlowCaps = Literal["experimental", "green_guide"]
# Where a checkpoint sits in a venue's access chain: ``perimeter`` (the outer security search,
# screening everyone whose route passes it) before ``ticket`` (the gate a sector's tickets name).
CheckpointStage = Literal["perimeter", "ticket"]
ServiceKind = Literal["concession", "toilet", "prayer", "merchandise", "other"]


@dataclass(frozen=True)
class Distribution:
    """A service or delay time distribution in seconds.

    ``mean`` always holds the mean; ``low``/``high`` bound uniform and triangular, ``mode`` is the
    triangular peak, ``cv`` the coefficient of variation of a lognormal.
    """

    kind: DistributionKind
    mean: float
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    cv: float | None = None

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one value; all randomness comes from the run's generator."""
        if self.kind == "deterministic":
            return self.mean
        if self.kind == "exponential":
            return float(rng.exponential(self.mean))
        if self.kind == "uniform":
            assert self.low is not None and self.high is not None
            return float(rng.uniform(self.low, self.high))
        if self.kind == "triangular":
            assert self.low is not None and self.high is not None and self.mode is not None
            return float(rng.triangular(self.low, self.mode, self.high))
        assert self.cv is not None
        sigma2 = float(np.log1p(self.cv**2))
        mu = float(np.log(self.mean)) - sigma2 / 2
        return float(rng.lognormal(mu, np.sqrt(sigma2)))


@dataclass(frozen=True)
class Origin:
    """Where fans enter or leave the walking network: platform, bus bay, car park, drop-off."""

    id: str
    mode: OriginMode
    area_m2: float | None = None  # a platform or car-park apron has a density; None = unbounded
    label: str = ""
    xy: tuple[float, float] | None = None  # map position (metres, any origin); None = laid out


@dataclass(frozen=True)
class ServicePoint:
    """A facility on an area's floor with ``servers`` identical servers and one queue
    (a concession with N tills, a toilet block with N places, a prayer room with N places).

    Those queuing and being served stand on the area's floor (they count in its density).
    """

    id: str
    kind: ServiceKind
    servers: int
    service: Distribution
    label: str = ""  # what the report calls it; empty: its id written as words


@dataclass(frozen=True)
class DwellRule:
    """Who stops on an area's floor, what they use and how long they stay.

    ``share`` of the parties passing stop; a stopping party queues at a service point of a
    kind drawn from ``use`` (kind, probability; the rest use none), then lingers for a time
    drawn from ``time`` (None: no lingering). ``by_min`` (minutes from kick-off for ingress
    and sources, from the final whistle for egress; None: no limit) ends every dwell by then:
    nobody stops after it and lingering is cut at it (a fan zone empties towards kick-off).
    """

    share: float
    time: Distribution | None = None
    use: tuple[tuple[ServiceKind, float], ...] = ()
    by_min: float | None = None


@dataclass(frozen=True)
class AreaDwell:
    """The dwell rules of an area by who passes: ingress fans, egress fans, background
    sources (each None: they walk through)."""

    ingress: DwellRule | None = None
    egress: DwellRule | None = None
    sources: DwellRule | None = None


@dataclass(frozen=True)
class Area:
    """An open space (plaza, concourse, fan zone) with a floor area and a Fruin scale.

    It holds at most jam density x ``area_m2`` people, and crossing it takes ``walk_m`` metres
    at its density-dependent speed (``None``: derived from the map positions and the floor, or
    ``sqrt(area_m2)`` without positions: ``simulator.venue.walk_across``; 0 where the links
    already include the crossing).
    """

    id: str
    area_m2: float
    los_scale: LosScale = "walkway"
    label: str = ""
    xy: tuple[float, float] | None = None  # map position (metres, any origin); None = laid out
    walk_m: float | None = None
    dwell: AreaDwell | None = None  # who stops here and for how long (None: pass-through)
    services: tuple[ServicePoint, ...] = ()  # queues on this floor (concessions, toilets)


@dataclass(frozen=True)
class Checkpoint:
    """A bank of identical lanes (turnstiles, walk-through metal detectors) with a queue in front.

    A share of fans (``secondary_share``) goes on to a secondary search with its own time.
    ``stage`` places it in the access chain: a ``perimeter`` checkpoint screens every fan whose
    route passes it, before the ``ticket`` checkpoint (the gate) that screens the fans sent to it.
    """

    id: str
    lanes: int
    service: Distribution
    queue_area_m2: float
    secondary_share: float = 0.0
    secondary_service: Distribution | None = None
    label: str = ""
    xy: tuple[float, float] | None = None  # map position (metres, any origin); None = laid out
    stage: CheckpointStage = "ticket"


@dataclass(frozen=True)
class Sector:
    """A block of seats in a stand; ``gate`` is the ticket checkpoint its tickets name."""

    id: str
    seats: int
    gate: str | None = None
    label: str = ""
    xy: tuple[float, float] | None = None  # map position (metres, any origin); None = laid out


@dataclass(frozen=True)
class Exit:
    """A point where fans leave the stadium perimeter after the match."""

    id: str
    label: str = ""
    xy: tuple[float, float] | None = None  # map position (metres, any origin); None = laid out


@dataclass(frozen=True)
class Link:
    """A walking link between two nodes: clear ``width_m`` over ``length_m``.

    ``two_way`` links carry fans both ways (ingress one way, egress the other); occupancy and
    density count both directions over the same floor. ``flow_cap_per_m_s`` overrides the
    pedestrian model's specific-flow cap (a door's capacity, say). On an escalator
    ``walking_share`` of the people walk up or down the moving steps, the rest stand.
    """

    id: str
    source: str
    target: str
    length_m: float
    width_m: float
    kind: LinkKind = "walkway"
    two_way: bool = True
    flow_cap_per_m_s: float | None = None
    label: str = ""
    walking_share: float = 0.0

    @property
    def floor_m2(self) -> float:
        return self.length_m * self.width_m


@dataclass(frozen=True)
class Venue:
    """The walking network of one stadium and its surroundings."""

    name: str
    origins: tuple[Origin, ...]
    areas: tuple[Area, ...]
    checkpoints: tuple[Checkpoint, ...]
    sectors: tuple[Sector, ...]
    exits: tuple[Exit, ...]
    links: tuple[Link, ...]

    @property
    def seats(self) -> int:
        return sum(s.seats for s in self.sectors)

    def node_ids(self) -> tuple[str, ...]:
        groups: tuple[tuple[Origin | Area | Checkpoint | Sector | Exit, ...], ...] = (
            self.origins,
            self.areas,
            self.checkpoints,
            self.sectors,
            self.exits,
        )
        return tuple(node.id for group in groups for node in group)


@dataclass(frozen=True)
class ArrivalProfile:
    """Cumulative share of fans arrived, piecewise linear in minutes relative to kick-off.

    ``points`` are (minutes, cumulative share) with minutes increasing (negative = before
    kick-off) and shares rising from 0 to 1.
    """

    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Ingress:
    """Fans coming to the match: how many, when, from where, in what party sizes, by which gate."""

    kickoff_s: float
    gates_open_s: float
    attendance: float  # share of seats occupied, 0..1
    profile: ArrivalProfile
    mode_split: tuple[tuple[str, float], ...]  # (origin id, share); shares sum to 1
    party_sizes: tuple[float, ...] = (1.0,)  # probability of a party of 1, 2, ... people
    route_choice: RouteChoice = "assigned"


@dataclass(frozen=True)
class Egress:
    """Fans leaving after the final whistle, released by a cumulative profile.

    Fans walk back to the origin they came from unless ``destinations`` splits them otherwise.
    """

    final_whistle_s: float
    release_profile: ArrivalProfile  # minutes after the final whistle, cumulative share
    destinations: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Halftime:
    """Seated fans who go to the concourse at half-time and come back before the second half.

    Half-time starts at ``start_s`` (kick-off + 45 min + first-half stoppage) and lasts
    ``duration_s``. ``share`` of the seated parties leave their seats, spread uniformly over
    the first ``leave_s``; each walks to its sector's concourse (``concourses``: sector id ->
    area id, every sector with one; by default the area linked to the sector), queues at a
    service point drawn from ``use``, lingers for ``time`` (cut so it heads back by
    ``start_s + back_by_s``) and walks back to its seat.
    """

    start_s: float
    duration_s: float
    share: float
    leave_s: float
    back_by_s: float
    time: Distribution | None
    use: tuple[tuple[ServiceKind, float], ...]
    concourses: tuple[tuple[str, str], ...]

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True)
class PoissonSource:
    """Constant-rate Poisson arrivals from an origin to a destination node.

    ``drop_when_full`` turns the first link into a loss system (an arrival finding it full is
    lost): only for reproducing M/G/c/c loss results in validation.
    """

    id: str
    origin: str
    destination: str
    rate_per_s: float
    start_s: float
    end_s: float
    party_size: int = 1
    drop_when_full: bool = False


@dataclass(frozen=True)
class Settings:
    """How to run: the clock window, the pedestrian model, flow caps, sampling."""

    start_s: float
    end_s: float
    pedestrian_model: str = "weidmann"
    model_params: Mapping[str, float] = field(default_factory=dict)
    flow_caps: FlowCaps = "experimental"
    sample_interval_s: float = 60.0


@dataclass(frozen=True)
class Routing:
    """How fans choose their way through the venue (``simulator.engine.routing``).

    ``model``: ``logit`` (a path-size logit over the ``paths`` shortest candidate paths no longer
    than ``1 + detour`` times the shortest, cost = expected travel time with queues, decided
    again at every decision node) or ``shortest`` (everyone on the shortest path, pinned;
    closures still re-route). ``theta_per_s`` is the logit's scale: a route ``1 / theta``
    seconds longer is chosen ``e`` times less often. ``egress_via`` pins the egress of a
    sector through a node: (sector id, node id).
    """

    model: RouteModel = "logit"
    theta_per_s: float = 0.05
    paths: int = 4
    detour: float = 0.5
    egress_via: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Reference:
    """A published source a scenario's figures rest on; the report lists it."""

    id: str
    title: str
    date: str = ""
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    """Everything a run needs except the seed."""

    name: str
    source_path: str
    venue: Venue
    settings: Settings
    ingress: Ingress | None = None
    egress: Egress | None = None
    sources: tuple[PoissonSource, ...] = ()
    description: str = ""
    transport: Transport | None = None  # lines, car parks, roads (simulator.transport)
    interventions: tuple[Intervention, ...] = ()  # what-if levers with time windows
    references: tuple[Reference, ...] = ()  # published sources of the figures (``references:``)
    routing: Routing = Routing()  # how fans choose their way (``routing:``)
    halftime: Halftime | None = None  # seated fans to the concourses and back (``halftime:``)
