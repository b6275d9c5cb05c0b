"""The typed run summary: frozen values per checkpoint, area, link, platform and line.

``simulator.results.kpis.summarize`` builds a ``RunSummary``; the terminal KPI table, the
report, ``matchday compare`` and sweeps read it. Each KPI that is derived from several elements
(the worst wait, the highest density, the minutes at LoS E or F) is defined once, here, as a
method, so every output reports the same number under the same name.

``to_dict()`` is the JSON of ``summary.json``. Format versions:

    1  (no ``format_version`` key) the nested dict written before the summary was typed
    2  adds ``format_version``; same keys otherwise. Platforms of tram, rail and bus lines are
       graded on Fruin's queuing scale (they were graded as walkways), so their ``peak_los``
       and minutes at LoS E/F differ from version 1 for the same seed.
    3  adds ``stage`` to each checkpoint (``perimeter`` or ``ticket``) and ``stages``: the
       access chain's totals per stage (fans screened, waits, capacity, longest queue).

``RunSummary.from_dict`` reads both, so ``compare`` still reads old run folders.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from simulator.results.records import FanCounts
from simulator.venue.los import LEVELS

FORMAT_VERSION = 3


@dataclass(frozen=True)
class LosKpis:
    """Density of one element over the run, from the minute samples."""

    peak_density_per_m2: float = 0.0
    peak_los: str = "A"
    minutes_at_los_e: float = 0.0
    minutes_at_los_f: float = 0.0

    @property
    def minutes_at_los_e_or_f(self) -> float:
        """Minutes sampled at LoS E or F: the time this place was crowded to danger."""
        return self.minutes_at_los_e + self.minutes_at_los_f

    def rank(self) -> tuple[int, float]:
        """Worse first when sorted descending: level of service, then peak density."""
        level = LEVELS.index(self.peak_los) if self.peak_los in LEVELS else 0
        return (level, self.peak_density_per_m2)


@dataclass(frozen=True)
class WaitKpis:
    """Waits of the fans (or cars) served, in seconds."""

    p50_wait_s: float = 0.0
    p95_wait_s: float = 0.0
    max_wait_s: float = 0.0
    mean_wait_s: float | None = None  # platforms and car parks report it; checkpoints do not


@dataclass(frozen=True)
class CheckpointKpis:
    """One turnstile bank: fans screened, their waits, the longest queue, its queue pen's LoS."""

    served: int
    waits: WaitKpis
    peak_queue: int
    los: LosKpis
    stage: str = "ticket"  # its place in the access chain: perimeter (search), then ticket


@dataclass(frozen=True)
class StageKpis:
    """One stage of the access chain (every checkpoint of a ``stage``) taken together.

    ``capacity_per_h`` is the planned lanes over the mean screening time (lanes x 3600 / mean
    s): in a chain in series the stage with the least capacity sets the entry rate. The waits
    are every fan's queue wait at the stage; ``peak_queue`` the longest queue at one of them.
    """

    checkpoints: int
    lanes: int
    capacity_per_h: float
    served: int
    waits: WaitKpis
    peak_queue: int


@dataclass(frozen=True)
class LinkKpis:
    """One walking link: exact time averages plus the density samples."""

    throughput: int  # fans who walked the whole link over the run
    mean_occupancy: float  # fans on the link, time average
    max_occupancy: int
    share_time_full: float  # share of the run the link held its jam capacity (0..1)
    los: LosKpis


@dataclass(frozen=True)
class PlatformKpis:
    """One platform or bus bay: fans boarded, their waits, the queue, its LoS."""

    lines: tuple[str, ...]
    hold: int | None  # fans the platform can hold at jam density; None: unbounded
    peak_queue: int
    boarded: int
    waits: WaitKpis
    los: LosKpis | None  # None when the run took no density sample of it


@dataclass(frozen=True)
class LineKpis:
    trips: int
    departures: int
    passengers: int
    peak_load: int
    mean_load: float
    capacity: int


@dataclass(frozen=True)
class CarParkKpis:
    spaces: int
    cars_in: int
    peak_parked: int
    overflow: int
    cars_out: int
    peak_queue: int
    waits: WaitKpis


@dataclass(frozen=True)
class RoadKpis:
    vehicles_pcu: float
    peak_volume_to_capacity: float
    free_time_s: float
    max_travel_time_s: float


