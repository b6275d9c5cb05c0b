"""Clock times: "HH:MM[:SS]" strings, plain seconds, and the next-day rule after midnight."""

from __future__ import annotations

import math

import pytest

from simulator.scenario.clock import ClockFormatError, format_clock, format_duration, parse_clock


def test_clock_strings_and_seconds() -> None:
    assert parse_clock("21:00") == 75_600.0
    assert parse_clock("07:05:30") == 7 * 3600 + 5 * 60 + 30
    assert parse_clock(3600) == 3600.0
    assert parse_clock(12.5) == 12.5


def test_a_time_before_the_start_is_the_next_day() -> None:
    start = parse_clock("16:30")
    assert parse_clock("00:30", day_start_s=start) == 86_400 + 1_800
    assert parse_clock("21:00", day_start_s=start) == 75_600
    assert parse_clock("16:30", day_start_s=start) == start  # the start itself is the same day


def test_plain_seconds_are_never_moved() -> None:
    assert parse_clock(1_800, day_start_s=parse_clock("16:30")) == 1_800


@pytest.mark.parametrize("bad", ["25:00", "21:60", "9pm", "", "21-00", True, None, [21, 0], -5])
def test_bad_clock_values_are_refused(bad: object) -> None:
    with pytest.raises(ClockFormatError):
        parse_clock(bad)


def test_formatting_wraps_past_midnight() -> None:
    assert format_clock(86_400 + 1_800) == "00:30"
    assert format_clock(75_600 + 59, with_seconds=True) == "21:00:59"
    assert format_duration(45) == "45 s"
    assert format_duration(54.8 * 60) == "54.8 min"
    assert format_duration(2 * 3600 + 5 * 60) == "2 h 05 min"
    assert format_duration(None) == "n/a"
    assert format_duration(math.nan) == "n/a"
