"""No record stops the live path: every unusable record is dead-lettered and the twin goes on.

In-process bus (real code, no broker); the broker-dependent parts (Ack confirmation, health,
outage) are in ``test_kafka_health.py`` and ``test_kafka_outage.py`` against a real Tansu.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from live_helpers import DAY, EVENING_S, arena, count, zone_count

from streams.bus import InProcessBus
from streams.cameras import Camera
from streams.live import LiveSettings, run_live
from streams.messages import DEAD_LETTER, ZONE_COUNT, DeadLetter, Forecast, Message
from streams.plausible import count_check, count_limits
from streams.ruleset import RuleSet
from streams.service import TwinService
from streams.twin import DigitalTwin, TwinSettings

CAMS = (Camera("cam_plaza", "plaza"), Camera("cam_tram", "l_tram"))


def _raw(message: dict) -> bytes:
    return json.dumps(message).encode()


def _bad_records() -> list[tuple[bytes | None, str]]:
    """Records that must not stop anything, with a word their dead letter's reason must hold."""
    t = EVENING_S + 30
    good = count("cam_plaza", "plaza", 100, t)
    in_2019 = good | {"id": "y2019", "event_time": good["event_time"].replace("2030", "2019")}
    return [
        (None, "no value"),
        (b"\xff\xfe\x00garbage", "not valid UTF-8 JSON"),
        (b'{"a":' * 40_000 + b"1" + b"}" * 40_000, "nested too deep"),  # 200 kB of nesting
        (_raw(good | {"count": None}), "field 'count'"),
        (_raw(good | {"id": "feb30", "event_time": "2030-02-30T20:30:30+01:00"}), "real date"),
        (_raw(good | {"id": "huge", "count": 1_000_000}), "cannot fit"),  # schema's maximum
        (_raw(in_2019), "outside the match window"),  # the right clock time, the wrong year
        (_raw(count("cam_plaza", "plaza", 5, 15 * 3600)), "outside the match window"),  # 15:00
        (_raw(count("cam_plaza", "plaza", 5, t + 3600)), "ahead of the twin's clock"),
        (_raw(count("cam_plaza", "nowhere", 5, t)), "not a zone of the scenario"),
    ]


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return arena()


def _service(scenario, bus: InProcessBus) -> TwinService:  # type: ignore[no-untyped-def]
    twin = DigitalTwin(
        scenario, CAMS, RuleSet(), day=DAY, start_s=EVENING_S, settings=TwinSettings(seed=2)
    )
    return TwinService(bus, twin)


def test_every_unusable_count_is_dead_lettered_with_its_reason_and_the_twin_goes_on(
    scenario,  # type: ignore[no-untyped-def]
) -> None:
    bus = InProcessBus()
    service = _service(scenario, bus)
    bad = _bad_records()
    for value, _ in bad:
        bus.send(ZONE_COUNT, "cam_plaza", value)  # type: ignore[arg-type]
    bus.send(ZONE_COUNT, "cam_plaza", _raw(count("cam_plaza", "plaza", 1500, EVENING_S + 50)))
    service.pump(EVENING_S + 60)
    assert service.twin.latest["cam_plaza"].count == 1500  # the good count after them all
    report = service.cycle(EVENING_S + 60)
    assert any(isinstance(m, Forecast) for m in report.messages)
    letters = [DeadLetter.from_json(r.value) for r in bus.topic(DEAD_LETTER)]
    assert len(letters) == len(bad) == service.counts.stats.dead_lettered
    for letter, (_, reason) in zip(letters, bad, strict=True):
        assert reason in letter.reason, (reason, letter.reason)
        assert letter.topic == ZONE_COUNT and len(letter.payload) <= 4096


def test_a_count_before_the_start_never_freezes_its_camera(scenario) -> None:  # type: ignore[no-untyped-def]
    """Placed on the full date-time, 12:00 on match day is not 'tomorrow': it is refused."""
    limits = count_limits(scenario, DAY)
    early = zone_count("cam_plaza", "plaza", 1234, 12 * 3600)
    assert "outside the match window" in str(limits.problem(early))
    bus = InProcessBus()
    service = _service(scenario, bus)
    bus.send(ZONE_COUNT, "cam_plaza", early.to_json())
    later = zone_count("cam_plaza", "plaza", 40, EVENING_S + 55)
    bus.send(ZONE_COUNT, "cam_plaza", later.to_json())
    service.pump(EVENING_S + 60)
    assert service.twin.latest["cam_plaza"].count == 40