@dataclass(frozen=True)
class TransportKpis:
    """The transport sections, present when the scenario has a ``transport:`` section."""

    platforms: Mapping[str, PlatformKpis]
    lines: Mapping[str, LineKpis]
    car_parks: Mapping[str, CarParkKpis]
    roads: Mapping[str, RoadKpis]
    time_to_leave_area_s: float | None  # None while any ticket holder is still around


@dataclass(frozen=True)
class ServiceKpis:
    """One service point (concession, toilet, prayer room): fans served, waits, longest queue."""

    area: str
    kind: str
    servers: int
    served: int
    waits: WaitKpis
    peak_queue: int
    utilisation: float  # server-seconds busy over server-seconds of the run (0..1)
    balked: int = 0  # fans who gave it up, seeing a queue too long for the time they had


@dataclass(frozen=True)
class ConcoursePeak:
    """The densest minute sample of a concourse during the half-time window."""

    peak_density_per_m2: float
    peak_los: str
    peak_time_s: float
    peak_occupancy: int
    before_density_per_m2: float  # the same concourse's density in the minute before half-time


@dataclass(frozen=True)
class HalftimeKpis:
    """Half-time: who left their seats, who was back (and late), and each concourse's peak.

    The window is the interval plus 5 minutes (fans who come back late still crowd it).
    """

    start_s: float
    end_s: float
    fans_left_seats: int
    fans_back: int
    fans_back_late: int  # back in their seats after the interval had ended
    concourses: Mapping[str, ConcoursePeak]


@dataclass(frozen=True)
class RunHeader:
    """Which run this is: scenario, seed, model, and the clock window (seconds since midnight)."""

    scenario: str
    seed: int
    pedestrian_model: str
    flow_caps: str
    start_s: float
    end_s: float
    kickoff_s: float | None
    final_whistle_s: float | None
    scenario_digest: str | None = None  # which version of the scenario ran (scenario.digest)


@dataclass(frozen=True)
class Worst:
    """The element where a KPI is worst: its group, id and value."""

    group: str
    element: str
    value: float


