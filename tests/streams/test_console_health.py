"""The broker's health on the console of ``matchday live`` (real Tansu broker stopped mid-run).

The page and ``/healthz`` are checked in ``tests/dashboard``; this is the third place the issue
asks for: whoever started the run sees "bus DOWN" when the broker goes away and "bus back" when
it returns, and the run carries on to its end.
"""

from __future__ import annotations

import threading

import pytest
from live_helpers import ARENA
from rich.console import Console

from streams.app import LiveOptions, start_live

pytestmark = [pytest.mark.integration]


def test_the_console_says_when_the_bus_goes_down_and_comes_back(broker_control) -> None:  # type: ignore[no-untyped-def]
    options = LiveOptions(
        scenario=ARENA,
        kafka=broker_control.address,
        fast=True,
        start="20:00",
        minutes=8,
        speed=24,  # 20 s of wall time
        dashboard=False,
        kafka_idempotence=False,
        kafka_highwater=True,
        kafka_retries=0,
    )
    console = Console(record=True, width=240, color_system=None)
    outage = [
        threading.Timer(5.0, broker_control.stop),
        threading.Timer(11.0, broker_control.start),
    ]
    for timer in outage:
        timer.start()
    try:
        start_live(options, console)
    finally:
        for timer in outage:
            timer.cancel()
    text = console.export_text()
    down = text.find("bus DOWN:")
    back = text.find("bus back:")
    assert down >= 0, text[-3000:]
    assert "camera-stale alerts suppressed while the bus is down" in text
    assert back > down, text[-3000:]
    assert "done:" in text  # the run reached its end
