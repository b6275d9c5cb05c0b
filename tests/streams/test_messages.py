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
    with pytest.raises(MessageError, match=re.escape("must contain ['camera'] properties")):
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
    with pytest.raises(MessageError, match=re.escape("must contain [")):
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


def test_every_message_type_round_trips_through_its_json() -> None:
    from live_helpers import zone_count

    from streams.messages import (
        Ack,
        Alert,
        DeadLetter,
        Forecast,
        ForecastZone,
        ZoneDensity,
        at_clock,
        from_json,
    )

    t = at_clock(DAY, 75_600)
    row = ForecastZone("plaza", "area", True, 3, 0.1, "A", 0.2, None, None, "A", None, None)
    values = [
        zone_count("cam1", "plaza", 12, 75_600, density_per_m2=0.5, in_count=3, out_count=1),
        ZoneDensity("d1", "plaza", t, t, ("cam1",), 4, 2.5, 0.1, 0.2, "A"),
        Forecast("f1", t, 75_600.0, 1200.0, 3.0, (row,), count_lag_s=4.0, coalesced=7),
        Alert(
            "a1", "twin", t, "Actual", "Alert", "a1", (), "Crowd density", "density_now",
            "Immediate", "Severe", "Observed", t, t, "Plaza full", "Hold inflow", "plaza",
            "Plaza", "new", 1.5, 1.4,
        ),
        Ack.of("a1", sender="amina", status="Actual", note="on it"),
        DeadLetter.of("zone.count.v1", "cam1", b"\xff" * 10, "broken"),
    ]  # fmt: skip
    for value in values:
        data = value.to_json()
        assert from_json(data) == value, type(value).__name__
        assert type(value).from_json(data) == value
    with pytest.raises(MessageError, match="expected Ack, found Alert"):
        Ack.from_json(values[3].to_json())


def test_an_impossible_date_passes_the_pattern_but_not_the_type() -> None:
    from streams.messages import ZoneCount

    bad = count("cam1", "plaza", 1, 75_600) | {"event_time": "2030-02-30T21:00:00+01:00"}
    assert validate(bad)  # the schema checks only the pattern ...
    with pytest.raises(MessageError, match=r"field 'event_time'.*not a real date-time"):
        ZoneCount.from_json(json.dumps(bad).encode())  # ... the typed value refuses it


def test_null_deep_and_non_finite_records_are_message_errors() -> None:
    from streams.messages import from_json

    for data, reason in [
        (None, "no value"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
        (b'{"schema": "zone.count.v1", "count": 1e400}', "out of range"),
        (b'{"schema": "zone.count.v1", "count": NaN}', "NaN is not JSON"),
        (b"null", "expected a JSON object"),
    ]:
        with pytest.raises(MessageError, match=reason):
            from_json(data)


def test_typed_values_skip_the_schema_on_send_and_are_validated_once_on_read() -> None:
    """The producer trusts its typed values; the reader's boundary still refuses a bad one."""
    from live_helpers import zone_count

    from streams.bus import InProcessBus
    from streams.inbox import Inbox, Publisher
    from streams.messages import ZONE_COUNT, ZoneCount

    good = zone_count("cam1", "plaza", 3, 75_600)
    bad = ZoneCount(**{**good.__dict__, "id": "b", "count": -1})  # built wrong, by code
    with pytest.raises(MessageError, match="field 'count'"):
        bad.to_json()  # the checked form, for values built from a person's input
    bus = InProcessBus()
    inbox = Inbox(bus, [ZONE_COUNT])
    letters = bus.subscribe([DEAD_LETTER])
    for message in (good, bad):
        Publisher(bus).publish(message, key="cam1")
    assert inbox.poll() == [good]
    (letter,) = [json.loads(r.value) for r in letters.poll()]
    assert "zone.count.v1: field 'count'" in letter["reason"]


def test_non_finite_numbers_are_never_sent() -> None:
    from live_helpers import zone_count

    from streams.messages import ZoneCount

    good = zone_count("cam1", "plaza", 3, 75_600)
    for value in (float("nan"), float("inf")):
        nan = ZoneCount(**{**good.__dict__, "confidence": value})
        with pytest.raises(MessageError, match=r"field 'confidence'.* is not JSON"):
            nan.to_json(check=False)
    with pytest.raises(MessageError, match="NaN or infinity"):
        encode(good.to_dict() | {"density_per_m2": float("nan")})


def test_the_generic_mapping_renames_copies_omits_and_falls_back() -> None:
    from streams.messages import Ack, Alert

    ack = Ack.of("i1", sender="op", status="Actual", note="")
    wire = ack.to_dict()
    assert wire["msgType"] == "Ack" and wire["identifier"] == wire["id"] == ack.id
    assert wire["note"] == "" and "zone" not in wire and "signature" not in wire
    assert Ack.from_dict(wire) == ack
    alert = {
        "schema": "ops.alert.v1",
        "id": "a",
        "identifier": "a",
        "sender": "twin",
        "sent": "2030-07-21T21:00:00+01:00",
        "status": "Actual",
        "msgType": "Alert",
        "incident": "a",
        "references": [],
        "event": "crowd",
        "rule": "r",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Likely",
        "onset": "2030-07-21T21:00:00+01:00",
        "expires": "2030-07-21T21:10:00+01:00",
        "headline": "h",
        "instruction": "i",
        "zone": "plaza",
        "state": "new",
        "value": 3,
        "threshold": None,
    }
    typed = Alert.from_dict(validate(alert))
    assert typed.area_desc == "plaza" and typed.value == 3.0 and type(typed.value) is float
    assert typed.msg_type == "Alert" and typed.note == ""
    again = typed.to_dict()
    assert "note" not in again and again["areaDesc"] == "plaza" and again["threshold"] is None


def test_a_dead_letter_without_its_optional_key_reads_as_none() -> None:
    from streams.messages import DeadLetter, from_json

    letter = DeadLetter.of(DEAD_LETTER, None, b"x", "why").to_dict()
    del letter["key"]
    typed = from_json(json.dumps(letter).encode())
    assert isinstance(typed, DeadLetter) and typed.key is None and typed.reason == "why"
