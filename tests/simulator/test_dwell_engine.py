"""Dwell and half-time in the engine: warm starts through half-time, the schema's errors."""

from __future__ import annotations

import json
from collections import deque

import pytest

from simulator import Scenario, ScenarioError, Simulation, Snapshot
from simulator.engine.party import HALFTIME
from simulator.scenario.loader import load_scenario_text, validate_text

CONCOURSE = """areas:
    - {id: plaza, area_m2: 3000}
    - id: conc
      area_m2: 1500
      services:
        - {id: wc, label: Toilets by the east stairs, kind: toilet, servers: 30,
           service: {kind: lognormal, mean: 90, cv: 0.4}}
        - {id: kiosk, kind: concession, servers: 12, service: {kind: lognormal, mean: 60, cv: 0.5}}
      dwell:
        ingress: {share: 0.2, time: {kind: exponential, mean: 120}, use: {concession: 0.5},
                  by_min: 0}"""


def with_halftime(
    small_text: str, concourse: str = CONCOURSE, halftime: str = "{share: 0.4}"
) -> str:
    text = small_text.replace(
        "areas: [{id: plaza, area_m2: 3000}, {id: conc, area_m2: 1500}]", concourse
    )
    return text.replace("egress:\n", f"halftime: {halftime}\negress:\n")


@pytest.fixture(scope="module")
def halftime_day(small_text: str) -> Scenario:
    return load_scenario_text(with_halftime(small_text), source="<halftime>")


def test_warm_start_in_half_time_replays_the_uninterrupted_run(halftime_day: Scenario) -> None:
    ht = halftime_day.halftime
    assert ht is not None
    whole = Simulation(halftime_day, seed=3)
    whole.run()
    first = Simulation(halftime_day, seed=3)
    first.run(until=ht.start_s + 400.5)  # fans on their way, queuing and lingering
    assert any(p.phase == HALFTIME for p in first.world.parties)
    assert any(b.queue for b in first.world.dwell.services)
    snap = Snapshot.from_dict(json.loads(json.dumps(first.snapshot().to_dict())))
    resumed = Simulation(halftime_day, seed=3, snapshot=snap)
    resumed.run()
    a, b = whole.result(), resumed.result()
    assert a.summary.to_json() == b.summary.to_json()
    assert a.fans.equals(b.fans) and a.timeseries.equals(b.timeseries)
    assert a.summary.halftime is not None and a.summary.halftime.fans_left_seats > 0
    assert a.summary.services["wc"].served > 0


def test_dwelling_fans_fill_the_floor(halftime_day: Scenario) -> None:
    """Those stopped count in the place's occupancy: peak occupancy at half-time is far above
    what crossing alone holds, and never above jam density."""
    sim = Simulation(halftime_day, seed=1)
    sim.run()
    peak = sim.result().summary.halftime.concourses["conc"]
    assert peak.peak_occupancy > 500
    place = sim.world.places[sim.network.index["conc"]]
    assert place.max_n <= place.room
    assert place.dwelling == 0  # everyone stopped walked on


@pytest.mark.parametrize(
    ("concourse", "halftime", "path", "says"),
    [
        (
            CONCOURSE.replace("use: {concession: 0.5}", "use: {prayer: 0.5}"),
            "{share: 0.4}",
            "venue.areas[1].dwell.ingress.use",
            "add a prayer to its services",
        ),
        (
            CONCOURSE.replace("use: {concession: 0.5}", "use: {concession: 0.8, toilet: 0.5}"),
            "{share: 0.4}",
            "venue.areas[1].dwell.ingress.use",
            "summing to at most 1",
        ),
        (CONCOURSE.replace("share: 0.2", "share: 1.2"), "{share: 0.4}", "share", "at most 1"),
        (CONCOURSE, "{share: 0.4, concourses: {s1: nowhere}}", "halftime.concourses.s1", "area"),
        (CONCOURSE, "{share: 0.4, leave_min: 20}", "halftime.leave_min", "duration_min"),
        (CONCOURSE, "{shares: 0.4}", "halftime.shares", "did you mean 'share'"),
        (CONCOURSE.replace("kind: toilet", "kind: loo"), "{}", "services[0].kind", "toilet"),
    ],
)
def test_bad_dwell_fields_are_named(
    small_text: str, concourse: str, halftime: str, path: str, says: str
) -> None:
    problems = validate_text(with_halftime(small_text, concourse, halftime), source="ht.yaml")
    assert problems, "expected a problem"
    text = "\n".join(str(p) for p in problems)
    assert "ht.yaml" in text and path in text and says in text, text


def test_halftime_needs_a_kick_off(small_text: str) -> None:
    text = with_halftime(small_text)
    start = text.index("ingress:")
    text = text[:start] + text[text.index("halftime:") :]
    text = text.replace("egress:\n  final_whistle", "egress:\n  final_whistle")
    with pytest.raises(ScenarioError, match="halftime"):
        load_scenario_text(text, source="ht.yaml")


