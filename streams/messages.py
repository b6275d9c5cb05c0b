"""The live path's messages as frozen values: one type per schema, with ``to_json``/``from_json``.

``from_json`` is the trust boundary: it validates the bytes against the JSON Schema (the wire
contract other languages read, ``streams/schemas/``), parses the times (an impossible date
such as 2030-02-30 passes the schema's pattern but not here) and returns a typed value; a
``MessageError`` says why a record was refused. Every stage after the bus works on these
values, never on dicts. ``to_json`` validates too, so nothing is sent that consumers refuse.

    ZoneCount   zone.count.v1        one camera's head count
    ZoneDensity zone.density.v1      a zone's density over a window (from the twin)
    Forecast    twin.forecast.v1     the twin's forecast, one ForecastZone per zone
    Alert       ops.alert.v1         an Alert, Update or Cancel of an incident (from the twin)
    Ack         ops.alert.v1         an operator's acknowledgement (msgType Ack)
    DeadLetter  streams.deadletter.v1  a refused record with the reason
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Self

from streams.codec import (
    DEAD_LETTER,
    MAX_MESSAGE_BYTES,
    OPS_ALERT,
    SCHEMA_DIR,
    SCHEMAS,
    TOPICS,
    TWIN_FORECAST,
    ZONE_COUNT,
    ZONE_DENSITY,
    Json,
    at_clock,
    clock_seconds,
    decode,
    encode,
    iso,
    new_id,
    parse_time,
    seconds_since,
    utc_now,
    validate,
)
from streams.errors import MessageError

__all__ = [
    "DEAD_LETTER",
    "MAX_MESSAGE_BYTES",
    "OPS_ALERT",
    "SCHEMAS",
    "SCHEMA_DIR",
    "SEVERITIES",
    "TOPICS",
    "TWIN_FORECAST",
    "ZONE_COUNT",
    "ZONE_DENSITY",
    "Ack",
    "Alert",
    "DeadLetter",
    "Estimate",
    "Forecast",
    "ForecastZone",
    "Message",
    "ZoneCount",
    "ZoneDensity",
    "at_clock",
    "clock_seconds",
    "dead_letter",
    "decode",
    "encode",
    "from_json",
    "iso",
    "new_id",
    "parse_time",
    "seconds_since",
    "utc_now",
    "validate",
]

# CAP 1.2 severities, least to most severe: the one order the rules, the alert book and the
# dashboard's queue all use.
SEVERITIES = ("Unknown", "Minor", "Moderate", "Severe", "Extreme")
URGENCIES = ("Unknown", "Past", "Future", "Expected", "Immediate")


def _drop_none(data: Json, *names: str) -> Json:
    """``data`` without the optional fields ``names`` that are None (the schema omits them)."""
    return {k: v for k, v in data.items() if not (k in names and v is None)}


class _Wire:
    """``to_json``/``from_json`` for every message type (each defines ``to_dict``/``from_dict``)."""

    def to_dict(self) -> Json:
        raise NotImplementedError

    def to_json(self) -> bytes:
        """Validated compact UTF-8 JSON, as it goes on the bus."""
        return encode(self.to_dict())

    @classmethod
    def from_json(cls, data: bytes | None) -> Self:
        """The value in ``data``; MessageError if it is not a valid message of this type."""
        value = from_json(data)
        if not isinstance(value, cls):
            raise MessageError(f"expected {cls.__name__}, found {type(value).__name__}")
        return value


@dataclass(frozen=True)
class ZoneCount(_Wire):
    """One camera's head count in one zone at one instant (``event_time`` is timezone-aware)."""

    schema: ClassVar[str] = ZONE_COUNT
    id: str
    camera: str
    zone: str
    event_time: datetime
    count: int
    model: str
    confidence: float
    density_per_m2: float | None = None
    in_count: int | None = None
    out_count: int | None = None

    def to_dict(self) -> Json:
        data = {
            "schema": ZONE_COUNT,
            "id": self.id,
            "camera": self.camera,
            "zone": self.zone,
            "event_time": iso(self.event_time),
            "count": self.count,
            "density_per_m2": self.density_per_m2,
            "in_count": self.in_count,
            "out_count": self.out_count,
            "model": self.model,
            "confidence": self.confidence,
        }
        return _drop_none(data, "in_count", "out_count")

    @classmethod
    def from_dict(cls, d: Json) -> ZoneCount:
        return cls(
            id=d["id"],
            camera=d["camera"],
            zone=d["zone"],
            event_time=parse_time(d["event_time"], field="event_time"),
            count=d["count"],
            model=d["model"],
            confidence=float(d["confidence"]),
            density_per_m2=d.get("density_per_m2"),
            in_count=d.get("in_count"),
            out_count=d.get("out_count"),
        )


