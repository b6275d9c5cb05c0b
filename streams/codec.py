"""The wire contract: JSON Schema validation, byte encoding and the time format of messages.

Every message is a JSON object with a ``schema`` field naming its schema (also its topic) and
an ``id`` consumers de-duplicate on. Schemas live as JSON Schema files in ``streams/schemas/``
so non-Python consumers read the same contract. Each schema is compiled once to Python code
(fastjsonschema: a few microseconds a message instead of the ~80 us of an interpreted
validator), and validation runs once, where bytes cross the trust boundary: ``decode`` refuses
what came off the bus. ``encode`` validates plain JSON objects (a producer written against the
schemas alone, an operator's input); the pipeline's own typed values (``streams.messages``)
are trusted and skip it. JSON itself is msgspec's (C, strict).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import msgspec

from streams.errors import MessageError
from streams.fastpath import struct_decoder

ZONE_COUNT = "zone.count.v1"
ZONE_DENSITY = "zone.density.v1"
TWIN_FORECAST = "twin.forecast.v1"
OPS_ALERT = "ops.alert.v1"
DEAD_LETTER = "streams.deadletter.v1"
SCHEMAS = (ZONE_COUNT, ZONE_DENSITY, TWIN_FORECAST, OPS_ALERT, DEAD_LETTER)
TOPICS = SCHEMAS  # one topic per schema, named after it

MAX_MESSAGE_BYTES = 256 * 1024  # larger messages are dead-lettered, never parsed
SCHEMA_DIR = Path(__file__).with_name("schemas")

Json = dict[str, Any]

# msgspec's JSON in C: strict (no NaN/Infinity, numbers in range, valid UTF-8), about 1 us a
# message each way against 3-8 us for the standard library's json
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


@cache
def validator(schema: str) -> Callable[[Any], Any]:
    """The compiled validator for ``schema`` (e.g. "zone.count.v1")."""
    path = SCHEMA_DIR / f"{schema}.json"
    if schema not in SCHEMAS or not path.exists():
        raise MessageError(f"unknown schema {schema!r}; expected one of {', '.join(SCHEMAS)}")
    compiled: Callable[[Any], Any] = fastjsonschema.compile(
        json.loads(path.read_text()), use_formats=False
    )
    return compiled


@cache
def fast_decoder(schema: str) -> msgspec.json.Decoder[Any] | None:
    """The one-pass parse-and-check of ``schema`` (``streams.fastpath``), None if it has none."""
    if schema not in SCHEMAS:
        return None
    document = json.loads((SCHEMA_DIR / f"{schema}.json").read_text())
    return struct_decoder(document, schema)


def validate(message: Json, *, expected: str | None = None) -> Json:
    """Check ``message`` against the schema it names; return it unchanged or raise MessageError."""
    if not isinstance(message, dict):
        raise MessageError(f"expected a JSON object, found {type(message).__name__}")
    schema = message.get("schema")
    if not isinstance(schema, str):
        raise MessageError(
            f"field 'schema': expected one of {', '.join(SCHEMAS)}, found {schema!r}"
        )
    if expected is not None and schema != expected:
        raise MessageError(f"field 'schema': expected {expected!r}, found {schema!r}")
    try:
        validator(schema)(message)
    except fastjsonschema.JsonSchemaValueException as error:
        where = "/".join(str(p) for p in error.path[1:]) or "(message)"
        text = error.message.removeprefix(str(error.name)).strip()
        raise MessageError(f"{schema}: field '{where}': {text}") from None
    return message


def encode(message: Json, *, check: bool = True) -> bytes:
    """Serialise a message to compact UTF-8 JSON, validated first unless ``check=False``.

    Only typed values (``streams.messages``) skip the check: their numbers are checked finite
    as they become JSON, and the consumer validates every record it reads.
    """
    if check:
        validate(message)
        if not _finite_numbers(message):
            raise MessageError(f"{message.get('schema')}: NaN or infinity is not JSON")
    try:
        data = _encoder.encode(message)
    except (TypeError, ValueError) as exc:  # a value JSON cannot hold
        raise MessageError(f"{message.get('schema')}: {exc}") from exc
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageError(f"message is {len(data)} bytes; the limit is {MAX_MESSAGE_BYTES}")
    return data


def decode(data: bytes | None, *, expected: str | None = None) -> Json:
    """Parse and validate raw bytes from a topic; MessageError says why they were refused."""
    if data is None:
        raise MessageError("record has no value (a null or tombstone record)")
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageError(f"message is {len(data)} bytes; the limit is {MAX_MESSAGE_BYTES}")
    fast = fast_decoder(expected) if expected is not None else None
    if fast is not None:
        try:  # accepted here means accepted by the schema; else the schema path says why
            found: Json = msgspec.to_builtins(fast.decode(data))
            return found
        except (ValueError, RecursionError):  # msgspec's DecodeError and ValidationError
            pass
    try:
        message = _decoder.decode(data)
    except RecursionError:  # deeply nested JSON: no schema nests more than 4 levels
        raise MessageError("not valid UTF-8 JSON: nested too deep to be a message") from None
    except (UnicodeDecodeError, ValueError) as exc:  # msgspec.DecodeError is a ValueError
        raise MessageError(f"not valid UTF-8 JSON: {_why(data, str(exc))[:200]}") from None
    return validate(message, expected=expected)


_AT_BYTE = re.compile(r"\(byte (\d+)\)")


def _why(data: bytes, error: str) -> str:
    """msgspec's error, naming the constant when the bad character starts NaN or Infinity."""
    where = _AT_BYTE.search(error)
    if where is not None:
        word = re.match(rb"-?(NaN|Infinity)", data[int(where.group(1)) :])
        if word is not None:
            return f"{word.group(0).decode()} is not JSON ({error})"
    return error


