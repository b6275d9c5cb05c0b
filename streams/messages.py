"""The live path's messages as frozen values: one type per schema, with ``to_json``/``from_json``.

``from_json`` is the trust boundary: it validates the bytes against the JSON Schema (the wire
contract other languages read, ``streams/schemas/``), parses the times (an impossible date
such as 2030-02-30 passes the schema's pattern but not here) and returns a typed value; a
``MessageError`` says why a record was refused. Every stage after the bus works on these
values, never on dicts. Each record is validated once, there: ``to_json()`` validates a value
built from a person's input (an operator's Ack), while ``Publisher`` sends the pipeline's own
values with ``to_json(check=False)`` (their numbers checked finite, the schema left to the
reader). One generic ``to_dict``/``from_dict`` (``_Fields``) maps every type to its JSON.

    ZoneCount   zone.count.v1        one camera's head count
    ZoneDensity zone.density.v1      a zone's density over a window (from the twin)
    Forecast    twin.forecast.v1     the twin's forecast, one ForecastZone per zone
    Alert       ops.alert.v1         an Alert, Update or Cancel of an incident (from the twin)
    Ack         ops.alert.v1         an operator's acknowledgement (msgType Ack)
    DeadLetter  streams.deadletter.v1  a refused record with the reason
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, ClassVar, Self, cast, get_args, get_origin, get_type_hints

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
    cap_name,
    cap_time,
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
    "Reference",
    "ZoneCount",
    "ZoneDensity",
    "at_clock",
    "cap_name",
    "cap_time",
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
CERTAINTIES = ("Unknown", "Unlikely", "Possible", "Likely", "Observed")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = (
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
)  # fmt: skip
# who an ops-room message is for (CAP scope Restricted asks for a restriction text)
RESTRICTION = "venue operations room and stewards"


@dataclass(frozen=True)
class Reference:
    """One CAP 1.2 reference: the sender, identifier and sent time of an earlier message.

    On the wire (JSON array items, and the XML ``references`` list joined by spaces) it is
    ``sender,identifier,sent`` with the CAP forms of each part (``cap_name``, ``cap_time``).
    """

    sender: str
    identifier: str
    sent: datetime

    @classmethod
    def to(cls, sender: str, identifier: str, sent: datetime) -> Reference:
        """The reference to a message, in its CAP form (so it reads back equal from the wire)."""
        return cls(cap_name(sender), cap_name(identifier), sent.replace(microsecond=0))

    def cap(self) -> str:
        """The CAP text ``sender,identifier,sent``."""
        return f"{cap_name(self.sender)},{cap_name(self.identifier)},{cap_time(self.sent)}"

    @classmethod
    def parse(cls, text: str) -> Reference:
        """Inverse of ``cap``; MessageError names what is wrong."""
        parts = text.split(",")
        if len(parts) != 3 or not all(parts):
            raise MessageError(
                f"field 'references': {text[:80]!r} is not 'sender,identifier,sent' (CAP 1.2)"
            )
        return cls(parts[0], parts[1], parse_time(parts[2], field="references"))


class _Kind(Enum):
    """How one field goes to and from JSON (from its type hint)."""

    PLAIN = "plain"  # str, int, bool and their optional forms: as they are
    NUMBER = "number"  # float (or float | None): a finite number; an int on the wire is made float
    TIME = "time"  # datetime (or datetime | None): ISO 8601 text with offset
    TEXTS = "texts"  # tuple[str, ...]: a JSON array, missing = ()
    ROWS = "rows"  # tuple[<a _Fields dataclass>, ...]: an array of objects
    REFS = "refs"  # tuple[Reference, ...]: an array of CAP "sender,identifier,sent" texts


@dataclass(frozen=True)
class _Spec:
    name: str  # the attribute
    wire: str  # the JSON key
    kind: _Kind
    optional: bool  # the hint admits None
    row: Any  # the row class of a ROWS field
    default: Any  # the dataclass default, or _REQUIRED
    omitted: bool  # left out of the JSON when it equals its default


_REQUIRED = object()


class _Fields:
    """``to_dict``/``from_dict`` for a frozen message dataclass, driven by its fields' types.

    One generic mapping for every type instead of a hand-written pair each. Per class,
    ``WIRE_NAMES`` renames fields on the wire (``msg_type`` -> ``msgType``), ``COPIES`` adds
    JSON keys copied from attributes (``identifier`` = ``id``), ``OMITTED`` names fields left
    out when they equal their default, and ``FALLBACKS`` fields read from another key when
    missing. The two methods are generated once per class from that description (as
    ``dataclasses`` generates ``__init__``): every message on the bus goes through them, and
    generated code runs as fast as the hand-written pairs it replaces.
    """

    WIRE_NAMES: ClassVar[Mapping[str, str]] = {}
    COPIES: ClassVar[Mapping[str, str]] = {}
    OMITTED: ClassVar[frozenset[str]] = frozenset()
    FALLBACKS: ClassVar[Mapping[str, str]] = {}

    def to_dict(self) -> Json:
        """The JSON object (numbers checked finite: NaN and infinity are not JSON)."""
        return _codec_of(type(self))[0](self)

    @classmethod
    def from_dict(cls, d: Json) -> Self:
        """The value of a JSON object that passed its schema (times parsed, numbers float)."""
        value: Self = _codec_of(cls)[1](cls, d)
        return value


def _number(value: float, schema: str, wire: str) -> float:
    if not math.isfinite(value):
        raise MessageError(f"{schema}: field '{wire}': {value} is not JSON")
    return value


def _specs(cls: type[_Fields]) -> list[_Spec]:
    hints = get_type_hints(cls)
    out = []
    for f in fields(cast(Any, cls)):
        hint = hints[f.name]
        args = [a for a in get_args(hint) if a is not type(None)]
        optional = len(args) < len(get_args(hint))
        base = args[0] if optional and len(args) == 1 else hint
        row = None
        if base is float:
            kind = _Kind.NUMBER
        elif base is datetime:
            kind = _Kind.TIME
        elif get_origin(base) is tuple:
            row = get_args(base)[0]
            if row is Reference:
                kind = _Kind.REFS
            elif isinstance(row, type) and issubclass(row, _Fields):
                kind = _Kind.ROWS
            else:
                kind = _Kind.TEXTS
        else:
            kind = _Kind.PLAIN
        default = f.default if f.default is not MISSING else _REQUIRED
        wire = cls.WIRE_NAMES.get(f.name, f.name)
        out.append(_Spec(f.name, wire, kind, optional, row, default, f.name in cls.OMITTED))
    return out


_Codec = tuple[Callable[[Any], Json], Callable[[Any, Json], Any]]


@cache
def _codec_of(cls: type[_Fields]) -> _Codec:
    """Generate ``cls``'s to_dict and from_dict from its fields (see ``_Fields``)."""
    specs = _specs(cls)
    schema = getattr(cls, "schema", None)
    env: dict[str, Any] = {
        "iso": iso,
        "parse_time": parse_time,
        "parse_reference": Reference.parse,
        "number": _number,
        "schema": schema,
        "rows": {s.name: s.row for s in specs},
        "defaults": {s.name: s.default for s in specs},
    }
    literal = [] if schema is None else ["'schema': schema"]
    literal += [f"{wire!r}: self.{attr}" for wire, attr in cls.COPIES.items()]
    later: list[str] = []
    reads: list[str] = []
    for s in specs:
        value = f"self.{s.name}"
        text, default = _write[s.kind].format(value=value, wire=s.wire, name=s.name), ""
        if s.optional and s.kind is not _Kind.PLAIN:
            text = f"(None if {value} is None else {text})"
        if s.omitted:
            later.append(f"    if {value} != defaults[{s.name!r}]: out[{s.wire!r}] = {text}")
        else:
            literal.append(f"{s.wire!r}: {text}")
        if s.name in cls.FALLBACKS:
            fallback = cls.FALLBACKS[s.name]
            got = f"(d[{s.wire!r}] if {s.wire!r} in d else d[{fallback!r}])"
        elif s.default is not _REQUIRED:
            got = f"d.get({s.wire!r}, defaults[{s.name!r}])"
        elif s.kind in (_Kind.TEXTS, _Kind.REFS):
            got = f"d.get({s.wire!r}, ())"
        elif s.optional:  # may be absent on the wire (e.g. a dead letter's key): None
            got = f"d.get({s.wire!r})"
        else:
            got = f"d[{s.wire!r}]"
        default = _read[s.kind].format(value="v", wire=s.wire, name=s.name)
        if s.kind is _Kind.PLAIN:
            reads.append(f"{s.name}={got}")
        elif s.optional or s.default is not _REQUIRED:
            reads.append(f"{s.name}=(None if (v := {got}) is None else {default})")
        else:
            reads.append(f"{s.name}={_read[s.kind].format(value=got, wire=s.wire, name=s.name)}")
    # a frozen dataclass's __init__ sets each field through object.__setattr__; with no
    # __post_init__ to run, filling the instance's __dict__ at once gives the same value faster
    plain = not hasattr(cls, "__post_init__") and "__slots__" not in cls.__dict__
    env["new"] = object.__new__
    build = (
        ["    o = new(cls)", "    o.__dict__.update(" + ", ".join(reads) + ")", "    return o"]
        if plain
        else ["    return cls(" + ", ".join(reads) + ")"]
    )
    source = "\n".join(
        [
            "def to_dict(self):",
            "    out = {" + ", ".join(literal) + "}",
            *later,
            "    return out",
            "def from_dict(cls, d):",
            *build,
        ]
    )
    exec(compile(source, f"<{cls.__name__} wire codec>", "exec"), env)  # our own source
    return env["to_dict"], env["from_dict"]