@dataclass(frozen=True)
class ZoneDensity(_Wire):
    """A zone's density over a window, aggregated over its cameras by the twin."""

    schema: ClassVar[str] = ZONE_DENSITY
    id: str
    zone: str
    window_start: datetime
    window_end: datetime
    cameras: tuple[str, ...]
    samples: int
    count_mean: float
    density_mean_per_m2: float
    density_max_per_m2: float
    los: str

    def to_dict(self) -> Json:
        return {
            "schema": ZONE_DENSITY,
            "id": self.id,
            "zone": self.zone,
            "window_start": iso(self.window_start),
            "window_end": iso(self.window_end),
            "cameras": list(self.cameras),
            "samples": self.samples,
            "count_mean": self.count_mean,
            "density_mean_per_m2": self.density_mean_per_m2,
            "density_max_per_m2": self.density_max_per_m2,
            "los": self.los,
        }

    @classmethod
    def from_dict(cls, d: Json) -> ZoneDensity:
        return cls(
            id=d["id"],
            zone=d["zone"],
            window_start=parse_time(d["window_start"], field="window_start"),
            window_end=parse_time(d["window_end"], field="window_end"),
            cameras=tuple(d.get("cameras", ())),
            samples=d["samples"],
            count_mean=float(d["count_mean"]),
            density_mean_per_m2=float(d["density_mean_per_m2"]),
            density_max_per_m2=float(d["density_max_per_m2"]),
            los=d["los"],
        )


@dataclass(frozen=True)
class ForecastZone:
    """One zone's row of a forecast: now and at +5/+10/+20 minutes (None beyond the horizon).

    The densities ahead are the ensemble's median, with its p10 and p90; ``estimated`` marks a
    zone no camera sees (its numbers are the model's alone).
    """

    zone: str
    element_type: str
    observed: bool
    occupancy_now: int
    density_now_per_m2: float
    los_now: str
    density_5min_per_m2: float | None = None
    density_10min_per_m2: float | None = None
    density_20min_per_m2: float | None = None
    los_5min: str | None = None
    los_10min: str | None = None
    los_20min: str | None = None
    mean_wait_s: float | None = None
    density_5min_p10_per_m2: float | None = None
    density_5min_p90_per_m2: float | None = None
    density_10min_p10_per_m2: float | None = None
    density_10min_p90_per_m2: float | None = None
    density_20min_p10_per_m2: float | None = None
    density_20min_p90_per_m2: float | None = None
    estimated: bool = False

    FIELDS: ClassVar[tuple[str, ...]] = (
        "zone",
        "element_type",
        "observed",
        "occupancy_now",
        "density_now_per_m2",
        "los_now",
        "density_5min_per_m2",
        "density_10min_per_m2",
        "density_20min_per_m2",
        "los_5min",
        "los_10min",
        "los_20min",
        "mean_wait_s",
        "density_5min_p10_per_m2",
        "density_5min_p90_per_m2",
        "density_10min_p10_per_m2",
        "density_10min_p90_per_m2",
        "density_20min_p10_per_m2",
        "density_20min_p90_per_m2",
        "estimated",
    )
    OPTIONAL: ClassVar[tuple[str, ...]] = FIELDS[12:19]

    def to_dict(self) -> Json:
        return _drop_none({f: getattr(self, f) for f in self.FIELDS}, *self.OPTIONAL)

    @classmethod
    def from_dict(cls, d: Json) -> ForecastZone:
        values: dict[str, Any] = {f: d.get(f) for f in cls.FIELDS}
        values["estimated"] = bool(d.get("estimated", False))
        return cls(**values)