@dataclass(frozen=True)
class RunSummary:
    """Everything ``summary.json`` holds, typed. Build with ``kpis.summarize``."""

    header: RunHeader
    fans: FanCounts
    share_seated_at_kickoff: float | None
    time_to_clear_s: float | None
    checkpoints: Mapping[str, CheckpointKpis]
    areas: Mapping[str, LosKpis]
    links: Mapping[str, LinkKpis]
    transport: TransportKpis | None = None
    format_version: int = field(default=FORMAT_VERSION)
    stages: Mapping[str, StageKpis] = field(default_factory=dict)  # perimeter, ticket
    services: Mapping[str, ServiceKpis] = field(default_factory=dict)
    halftime: HalftimeKpis | None = None

    def worst_halftime_concourse(self) -> Worst | None:
        """The concourse with the worst half-time LoS, then the highest peak density."""
        if self.halftime is None or not self.halftime.concourses:
            return None
        eid, peak = max(
            self.halftime.concourses.items(),
            key=lambda kv: (*LosKpis(kv[1].peak_density_per_m2, kv[1].peak_los).rank(), kv[0]),
        )
        return Worst("halftime", eid, peak.peak_density_per_m2)

    # -- each derived KPI defined once --------------------------------------------------------
    def graded(self) -> dict[str, dict[str, LosKpis]]:
        """Every element with a density, by group: areas, links, checkpoint queue pens and
        (with transport) platforms."""
        out = {
            "areas": dict(self.areas),
            "links": {k: v.los for k, v in self.links.items()},
            "checkpoints": {k: v.los for k, v in self.checkpoints.items()},
        }
        if self.transport is not None:
            platforms = self.transport.platforms.items()
            out["platforms"] = {k: p.los for k, p in platforms if p.los is not None}
        return out

    def minutes_at_los_e_or_f(self) -> float:
        """Element-minutes at LoS E or F, summed over every graded element (``graded``):
        ten places at LoS E for 3 minutes each count 30."""
        return sum(
            los.minutes_at_los_e_or_f for group in self.graded().values() for los in group.values()
        )

    def worst_density(self) -> Worst | None:
        """The element with the worst peak LoS, then the highest peak density (ties by id)."""
        rows = [(g, eid, los) for g, group in self.graded().items() for eid, los in group.items()]
        if not rows:
            return None
        g, eid, los = max(rows, key=lambda r: (*r[2].rank(), r[1]))
        return Worst(g, eid, los.peak_density_per_m2)

    def worst_checkpoint_wait(self) -> Worst | None:
        """The checkpoint with the longest p95 wait (seconds)."""
        if not self.checkpoints:
            return None
        eid, c = max(self.checkpoints.items(), key=lambda kv: (kv[1].waits.p95_wait_s, kv[0]))
        return Worst("checkpoints", eid, c.waits.p95_wait_s)

    def worst_platform_wait(self) -> Worst | None:
        """The platform or car park with the longest p95 wait (seconds); None without any."""
        t = self.transport
        if t is None:
            return None
        rows = [("platforms", k, v.waits.p95_wait_s) for k, v in t.platforms.items()]
        rows += [("car_parks", k, v.waits.p95_wait_s) for k, v in t.car_parks.items()]
        if not rows:
            return None
        g, eid, value = max(rows, key=lambda r: (r[2], r[1]))
        return Worst(g, eid, value)

    @property
    def time_to_leave_area_s(self) -> float | None:
        return None if self.transport is None else self.transport.time_to_leave_area_s

    # -- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready document of ``summary.json`` (plain floats, ints, str, None)."""
        out: dict[str, Any] = {
            **asdict(self.header),
            "format_version": self.format_version,
            "fans": asdict(self.fans),
            "share_seated_at_kickoff": self.share_seated_at_kickoff,
            "time_to_clear_s": self.time_to_clear_s,
            "checkpoints": {k: _checkpoint_dict(v) for k, v in self.checkpoints.items()},
            "stages": {k: _stage_dict(v) for k, v in self.stages.items()},
            "areas": {k: asdict(v) for k, v in self.areas.items()},
            "links": {k: _link_dict(v) for k, v in self.links.items()},
        }
        if self.transport is not None:
            out.update(_transport_dict(self.transport))
        if self.services:
            out["services"] = {k: _service_dict(v) for k, v in self.services.items()}
        if self.halftime is not None:
            out["halftime"] = asdict(self.halftime)
        return out

    def to_json(self) -> str:
        """``summary.json``'s text without the file's extra keys: sorted, stable per seed."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSummary:
        """Read a summary written by any format version (KeyError/TypeError on a bad one)."""
        header_keys: dict[str, Any] = {f.name: data.get(f.name) for f in fields(RunHeader)}
        header = RunHeader(**header_keys)
        transport = None
        if "lines" in data:
            transport = TransportKpis(
                platforms={k: _platform(v) for k, v in data.get("platforms", {}).items()},
                lines={k: LineKpis(**v) for k, v in data.get("lines", {}).items()},
                car_parks={k: _car_park(v) for k, v in data.get("car_parks", {}).items()},
                roads={k: RoadKpis(**v) for k, v in data.get("roads", {}).items()},
                time_to_leave_area_s=data.get("time_to_leave_area_s"),
            )
        return cls(
            header=header,
            fans=FanCounts(**data["fans"]),
            share_seated_at_kickoff=data.get("share_seated_at_kickoff"),
            time_to_clear_s=data.get("time_to_clear_s"),
            checkpoints={k: _checkpoint(v) for k, v in data.get("checkpoints", {}).items()},
            areas={k: _los(v) for k, v in data.get("areas", {}).items()},
            links={k: _link(v) for k, v in data.get("links", {}).items()},
            transport=transport,
            format_version=int(data.get("format_version", 1)),
            stages={k: _stage(v) for k, v in data.get("stages", {}).items()},
            services={k: _service(v) for k, v in data.get("services", {}).items()},
            halftime=_halftime(data["halftime"]) if data.get("halftime") else None,
        )


_LOS_KEYS = tuple(f.name for f in fields(LosKpis))


def _los(d: Mapping[str, Any]) -> LosKpis:
    return LosKpis(**{k: d[k] for k in _LOS_KEYS if k in d})


def _waits(d: Mapping[str, Any]) -> WaitKpis:
    return WaitKpis(
        d.get("p50_wait_s", 0.0), d.get("p95_wait_s", 0.0), d.get("max_wait_s", 0.0),
        d.get("mean_wait_s"),
    )  # fmt: skip


def _wait_dict(w: WaitKpis) -> dict[str, float]:
    out = {"p50_wait_s": w.p50_wait_s, "p95_wait_s": w.p95_wait_s, "max_wait_s": w.max_wait_s}
    if w.mean_wait_s is not None:
        out["mean_wait_s"] = w.mean_wait_s
    return out


def _checkpoint(d: Mapping[str, Any]) -> CheckpointKpis:
    return CheckpointKpis(
        d["served"], _waits(d), d["peak_queue"], _los(d), d.get("stage", "ticket")
    )


def _checkpoint_dict(c: CheckpointKpis) -> dict[str, Any]:
    return {
        "served": c.served,
        "peak_queue": c.peak_queue,
        "stage": c.stage,
        **_wait_dict(c.waits),
        **asdict(c.los),
    }


def _stage(d: Mapping[str, Any]) -> StageKpis:
    return StageKpis(
        d["checkpoints"], d["lanes"], d["capacity_per_h"], d["served"], _waits(d),
        d["peak_queue"],
    )  # fmt: skip


def _stage_dict(st: StageKpis) -> dict[str, Any]:
    return {
        **{f.name: getattr(st, f.name) for f in fields(StageKpis) if f.name != "waits"},
        **_wait_dict(st.waits),
    }


def _link(d: Mapping[str, Any]) -> LinkKpis:
    return LinkKpis(
        d["throughput"], d["mean_occupancy"], d["max_occupancy"], d["share_time_full"], _los(d)
    )


def _link_dict(lk: LinkKpis) -> dict[str, Any]:
    return {
        "throughput": lk.throughput,
        "mean_occupancy": lk.mean_occupancy,
        "max_occupancy": lk.max_occupancy,
        "share_time_full": lk.share_time_full,
        **asdict(lk.los),
    }


def _service(d: Mapping[str, Any]) -> ServiceKpis:
    return ServiceKpis(
        d["area"], d["kind"], d["servers"], d["served"], _waits(d), d["peak_queue"],
        d["utilisation"], d.get("balked", 0),
    )  # fmt: skip


def _service_dict(v: ServiceKpis) -> dict[str, Any]:
    out = {f.name: getattr(v, f.name) for f in fields(ServiceKpis) if f.name != "waits"}
    return {**out, **_wait_dict(v.waits)}


def _halftime(d: Mapping[str, Any]) -> HalftimeKpis:
    peaks = {k: ConcoursePeak(**v) for k, v in d.get("concourses", {}).items()}
    plain = {f.name: d[f.name] for f in fields(HalftimeKpis) if f.name != "concourses"}
    return HalftimeKpis(**plain, concourses=peaks)


def _platform(d: Mapping[str, Any]) -> PlatformKpis:
    los = _los(d) if "peak_los" in d else None
    return PlatformKpis(
        tuple(d.get("lines", ())), d.get("hold"), d["peak_queue"], d["boarded"], _waits(d), los
    )


def _car_park(d: Mapping[str, Any]) -> CarParkKpis:
    return CarParkKpis(
        d["spaces"], d["cars_in"], d["peak_parked"], d["overflow"], d["cars_out"],
        d["peak_queue"], _waits(d),
    )  # fmt: skip


def _transport_dict(t: TransportKpis) -> dict[str, Any]:
    platforms = {
        k: {
            "lines": list(p.lines),
            "hold": p.hold,
            "peak_queue": p.peak_queue,
            "boarded": p.boarded,
            **_wait_dict(p.waits),
            **(asdict(p.los) if p.los is not None else {}),
        }
        for k, p in t.platforms.items()
    }
    car_parks = {
        k: {
            **{f.name: getattr(c, f.name) for f in fields(CarParkKpis) if f.name != "waits"},
            **_wait_dict(c.waits),
        }
        for k, c in t.car_parks.items()
    }
    return {
        "platforms": platforms,
        "lines": {k: asdict(v) for k, v in t.lines.items()},
        "car_parks": car_parks,
        "roads": {k: asdict(v) for k, v in t.roads.items()},
        "time_to_leave_area_s": t.time_to_leave_area_s,
    }