FAN_ZONE = """areas:
    - id: plaza
      area_m2: 3000
      label: Fan zone
      dwell:
        ingress: {share: 0.5, time: {kind: exponential, mean: 1800}, by_min: -30}
        egress: {share: 0.3, time: {kind: exponential, mean: 900}}
    - {id: conc, area_m2: 1500}"""


def test_a_fan_zone_draws_fans_before_kick_off_and_holds_some_after(small_text: str) -> None:
    sc = load_scenario_text(with_halftime(small_text, FAN_ZONE, "{share: 0}"), source="<fz>")
    assert sc.ingress is not None and sc.egress is not None
    sim = Simulation(sc, seed=4)
    sim.run(until=sc.ingress.kickoff_s - 45 * 60)
    plaza = sim.world.places[sim.network.index["plaza"]]
    assert plaza.dwelling > 300  # an hour before kick-off the fan zone holds a crowd
    sim.run(until=sc.ingress.kickoff_s - 30 * 60 + 1)
    assert plaza.dwelling == 0  # everyone has moved on to the gates by the rule's by_min
    stopped_before = sim.world.dwell.dwelt[plaza.node]
    sim.run(until=sc.egress.final_whistle_s + 30 * 60)
    assert plaza.dwelling > 100  # after the whistle part of the crowd stays
    assert sim.world.dwell.dwelt[plaza.node] > stopped_before
    sim.run()
    fans = sim.result().summary.fans
    assert fans.arrived == 5700 == fans.left + fans.in_venue
    assert fans.in_venue >= plaza.dwelling  # some still linger in the zone at the end of the run


def test_fans_the_twin_adds_on_a_concourse_at_half_time_are_counted(
    halftime_day: Scenario,
) -> None:
    ht = halftime_day.halftime
    assert ht is not None
    sim = Simulation(halftime_day, seed=2)
    sim.run(until=ht.start_s + 240)
    snap = sim.snapshot()
    seen = snap.occupancy["conc"] + 150
    resumed = Simulation(halftime_day, seed=2, snapshot=snap.with_counts({"conc": seen}))
    assert resumed.occupancy()["conc"] == seen
    resumed.run()
    d, fans = resumed.world.dwell, resumed.result().summary.fans
    assert d.ht_out == d.ht_back >= sim.world.dwell.ht_out
    assert fans.arrived == fans.dropped + fans.in_venue + fans.left
    assert fans.in_venue == 0


def test_half_time_fans_give_up_a_queue_they_cannot_get_through(halftime_day: Scenario) -> None:
    """Toilets are used only at half-time here (the pre-match rule uses kiosks): every fan who
    drew a toilet was served or gave it up, about half of those who left their seats."""
    sim = Simulation(halftime_day, seed=6)
    sim.run()
    wc = sim.result().summary.services["wc"]
    out = sim.world.dwell.ht_out
    assert wc.balked > 0 and wc.served > 0
    assert abs((wc.served + wc.balked) / out - 0.5) < 0.06  # parties draw; fans counted
    assert sim.world.dwell.services[0].queue == deque()


def test_report_shows_half_time_concourses_and_service_points(halftime_day: Scenario) -> None:
    from simulator.results.report import render_report

    sim = Simulation(halftime_day, seed=1)
    sim.run()
    r = sim.result()
    page = render_report(
        scenario=halftime_day, summary=r.summary, timeseries=r.timeseries, fans=r.fans, seed=1
    )
    ht = r.summary.halftime
    assert ht is not None
    section = page[page.index('<h2 id="halftime">') : page.index('<h2 id="egress">')]
    peak = ht.concourses["conc"]
    assert f"{ht.fans_left_seats:,} fans left their seats" in section
    assert f"<td>LoS {peak.peak_los}</td>" in section or f">{peak.peak_los}</td>" in section
    # by label, else the id written as words (never a bare id)
    assert 'id="service-points"' in section and ">Toilets by the east stairs<" in section
    assert ">Kiosk<" in section and ">wc<" not in section
    assert "half-time peak" in page  # a moment of the venue map
    assert r.summary.to_dict()["halftime"]["fans_back"] == ht.fans_back
    assert type(r.summary).from_dict(r.summary.to_dict()) == r.summary  # summary.json round-trip


def test_kpi_table_shows_the_half_time_peak(halftime_day: Scenario) -> None:
    from rich.console import Console

    from simulator.results.kpi_table import kpi_table

    sim = Simulation(halftime_day, seed=1)
    sim.run()
    summary = sim.result().summary
    console = Console(record=True, width=120)
    console.print(kpi_table(summary, {"conc": "Main concourse"}))
    text = console.export_text()
    ht = summary.halftime
    assert ht is not None
    peak = ht.concourses["conc"]
    assert f"{ht.fans_left_seats:,} / {ht.fans_back_late:,}" in text
    assert f"Main concourse: {peak.peak_density_per_m2:.2f} persons/m² LoS {peak.peak_los}" in text