@dataclass(frozen=True)
class Estimate:
    """The ensemble's estimate of one parameter, as a factor of the plan (1 = as planned).

    ``parameter``: ``cap`` (a gate's screening capacity), ``flow`` (a door's flow) or
    ``speed`` (walking speed everywhere, ``element`` empty).
    """

    parameter: str
    element: str
    p10: float
    p50: float
    p90: float
    text: str

    FIELDS: ClassVar[tuple[str, ...]] = ("parameter", "element", "p10", "p50", "p90", "text")

    def to_dict(self) -> Json:
        return {f: getattr(self, f) for f in self.FIELDS}

    @classmethod
    def from_dict(cls, d: Json) -> Estimate:
        return cls(
            str(d["parameter"]),
            str(d["element"]),
            float(d["p10"]),
            float(d["p50"]),
            float(d["p90"]),
            str(d["text"]),
        )


@dataclass(frozen=True)
class Forecast(_Wire):
    """The twin's forecast from the assimilated state; ``count_lag_s`` and ``coalesced`` say
    how far behind the newest applied count is and how many counts were superseded unread."""

    schema: ClassVar[str] = TWIN_FORECAST
    id: str
    issued: datetime
    clock_s: float
    horizon_s: float
    warm_start_ms: float
    zones: tuple[ForecastZone, ...]
    count_lag_s: float | None = None
    coalesced: int = 0
    members: int = 1  # ensemble members behind the quantiles
    estimates: tuple[Estimate, ...] = ()  # the parameters the ensemble learnt

    def to_dict(self) -> Json:
        data = {
            "schema": TWIN_FORECAST,
            "id": self.id,
            "issued": iso(self.issued),
            "clock_s": self.clock_s,
            "horizon_s": self.horizon_s,
            "warm_start_ms": self.warm_start_ms,
            "zones": [z.to_dict() for z in self.zones],
            "count_lag_s": self.count_lag_s,
            "coalesced": self.coalesced,
            "members": self.members,
            "estimates": [e.to_dict() for e in self.estimates],
        }
        return _drop_none(data, "count_lag_s")

    @classmethod
    def from_dict(cls, d: Json) -> Forecast:
        return cls(
            id=d["id"],
            issued=parse_time(d["issued"], field="issued"),
            clock_s=float(d["clock_s"]),
            horizon_s=float(d["horizon_s"]),
            warm_start_ms=float(d["warm_start_ms"]),
            zones=tuple(ForecastZone.from_dict(z) for z in d["zones"]),
            count_lag_s=d.get("count_lag_s"),
            coalesced=d.get("coalesced", 0),
            members=int(d.get("members", 1)),
            estimates=tuple(Estimate.from_dict(e) for e in d.get("estimates", ())),
        )


@dataclass(frozen=True)
class Alert(_Wire):
    """One message of an incident thread: ``msg_type`` Alert, Update or Cancel (CAP 1.2)."""

    schema: ClassVar[str] = OPS_ALERT
    id: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    incident: str
    references: tuple[str, ...]
    event: str
    rule: str
    urgency: str
    severity: str
    certainty: str
    onset: datetime
    expires: datetime
    headline: str
    instruction: str
    zone: str
    area_desc: str
    state: str
    value: float | None = None
    threshold: float | None = None
    note: str = ""
    signature: str | None = None

    def to_dict(self) -> Json:
        data = {
            "schema": OPS_ALERT,
            "id": self.id,
            "identifier": self.id,
            "sender": self.sender,
            "sent": iso(self.sent),
            "status": self.status,
            "msgType": self.msg_type,
            "incident": self.incident,
            "references": list(self.references),
            "event": self.event,
            "rule": self.rule,
            "urgency": self.urgency,
            "severity": self.severity,
            "certainty": self.certainty,
            "onset": iso(self.onset),
            "expires": iso(self.expires),
            "headline": self.headline,
            "instruction": self.instruction,
            "zone": self.zone,
            "areaDesc": self.area_desc,
            "state": self.state,
            "value": self.value,
            "threshold": self.threshold,
            "note": self.note or None,
            "signature": self.signature,
        }
        return _drop_none(data, "note", "signature")

    @classmethod
    def from_dict(cls, d: Json) -> Alert:
        return cls(
            id=d["id"],
            sender=d["sender"],
            sent=parse_time(d["sent"], field="sent"),
            status=d["status"],
            msg_type=d["msgType"],
            incident=d["incident"],
            references=tuple(d["references"]),
            event=d["event"],
            rule=d["rule"],
            urgency=d["urgency"],
            severity=d["severity"],
            certainty=d["certainty"],
            onset=parse_time(d["onset"], field="onset"),
            expires=parse_time(d["expires"], field="expires"),
            headline=d["headline"],
            instruction=d["instruction"],
            zone=d["zone"],
            area_desc=str(d.get("areaDesc", d["zone"])),
            state=d["state"],
            value=d.get("value"),
            threshold=d.get("threshold"),
            note=d.get("note", ""),
            signature=d.get("signature"),
        )


