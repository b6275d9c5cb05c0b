"""Alert rules: small pure functions of the twin's state, chosen by name in YAML.

A rule gets the ``TwinState`` (observed and forecast state of every zone, camera health) and its
own parameters, and returns ``Finding``s. A finding is ``raised`` when its condition holds; a
rule also returns *near* findings (``raised=False``, value within the hysteresis band) so the
alert book keeps an open alert alive instead of letting it flap at the threshold.

A rule declares its parameters when it registers (``Param.level``, ``Param.number``,
``Param.names``); the rules file is checked against them when it is loaded, so a misspelt key
or an unknown level is an error naming the file, the field and the fix, and the rule receives
every declared parameter (defaults filled in).

Adding a rule::

    @register_rule("queue_length", limit=Param.number(2000))
    def queue_length(state: TwinState, params: Mapping[str, Any], band: float) -> list[Finding]:
        limit = float(params["limit"])
        return [finding("queue_length", z, z.occupancy_now, limit, band, severity="Moderate",
                        headline=f"{z.label}: {z.occupancy_now} queuing")
                for z in state.zones if z.element_type == "checkpoint"
                if z.occupancy_now >= limit * band]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.venue.los import LEVELS, LosScale, density_at_level
from streams.instructions import crowding_instruction, queue_instruction
from streams.messages import SEVERITIES

__all__ = [
    "RULES",
    "SEVERITIES",
    "CameraHealth",
    "Finding",
    "Param",
    "TwinState",
    "ZoneState",
    "certainty_of",
]


@dataclass(frozen=True)
class ZoneState:
    """What the twin knows about one zone at one instant."""

    zone: str
    element_type: str  # origin | area | link | checkpoint | sector
    label: str
    los_scale: LosScale
    floor_m2: float  # 0 when the element has no floor area
    occupancy_now: int
    density_now: float
    forecast: tuple[tuple[float, float], ...] = ()  # (clock_s, density) over the horizon
    wait_s: float = 0.0  # checkpoints: forecast mean queue wait over the horizon
    mode: str = ""  # origins: tram | rail | bus | car | walk
    observed: bool = False
    place: str = ""  # gate | concourse | forecourt | stairs | exit | platform | pavement
    # the ensemble: every member's density at the forecast's times (members x times)
    ensemble: tuple[tuple[float, ...], ...] = ()

    def share_reaching(self, limit: float, samples: int | None = None) -> float | None:
        """Share of the ensemble's members whose forecast reaches ``limit`` within its first
        ``samples`` samples (all by default); None without an ensemble."""
        if not self.ensemble:
            return None
        rows = (row[:samples] for row in self.ensemble)
        return sum(max(row, default=0.0) >= limit for row in rows) / len(self.ensemble)

    def share_now(self, limit: float) -> float | None:
        """Share of the members at or above ``limit`` at the first forecast sample."""
        if not self.ensemble or not self.ensemble[0]:
            return None
        return sum(row[0] >= limit for row in self.ensemble) / len(self.ensemble)

    @property
    def seen(self) -> str:
        """How the zone's numbers are known, for headlines: empty when a camera sees it."""
        return "" if self.observed else " (estimated: no camera)"


@dataclass(frozen=True)
class CameraHealth:
    """When a camera last reported, in twin clock seconds."""

    camera: str
    zone: str
    last_seen_s: float


@dataclass(frozen=True)
class TwinState:
    """Everything the rules see: one instant of the assimilated venue and its forecast."""

    clock_s: float
    horizon_s: float
    zones: tuple[ZoneState, ...]
    cameras: tuple[CameraHealth, ...] = ()
    phase: str = ""  # ingress | match | egress (streams.instructions.MatchPhases); "" unknown