_write = {
    _Kind.PLAIN: "{value}",
    _Kind.NUMBER: "number({value}, schema, {wire!r})",
    _Kind.TIME: "iso({value})",
    _Kind.TEXTS: "list({value})",
    _Kind.ROWS: "[r.to_dict() for r in {value}]",
    _Kind.REFS: "[r.cap() for r in {value}]",
}
_read = {
    _Kind.PLAIN: "{value}",
    _Kind.NUMBER: "float({value})",
    _Kind.TIME: "parse_time({value}, field={wire!r})",
    _Kind.TEXTS: "tuple({value})",
    _Kind.ROWS: "tuple(map(rows[{name!r}].from_dict, {value}))",
    _Kind.REFS: "tuple(map(parse_reference, {value}))",
}


class _Wire(_Fields):
    """``to_json``/``from_json`` for every message type."""

    schema: ClassVar[str]

    def to_json(self, *, check: bool = True) -> bytes:
        """Compact UTF-8 JSON, as it goes on the bus.

        ``check=False`` skips the schema for values the pipeline built itself from typed
        fields (``Publisher`` sends those): consumers validate at their boundary anyway, and
        checking twice doubled the cost of a message. Values built from a person's input (an
        operator's Ack) keep the check, so nothing is sent that consumers refuse.
        """
        return encode(self.to_dict(), check=check)

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

    OMITTED: ClassVar[frozenset[str]] = frozenset({"in_count", "out_count"})


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