@dataclass(frozen=True)
class Ack(_Wire):
    """An operator's acknowledgement of an incident (ops.alert.v1, msgType Ack)."""

    schema: ClassVar[str] = OPS_ALERT
    msg_type: ClassVar[str] = "Ack"
    id: str
    sender: str
    sent: datetime
    status: str
    incident: str
    references: tuple[str, ...]
    note: str = ""
    zone: str | None = None
    signature: str | None = None

    def to_dict(self) -> Json:
        data = {
            "schema": OPS_ALERT,
            "id": self.id,
            "identifier": self.id,
            "sender": self.sender,
            "sent": iso(self.sent),
            "status": self.status,
            "msgType": "Ack",
            "incident": self.incident,
            "references": list(self.references),
            "note": self.note,
            "zone": self.zone,
            "signature": self.signature,
        }
        return _drop_none(data, "zone", "signature")

    @classmethod
    def from_dict(cls, d: Json) -> Ack:
        return cls(
            id=d["id"],
            sender=d["sender"],
            sent=parse_time(d["sent"], field="sent"),
            status=d["status"],
            incident=d["incident"],
            references=tuple(d["references"]),
            note=d.get("note", ""),
            zone=d.get("zone"),
            signature=d.get("signature"),
        )

    @classmethod
    def of(cls, incident: str, *, sender: str, status: str, note: str = "", **kw: Any) -> Ack:
        """A fresh Ack of ``incident`` sent now."""
        ident = new_id()
        return cls(ident, sender, utc_now(), status, incident, (incident,), note, **kw)


@dataclass(frozen=True)
class DeadLetter(_Wire):
    """A record a consumer refused, with the reason (the payload cut so it always fits)."""

    schema: ClassVar[str] = DEAD_LETTER
    id: str
    topic: str
    key: str | None
    reason: str
    received: datetime
    size_bytes: int
    payload: str

    def to_dict(self) -> Json:
        return {
            "schema": DEAD_LETTER,
            "id": self.id,
            "topic": self.topic,
            "key": self.key,
            "reason": self.reason,
            "received": iso(self.received),
            "size_bytes": self.size_bytes,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, d: Json) -> DeadLetter:
        return cls(
            id=d["id"],
            topic=d["topic"],
            key=d.get("key"),
            reason=d["reason"],
            received=parse_time(d["received"], field="received"),
            size_bytes=d["size_bytes"],
            payload=d["payload"],
        )

    @classmethod
    def of(cls, topic: str, key: str | None, data: bytes | None, reason: str) -> DeadLetter:
        raw = data or b""
        payload = raw[:4096].decode("utf-8", errors="replace")[:4096]
        return cls(new_id(), topic, key, reason[:2000] or "refused", utc_now(), len(raw), payload)


Message = ZoneCount | ZoneDensity | Forecast | Alert | Ack | DeadLetter
_TYPES: dict[str, Any] = {
    ZONE_COUNT: ZoneCount,
    ZONE_DENSITY: ZoneDensity,
    TWIN_FORECAST: Forecast,
    DEAD_LETTER: DeadLetter,
}


def from_dict(data: Json, *, expected: str | None = None, validated: bool = False) -> Message:
    """A validated typed value from a parsed JSON object (MessageError if it is not one).

    ``validated=True`` skips the schema check for an object ``decode`` has just checked.
    """
    if not validated:
        validate(data, expected=expected)
    if data["schema"] == OPS_ALERT:
        return Ack.from_dict(data) if data["msgType"] == "Ack" else Alert.from_dict(data)
    value: Message = _TYPES[data["schema"]].from_dict(data)
    return value


def from_json(data: bytes | None, *, expected: str | None = None) -> Message:
    """Decode, validate and type one record's bytes: the trust boundary of every consumer."""
    return from_dict(decode(data, expected=expected), validated=True)


def to_json(message: Message) -> bytes:
    """Validate and serialise a typed value."""
    return message.to_json()


def dead_letter(topic: str, key: str | None, data: bytes | None, reason: str) -> Json:
    """The dead-letter record for a refused message, as JSON (kept for older callers)."""
    return DeadLetter.of(topic, key, data, reason).to_dict()