def certainty_of(observed: bool, probability: float | None) -> str:
    """CAP certainty: Observed only where a camera sees it, else from the probability.

    ``probability`` is the chance the condition holds (an ensemble's share of members);
    above 50% is Likely, else Possible (CAP 1.2: Likely p > ~50%, Possible p <= ~50%). A
    single model run states no probability, so it claims no more than Possible.
    """
    if observed:
        return "Observed"
    return "Likely" if probability is not None and probability > 0.5 else "Possible"


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one zone; the alert book turns findings into CAP messages.

    ``thread`` groups rules that speak of one condition (``density_forecast`` and
    ``density_now`` at the same level): the book keeps one incident per thread and zone, so
    a forecast that comes true escalates its alert instead of cancelling it for a new one.
    ``certainty`` left empty is derived from ``observed`` and ``probability``.
    """

    rule: str
    zone: str
    raised: bool
    value: float
    threshold: float
    severity: str
    headline: str
    instruction: str
    event: str = "Crowd density"
    urgency: str = "Immediate"
    certainty: str = ""
    onset_s: float | None = None  # None = now
    observed: bool = False  # a fresh camera count stands behind the value
    probability: float | None = None  # chance the condition holds, 0..1 (ensemble)
    thread: str = ""  # "" = the rule's own name
    category: tuple[str, ...] = ("Safety",)  # CAP info/category

    @property
    def key(self) -> tuple[str, str]:
        """The incident this finding belongs to: (thread, zone)."""
        return (self.thread or self.rule, self.zone)

    @property
    def cap_certainty(self) -> str:
        """The CAP certainty of this finding."""
        return self.certainty or certainty_of(self.observed, self.probability)


@dataclass(frozen=True)
class Param:
    """One declared rule parameter: its kind (level, number, names) and default."""

    kind: str
    default: Any

    @staticmethod
    def level(default: str) -> Param:
        """A Fruin level A-F."""
        return Param("level", default)

    @staticmethod
    def number(default: float) -> Param:
        """A finite number >= 0 (seconds, persons, ...)."""
        return Param("number", default)

    @staticmethod
    def names(default: tuple[str, ...]) -> Param:
        """A list of names (e.g. transport modes)."""
        return Param("names", tuple(default))

    def check(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this parameter (the expected form), or None."""
        if self.kind == "level":
            ok = isinstance(value, str) and value in LEVELS
            return None if ok else f"a Fruin level, one of {', '.join(LEVELS)}"
        if self.kind == "number":
            number = isinstance(value, int | float) and not isinstance(value, bool)
            return None if number and 0 <= value < float("inf") else "a number >= 0"
        names = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        return None if names else "a list of names"


Rule = Callable[[TwinState, Mapping[str, Any], float], list[Finding]]
RULES: dict[str, Rule] = {}
PARAMS: dict[str, dict[str, Param]] = {}  # rule name -> its declared parameters


def register_rule(name: str, **params: Param) -> Callable[[Rule], Rule]:
    """Make a rule available to rules YAML under ``name`` with its declared ``params``."""

    def add(rule: Rule) -> Rule:
        RULES[name] = rule
        PARAMS[name] = dict(params)
        return rule

    return add


def defaults(name: str) -> dict[str, Any]:
    """The declared parameters of rule ``name`` with their defaults."""
    return {key: p.default for key, p in PARAMS[name].items()}


def _threshold(zone: ZoneState, level: str) -> float:
    return density_at_level(level, zone.los_scale)


def _level_severity(density: float, zone: ZoneState, level: str) -> str:
    """Severe at the rule's level, Extreme once at F (or one level above the rule's)."""
    top = LEVELS[min(LEVELS.index(level) + 1, len(LEVELS) - 1)]
    return "Extreme" if density >= _threshold(zone, top) and top != level else "Severe"


@register_rule("density_now", level=Param.level("E"))
def density_now(state: TwinState, params: Mapping[str, Any], band: float) -> list[Finding]:
    """Density at or above a Fruin level now (default E) in any zone with a floor area."""
    level = str(params.get("level", "E"))
    out = []
    for z in state.zones:
        limit = _threshold(z, level)
        if z.floor_m2 <= 0 or z.element_type == "origin" or z.density_now < limit * band:
            continue
        out.append(
            Finding(
                "density_now",
                z.zone,
                z.density_now >= limit,
                z.density_now,
                limit,
                _level_severity(z.density_now, z, level),
                f"{z.label}: {z.density_now:.2f} persons/m² (LoS {level} or worse) now{z.seen}",
                crowding_instruction(z.place, state.phase, z.label, ahead_min=None),
                observed=z.observed,
                probability=z.share_now(limit),
                thread=f"density:{level}",
            )
        )
    return out


