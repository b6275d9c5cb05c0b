"""Message schemas, encoding and validation: the contract between the live path's stages.

Every message is a JSON object with a ``schema`` field naming its schema (also its topic) and
an ``id`` consumers de-duplicate on. Schemas live as JSON Schema files in ``streams/schemas/``
so non-Python consumers (the dashboard, other systems) read the same contract. Validation runs
on both ends: ``encode`` refuses to send an invalid message, ``decode`` refuses to accept one.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from streams.errors import MessageError

ZONE_COUNT = "zone.count.v1"
ZONE_DENSITY = "zone.density.v1"
TWIN_FORECAST = "twin.forecast.v1"
OPS_ALERT = "ops.alert.v1"
DEAD_LETTER = "streams.deadletter.v1"
SCHEMAS = (ZONE_COUNT, ZONE_DENSITY, TWIN_FORECAST, OPS_ALERT, DEAD_LETTER)
TOPICS = SCHEMAS  # one topic per schema, named after it

MAX_MESSAGE_BYTES = 256 * 1024  # larger messages are dead-lettered, never parsed
SCHEMA_DIR = Path(__file__).with_name("schemas")

Message = dict[str, Any]


@cache
def validator(schema: str) -> jsonschema.Draft202012Validator:
    """The compiled validator for ``schema`` (e.g. "zone.count.v1")."""
    path = SCHEMA_DIR / f"{schema}.json"
    if schema not in SCHEMAS or not path.exists():
        raise MessageError(f"unknown schema {schema!r}; expected one of {', '.join(SCHEMAS)}")
    return jsonschema.Draft202012Validator(json.loads(path.read_text()))


def validate(message: Message, *, expected: str | None = None) -> Message:
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
    error = jsonschema.exceptions.best_match(validator(schema).iter_errors(message))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(message)"
        raise MessageError(f"{schema}: field '{where}': {error.message}")
    return message


def encode(message: Message) -> bytes:
    """Validate and serialise a message to compact UTF-8 JSON."""
    validate(message)
    data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageError(f"message is {len(data)} bytes; the limit is {MAX_MESSAGE_BYTES}")
    return data


def decode(data: bytes, *, expected: str | None = None) -> Message:
    """Parse and validate raw bytes from a topic; MessageError says why they were refused."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageError(f"message is {len(data)} bytes; the limit is {MAX_MESSAGE_BYTES}")
    try:
        message = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MessageError(f"not valid UTF-8 JSON: {exc}") from exc
    return validate(message, expected=expected)


def new_id() -> str:
    """A fresh message id (random UUID4 hex: ids need uniqueness, not reproducibility)."""
    return uuid.uuid4().hex


def iso(moment: datetime) -> str:
    """ISO 8601 with offset, as every time field in the schemas is written."""
    if moment.tzinfo is None:
        raise ValueError(f"time {moment} has no timezone; messages carry an offset")
    return moment.isoformat()


def parse_time(text: str) -> datetime:
    """Inverse of ``iso``."""
    return datetime.fromisoformat(text)


def clock_seconds(moment: datetime, *, day_start_s: float) -> float:
    """Local clock time as simulation seconds since midnight of the match day.

    Follows the scenario rule: a clock time earlier than ``day_start_s`` (the scenario's
    ``settings.start``) belongs to the next day, so 00:20 after a 16:30 start is 87_600 s.
    """
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
    return seconds + 86_400 if seconds < day_start_s else seconds


def at_clock(day: datetime, clock_s: float) -> datetime:
    """The instant ``clock_s`` seconds after local midnight of ``day`` (inverse of the above)."""
    midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(seconds=clock_s)


def utc_now() -> datetime:
    return datetime.now(UTC)


def dead_letter(topic: str, key: str | None, data: bytes, reason: str) -> Message:
    """The dead-letter record for a refused message (payload cut so it always fits)."""
    return {
        "schema": DEAD_LETTER,
        "id": new_id(),
        "topic": topic,
        "key": key,
        "reason": reason[:2000],
        "received": iso(utc_now()),
        "size_bytes": len(data),
        "payload": data[:4096].decode("utf-8", errors="replace")[:4096],
    }