def _finite_numbers(value: object) -> bool:
    """True when no float in ``value`` (nested dicts and lists) is NaN or infinite.

    msgspec would write those as null; JSON has no such numbers (the decoder refuses them).
    """
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite_numbers(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_finite_numbers(v) for v in value)
    return True


def new_id() -> str:
    """A fresh message id (random UUID4 hex: ids need uniqueness, not reproducibility)."""
    return uuid.uuid4().hex


def iso(moment: datetime) -> str:
    """ISO 8601 with offset, as every time field in the schemas is written."""
    if moment.tzinfo is None:
        raise ValueError(f"time {moment} has no timezone; messages carry an offset")
    return moment.isoformat()


def parse_time(text: str, *, field: str = "time") -> datetime:
    """Inverse of ``iso``; an impossible date (2030-02-30) is a MessageError naming the field."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise MessageError(f"field '{field}': {text!r} is not a real date-time ({exc})") from None
    if moment.tzinfo is None:
        raise MessageError(f"field '{field}': {text!r} has no UTC offset")
    return moment


def clock_seconds(moment: datetime, *, day_start_s: float) -> float:
    """Local clock time as simulation seconds since midnight of the match day.

    Follows the scenario rule: a clock time earlier than ``day_start_s`` (the scenario's
    ``settings.start``) belongs to the next day, so 00:20 after a 16:30 start is 87_600 s.
    Only for times typed by a person (``--start HH:MM``); message times carry their date and
    are placed with ``seconds_since``.
    """
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
    return seconds + 86_400 if seconds < day_start_s else seconds


def seconds_since(day: datetime, moment: datetime) -> float:
    """``moment`` as seconds after local midnight of the match ``day``: full date and time.

    A count from another day is far outside the match window instead of looking like a time
    of this evening.
    """
    return (moment - day).total_seconds()


def at_clock(day: datetime, clock_s: float) -> datetime:
    """The instant ``clock_s`` seconds after local midnight of ``day`` (inverse of the above)."""
    midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(seconds=clock_s)


def utc_now() -> datetime:
    return datetime.now(UTC)
