"""The readers' fast path is never looser than the JSON Schema it is translated from.

For every schema with a fast path, valid records and thousands of mutations of them (each field
removed, or replaced by values at and past each limit, of each JSON type, impossible dates, an
unknown field) go through both checks: whatever the msgspec Struct accepts, the compiled JSON
Schema accepts too, as the same JSON object. What the Struct refuses goes through the schema
path, so ``decode`` keeps the schema's verdict and reason (checked at the end).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from live_helpers import DAY, zone_count

from streams.codec import fast_decoder
from streams.errors import MessageError
from streams.messages import (
    DEAD_LETTER,
    TWIN_FORECAST,
    ZONE_COUNT,
    ZONE_DENSITY,
    DeadLetter,
    Forecast,
    ForecastZone,
    ZoneDensity,
    decode,
    validate,
)

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    -1,
    0,
    1,
    1.0,
    0.5,
    -0.0,
    20,
    20.000001,
    21,
    1_000_000,
    1_000_001,
    2**64,
    "",
    "x",
    "A",
    "Z",
    "x" * 128,
    "x" * 129,
    "é" * 128,
    "é" * 129,
    "2030-07-21T21:00:00+01:00",
    "2030-02-30T21:00:00+01:00",
    "2030-07-21T21:00:00",
    "21:00",
    [],
    ["a"],
    [1],
    {},
    {"a": 1},
]


def _samples() -> dict[str, list[dict[str, Any]]]:
    count = zone_count("cam1", "plaza", 12, 75_600, density_per_m2=0.5, in_count=2)
    row = ForecastZone("plaza", "area", True, 40, 0.5, "A", 0.6, None, None, "B", None, None, 3.0)
    forecast = Forecast("f", DAY, 75_600.0, 1200.0, 12.5, (row, row), count_lag_s=1.5)
    density = ZoneDensity(
        "d", "plaza", DAY, DAY + timedelta(minutes=1), ("c1",), 3, 10.0, 0.2, 0.4, "A"
    )
    letter = DeadLetter.of(ZONE_COUNT, "cam1", b"{bad", "not valid UTF-8 JSON")
    return {
        ZONE_COUNT: [count.to_dict(), zone_count("c", "z", 0, 75_600).to_dict()],
        TWIN_FORECAST: [forecast.to_dict()],
        ZONE_DENSITY: [density.to_dict()],
        DEAD_LETTER: [letter.to_dict()],
    }


def _mutations(message: dict[str, Any]) -> list[dict[str, Any]]:
    out = [message, message | {"extra": 1}]
    for key in message:
        out.append({k: v for k, v in message.items() if k != key})
        out.extend(message | {key: value} for value in ODD_VALUES)
    for i, row in enumerate(message.get("zones", [])[:1]):
        for changed in _mutations(row)[1:]:
            zones = list(message["zones"])
            zones[i] = changed
            out.append(message | {"zones": zones})
    return out


def _schema_accepts(data: bytes) -> dict[str, Any] | None:
    try:
        return validate(json.loads(data))
    except MessageError:
        return None


def _same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _check(schema: str, message: dict[str, Any]) -> bool:
    """Fast path accepts => schema accepts the same object; True when the fast path accepted."""
    import msgspec

    fast = fast_decoder(schema)
    assert fast is not None
    data = json.dumps(message).encode()
    try:
        got = msgspec.to_builtins(fast.decode(data))
    except msgspec.DecodeError:  # refused (ValidationError is one): the schema path decides
        return False
    slow = _schema_accepts(data)
    assert slow is not None, f"fast path accepted what {schema} refuses: {message}"
    assert _same_json(got, slow), (got, slow)
    return True


@pytest.mark.parametrize("schema", [ZONE_COUNT, TWIN_FORECAST, ZONE_DENSITY, DEAD_LETTER])
def test_the_fast_path_accepts_only_what_the_schema_accepts(schema: str) -> None:
    accepted = refused = 0
    for sample in _samples()[schema]:
        for message in _mutations(sample):
            if _check(schema, message):
                accepted += 1
            else:
                refused += 1
    assert accepted > 10 and refused > 50  # both sides were exercised


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(sorted(_samples()[ZONE_COUNT][0])), value=_json)
def test_random_values_in_a_count_never_pass_the_fast_path_alone(key: str, value: Any) -> None:
    _check(ZONE_COUNT, _samples()[ZONE_COUNT][0] | {key: value})


def test_alerts_have_no_fast_path_and_decode_keeps_the_schema_s_reasons() -> None:
    assert fast_decoder("ops.alert.v1") is None  # allOf/if/then: the schema path alone
    good = zone_count("cam1", "plaza", 3, 75_600).to_dict()
    assert decode(json.dumps(good).encode(), expected=ZONE_COUNT) == good
    bad = json.dumps(good | {"count": -1}).encode()
    with pytest.raises(MessageError, match=r"zone.count.v1: field 'count'"):
        decode(bad, expected=ZONE_COUNT)
    with pytest.raises(MessageError, match="NaN is not JSON"):
        decode(b'{"schema": "zone.count.v1", "count": NaN}', expected=ZONE_COUNT)
