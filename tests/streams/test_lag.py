"""Bounded lag under overload: counts at 100x the normal rate, the twin keeps up.

Normal rate here: 10 cameras each reporting every 15 match seconds at 20x, 13.3 counts/s of
wall time. A producer thread floods 100x that (1,333 counts/s, stamped with the current match
clock) while ``run_live`` runs the twin. The age of the newest count the twin has applied at
each forecast (``count_lag_s``, published in twin.forecast.v1) must stay bounded and must not
grow: the service drains the topic and applies only the newest count per camera, counting the
rest as coalesced. Loops are bounded in time; the broker is on 127.0.0.1.
"""

from __future__ import annotations

import threading
import time

import pytest
from live_helpers import DAY, EVENING_S, arena

from streams.bus import Bus, InProcessBus
from streams.cameras import Camera
from streams.inbox import Publisher
from streams.kafka_bus import KafkaBus, KafkaSettings
from streams.live import LiveSettings, run_live
from streams.messages import TOPICS, ZoneCount, at_clock, new_id
from streams.ruleset import RuleSet
from streams.service import TwinService
from streams.twin import DigitalTwin, TwinSettings

SPEED = 20.0
CAMERAS = 10
NORMAL_PER_S = CAMERAS / (15.0 / SPEED)
RATE_PER_S = 100 * NORMAL_PER_S


def _flood(bus: Bus, tag: str, wall0: float, stop: threading.Event, sent: list[int]) -> None:
    publisher = Publisher(bus)
    n = 0
    deadline = time.monotonic() + 60  # bounded even if the test forgets to stop it
    while not stop.is_set() and time.monotonic() < deadline:
        due = int((time.monotonic() - wall0) * RATE_PER_S)
        while n < due:
            clock_s = EVENING_S + (time.monotonic() - wall0) * SPEED
            cam = f"cam{n % CAMERAS}_{tag}"
            count = ZoneCount(new_id(), cam, "plaza", at_clock(DAY, clock_s), 50, "flood", 1.0)
            publisher.publish(count, key=cam)
            n += 1
        bus.flush(timeout_s=0.0)
        time.sleep(0.005)
    sent.append(n)


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind", ["inprocess", pytest.param("kafka", marks=pytest.mark.integration)]
)
def test_applied_count_age_stays_bounded_at_100x_the_normal_rate(
    kind: str, request: pytest.FixtureRequest
) -> None:
    tag = new_id()
    if kind == "inprocess":
        bus: Bus = InProcessBus()
        producer_bus: Bus = bus
    else:
        address = request.getfixturevalue("kafka_broker")
        settings = KafkaSettings(
            bootstrap=address, enable_idempotence=False, use_highwater=True, producer_retries=0
        )
        bus, producer_bus = KafkaBus(settings), KafkaBus(settings)
        bus.create_topics(TOPICS)
    cams = tuple(Camera(f"cam{i}_{tag}", "plaza") for i in range(CAMERAS))
    twin = DigitalTwin(
        arena(),
        cams,
        RuleSet(),
        day=DAY,
        start_s=EVENING_S,
        settings=TwinSettings(seed=3, cycle_s=60.0),  # the bounds below are per 60-s cycle
    )
    service = TwinService(bus, twin)
    stop, sent = threading.Event(), []
    wall0 = time.monotonic()
    flood = threading.Thread(target=_flood, args=(producer_bus, tag, wall0, stop, sent))
    flood.start()
    try:
        run_live(bus, service, LiveSettings(EVENING_S, minutes=8, speed=SPEED, cycle_s=60.0))
    finally:
        stop.set()
        flood.join(timeout=30)
    elapsed = time.monotonic() - wall0
    rate = sent[0] / elapsed
    lags = service.stats.lag_s
    print(f"{kind}: {rate:.0f} counts/s for {elapsed:.0f} s, lag {lags}, "
          f"{service.stats.coalesced} coalesced")  # fmt: skip
    assert rate >= 0.5 * RATE_PER_S, f"the flood reached only {rate:.0f} counts/s"
    assert len(lags) == 8 and service.stats.coalesced > 0
    assert max(lags[1:]) <= 60.0, f"newest applied count more than a cycle old: {lags}"
    first, last = lags[1:4], lags[-3:]
    assert max(last) <= max(first) + 15.0, f"lag grows with time: {lags}"
    service.close()
    bus.close()
    if producer_bus is not bus:
        producer_bus.close()
