"""Schemas and codec: every message type round-trips, every bad input names its problem."""

from __future__ import annotations

import json
import re
from datetime import datetime

import jsonschema
import pytest
from live_helpers import DAY, count

from streams.errors import MessageError
from streams.messages import (
    DEAD_LETTER,
    MAX_MESSAGE_BYTES,
    SCHEMA_DIR,
    SCHEMAS,
    clock_seconds,
    dead_letter,
    decode,
    encode,
    validate,
)


def test_every_schema_file_is_valid_json_schema_with_schema_and_id() -> None:
    for name in SCHEMAS:
        schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["schema"] == {"const": name}
        assert {"schema", "id"} <= set(schema["required"])


def test_count_round_trips() -> None:
    message = count("cam1", "plaza", 12, 75_600, density_per_m2=0.5, in_count=3, out_count=1)
    assert decode(encode(message), expected="zone.count.v1") == message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"count": -1}, "count"),
        ({"confidence": 1.5}, "confidence"),
        ({"event_time": "21:00"}, "event_time"),
        ({"extra": 1}, "(message)"),
    ],
)
def test_invalid_count_names_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(MessageError, match=re.escape(f"zone.count.v1: field '{field}'")):
        validate(count("cam1", "plaza", 1, 75_600) | change)


def test_missing_field_is_named() -> None:
    message = count("cam1", "plaza", 1, 75_600)
    del message["camera"]
    with pytest.raises(MessageError, match=re.escape("'camera' is a required property")):
        validate(message)


def test_unknown_schema_and_wrong_topic_are_refused() -> None:
    with pytest.raises(MessageError, match=re.escape("unknown schema 'zone.count.v9'")):
        validate(count("c", "z", 1, 75_600) | {"schema": "zone.count.v9"})
    with pytest.raises(MessageError, match=re.escape("expected 'ops.alert.v1'")):
        decode(encode(count("c", "z", 1, 75_600)), expected="ops.alert.v1")


def test_not_json_not_object_and_oversized_are_refused() -> None:
    with pytest.raises(MessageError, match=re.escape("not valid UTF-8 JSON")):
        decode(b"{not json")
    with pytest.raises(MessageError, match=re.escape("not valid UTF-8 JSON")):
        decode(b"\xff\xfe")
    with pytest.raises(MessageError, match=re.escape("expected a JSON object, found list")):
        decode(b"[1, 2]")
    with pytest.raises(MessageError, match=re.escape(f"the limit is {MAX_MESSAGE_BYTES}")):
        decode(b" " * (MAX_MESSAGE_BYTES + 1))
    with pytest.raises(MessageError, match=re.escape("the limit is")):
        encode(_oversized())


def _oversized() -> dict[str, object]:
    """A valid-looking forecast too big to send (thousands of zones)."""
    row = {
        "zone": "z" * 100,
        "element_type": "area",
        "observed": True,
        "occupancy_now": 1,
        "density_now_per_m2": 0.1,
        "los_now": "A",
        "density_5min_per_m2": None,
        "density_10min_per_m2": None,
        "density_20min_per_m2": None,
        "los_5min": None,
        "los_10min": None,
        "los_20min": None,
    }
    return {
        "schema": "twin.forecast.v1",
        "id": "f",
        "issued": "2030-07-21T21:00:00+01:00",
        "clock_s": 75_600.0,
        "horizon_s": 1200.0,
        "warm_start_ms": 1.0,
        "zones": [row] * 2000,
    }


def test_ack_needs_a_reference_and_alert_needs_its_fields() -> None:
    ack = {
        "schema": "ops.alert.v1",
        "id": "a1",
        "identifier": "a1",
        "sender": "op",
        "sent": "2030-07-21T21:00:00+01:00",
        "status": "Actual",
        "msgType": "Ack",
        "incident": "i1",
        "references": ["i1"],
    }
    assert validate(ack) is ack
    with pytest.raises(MessageError, match=re.escape("references")):
        validate(ack | {"references": []})
    with pytest.raises(MessageError, match=re.escape("required property")):
        validate(ack | {"msgType": "Alert"})


def test_dead_letter_record_is_itself_valid_and_bounded() -> None:
    letter = dead_letter("zone.count.v1", "cam1", b"\xff" * 10_000, "bad " * 1000)
    assert validate(letter)["schema"] == DEAD_LETTER
    assert len(letter["payload"]) <= 4096 and letter["size_bytes"] == 10_000


def test_clock_seconds_puts_early_morning_on_the_next_day() -> None:
    assert clock_seconds(DAY.replace(hour=21), day_start_s=59_400) == 75_600
    assert clock_seconds(datetime(2030, 7, 22, 0, 20, tzinfo=DAY.tzinfo), day_start_s=59_400) == (
        87_600
    )