def test_capacity_is_jam_density_times_floor_area(scenario) -> None:  # type: ignore[no-untyped-def]
    limits = count_limits(scenario, DAY)
    plaza_m2 = next(a.area_m2 for a in scenario.venue.areas if a.id == "plaza")
    assert limits.capacity["plaza"] == int(5.4 * plaza_m2)  # Weidmann (1993) jam density
    fits = zone_count("cam_plaza", "plaza", limits.capacity["plaza"], EVENING_S)
    assert limits.problem(fits) is None
    assert limits.problem(zone_count("cam_plaza", "plaza", limits.capacity["plaza"] + 1, EVENING_S))


def test_the_live_loop_runs_to_its_end_through_bad_records(scenario) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus()
    service = _service(scenario, bus)

    class Hostile:
        """Cameras that send every kind of bad record beside a real count, every round."""

        def counts(self, clock_s: float) -> list:  # type: ignore[type-arg]
            for value, _ in _bad_records():
                bus.send(ZONE_COUNT, "cam_plaza", value)  # type: ignore[arg-type]
            return [zone_count("cam_plaza", "plaza", 200, clock_s)]

    cycles = []
    run_live(
        bus,
        service,
        LiveSettings(EVENING_S, minutes=2, speed=2000, camera_interval_s=20),
        replay=Hostile(),
        on_cycle=cycles.append,
    )
    assert len(cycles) == 8  # 2 minutes of 15-s cycles (LiveSettings.cycle_s)
    assert service.counts.stats.dead_lettered >= len(_bad_records()) * 3
    assert service.twin.latest["cam_plaza"].count == 200


def test_the_dashboard_reader_skips_what_it_cannot_use_and_keeps_reading(scenario) -> None:  # type: ignore[no-untyped-def]
    from streams.dashboard import DashboardFeed, DashboardView

    bus = InProcessBus()
    view = DashboardView(scenario, day=DAY)
    feed = DashboardFeed(bus, view, check=count_check(count_limits(scenario, DAY)))
    bad = _bad_records()[:-2]  # the two that need the twin's clock or zone list aside
    for value, _ in bad:
        bus.send(ZONE_COUNT, "k", value)  # type: ignore[arg-type]
    bus.send(ZONE_COUNT, "k", _raw(count("cam_plaza", "plaza", 300, EVENING_S)))
    assert feed.drain() == 1
    assert feed.refused == len(bad)
    assert bus.topic(DEAD_LETTER) == []  # the twin dead-letters; the page only skips
    plaza = next(z for z in view.state()["zones"] if z["zone"] == "plaza")
    assert plaza["occupancy"] == 300
    # a restarted dashboard reads the same log again and still shows the good count
    again = DashboardView(scenario, day=DAY)
    DashboardFeed(bus, again).drain()
    assert any(z["zone"] == "plaza" for z in again.state()["zones"])


def test_camera_stale_alerts_are_suppressed_while_the_bus_is_down(scenario) -> None:  # type: ignore[no-untyped-def]
    def stale_alerts(twin: DigitalTwin, clock_s: float) -> list[Message]:
        return [
            m for m in twin.cycle(clock_s).messages if getattr(m, "rule", None) == "camera_stale"
        ]

    twin = DigitalTwin(
        scenario, CAMS, RuleSet(), day=DAY, start_s=EVENING_S, settings=TwinSettings(seed=2)
    )
    twin.bus_down_s = EVENING_S + 120  # the service saw the broker down at this clock
    assert stale_alerts(twin, EVENING_S + 120) == []  # silent 120 s, but the bus was down
    assert stale_alerts(twin, EVENING_S + 140) == []  # 20 s after: below the 30 s rule
    assert stale_alerts(twin, EVENING_S + 180)  # still silent 60 s after the bus came back


def test_full_date_time_places_a_2019_count_years_away() -> None:
    from streams.messages import seconds_since

    moment = datetime.fromisoformat("2019-07-21T20:30:00+01:00")
    assert seconds_since(DAY, moment) < -365 * 86_400