@register_rule("density_forecast", level=Param.level("E"))
def density_forecast(state: TwinState, params: Mapping[str, Any], band: float) -> list[Finding]:
    """A zone predicted to reach a Fruin level within the horizon, with the predicted time."""
    level = str(params.get("level", "E"))
    out = []
    for z in state.zones:
        limit = _threshold(z, level)
        if z.floor_m2 <= 0 or z.element_type == "origin" or z.density_now >= limit:
            continue  # already there: density_now speaks for it
        # the horizon the twin states; its last sample may lie just past it
        ahead = [(t, d) for t, d in z.forecast if t <= state.clock_s + state.horizon_s + 1e-6]
        near = next((t for t, d in ahead if d >= limit * band), None)
        if near is None:
            continue
        peak = max(d for _, d in ahead)
        # onset: when the level itself is predicted (the band's edge for a near finding)
        onset = next((t for t, d in ahead if d >= limit), near)
        minutes = (onset - state.clock_s) / 60
        out.append(
            Finding(
                "density_forecast",
                z.zone,
                peak >= limit,
                peak,
                limit,
                "Severe" if minutes <= 5 else "Moderate",
                f"{z.label}: LoS {level} predicted in {minutes:.0f} min "
                f"(peak {peak:.2f} persons/m²){z.seen}",
                crowding_instruction(z.place, state.phase, z.label, ahead_min=minutes),
                urgency="Expected",
                onset_s=onset,
                probability=z.share_reaching(limit, len(ahead)),
                thread=f"density:{level}",
            )
        )
    return out


@register_rule("checkpoint_wait", limit_s=Param.number(600.0))
def checkpoint_wait(state: TwinState, params: Mapping[str, Any], band: float) -> list[Finding]:
    """Forecast mean queue wait at a checkpoint above ``limit_s`` (default 600 s)."""
    limit = float(params.get("limit_s", 600.0))
    return [
        Finding(
            "checkpoint_wait",
            z.zone,
            z.wait_s >= limit,
            z.wait_s,
            limit,
            "Severe" if z.wait_s >= 2 * limit else "Moderate",
            f"{z.label}: queue wait {z.wait_s / 60:.0f} min (limit {limit / 60:.0f})",
            queue_instruction(state.phase, z.label),
            event="Queue wait",
            urgency="Expected",
        )
        for z in state.zones
        if z.element_type == "checkpoint" and z.wait_s >= limit * band
    ]


@register_rule(
    "platform_crowding", level=Param.level("D"), modes=Param.names(("tram", "rail", "bus"))
)
def platform_crowding(state: TwinState, params: Mapping[str, Any], band: float) -> list[Finding]:
    """A transport platform (origin with a floor area) at or above a queuing-scale level."""
    level = str(params.get("level", "D"))
    modes = tuple(params.get("modes", ("tram", "rail", "bus")))
    out = []
    for z in state.zones:
        limit = density_at_level(level, "queuing")
        if z.element_type != "origin" or z.mode not in modes or z.floor_m2 <= 0:
            continue
        if z.density_now < limit * band:
            continue
        out.append(
            Finding(
                "platform_crowding",
                z.zone,
                z.density_now >= limit,
                z.density_now,
                limit,
                "Severe" if z.density_now >= density_at_level("E", "queuing") else "Moderate",
                f"{z.label}: platform at {z.density_now:.2f} persons/m²",
                crowding_instruction(z.place or "platform", state.phase, z.label, ahead_min=None),
                event="Platform overcrowding",
                observed=z.observed,
                category=("Safety", "Transport"),
            )
        )
    return out


@register_rule("camera_stale", after_s=Param.number(30.0))
def camera_stale(state: TwinState, params: Mapping[str, Any], band: float) -> list[Finding]:
    """A camera silent for ``after_s`` (default 30 s of match clock); Moderate past 4x."""
    after = float(params.get("after_s", 30.0))
    out = []
    for cam in state.cameras:
        age = state.clock_s - cam.last_seen_s
        if age < after * band:
            continue
        out.append(
            Finding(
                "camera_stale",
                cam.camera,
                age >= after,
                age,
                after,
                "Moderate" if age >= 4 * after else "Minor",
                f"Camera {cam.camera} ({cam.zone}) silent for {age:.0f} s",
                f"Check camera {cam.camera}; the twin is using the model for {cam.zone}.",
                event="Camera stale",
                certainty="Observed",  # the silence itself is observed
                category=("Infra",),
            )
        )
    return out