@dataclass(frozen=True)
class ForecastZone(_Fields):
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

    OMITTED: ClassVar[frozenset[str]] = frozenset(
        {
            "mean_wait_s",
            "density_5min_p10_per_m2",
            "density_5min_p90_per_m2",
            "density_10min_p10_per_m2",
            "density_10min_p90_per_m2",
            "density_20min_p10_per_m2",
            "density_20min_p90_per_m2",
        }
    )


@dataclass(frozen=True)
class Estimate(_Fields):
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

    @property
    def learnt(self) -> bool:
        """The members agree it is off the plan: p10-p90 leaves 1 out, the median 10% from it.

        A parameter no count informs wanders within its prior; that is not news. The dashboard
        lists the same ones (``learnt`` in ``static/app.js``).
        """
        return abs(self.p50 - 1.0) > 0.1 and (self.p10 > 1.0 or self.p90 < 1.0)


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

    OMITTED: ClassVar[frozenset[str]] = frozenset({"count_lag_s"})


@dataclass(frozen=True)
class Alert(_Wire):
    """One message of an incident thread: ``msg_type`` Alert, Update or Cancel (CAP 1.2).

    Carries every field OASIS CAP 1.2 requires (identifier, sender, sent, status, msgType,
    scope; category, event, urgency, severity, certainty; areaDesc); ``streams.cap_xml``
    renders it as CAP XML. ``references`` are the earlier messages this one follows.
    """

    schema: ClassVar[str] = OPS_ALERT
    id: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    incident: str
    references: tuple[Reference, ...]
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
    scope: str = "Restricted"
    restriction: str = RESTRICTION
    category: tuple[str, ...] = ("Safety",)

    WIRE_NAMES: ClassVar[Mapping[str, str]] = {"msg_type": "msgType", "area_desc": "areaDesc"}
    COPIES: ClassVar[Mapping[str, str]] = {"identifier": "id"}
    OMITTED: ClassVar[frozenset[str]] = frozenset({"note", "signature"})
    FALLBACKS: ClassVar[Mapping[str, str]] = {"area_desc": "zone"}  # areaDesc is optional

    @property
    def reference(self) -> Reference:
        """How a later message (an Update, an operator's Ack) references this one."""
        return Reference.to(self.sender, self.id, self.sent)


@dataclass(frozen=True)
class Ack(_Wire):
    """An operator's acknowledgement of an incident (ops.alert.v1, msgType Ack).

    ``references`` names the message acknowledged (CAP: an Ack references what it acks).
    """

    schema: ClassVar[str] = OPS_ALERT
    msg_type: ClassVar[str] = "Ack"
    id: str
    sender: str
    sent: datetime
    status: str
    incident: str
    references: tuple[Reference, ...]
    note: str = ""
    zone: str | None = None
    signature: str | None = None
    scope: str = "Restricted"
    restriction: str = RESTRICTION

    COPIES: ClassVar[Mapping[str, str]] = {"identifier": "id", "msgType": "msg_type"}
    OMITTED: ClassVar[frozenset[str]] = frozenset({"zone", "signature"})

    @property
    def reference(self) -> Reference:
        return Reference.to(self.sender, self.id, self.sent)

    @classmethod
    def of(
        cls,
        incident: str,
        acked: Reference,
        *,
        sender: str,
        status: str,
        note: str = "",
        **kw: Any,
    ) -> Ack:
        """A fresh Ack of ``incident``, sent now, referencing the message ``acked``."""
        ident = new_id()
        sent = utc_now().replace(microsecond=0)
        return cls(ident, sender, sent, status, incident, (acked,), note, **kw)


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
