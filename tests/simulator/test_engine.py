"""The engine API: runs, tables, snapshots and warm starts, demand rules."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pytest

import simulator
from simulator import Scenario, Simulation, SimulatorError, Snapshot, SnapshotError
from simulator.scenario.loader import load_scenario_text
from simulator.scenario.model import PoissonSource


def test_public_api() -> None:
    assert set(simulator.__all__) == {
        "PedestrianModel",
        "RunResult",
        "Scenario",
        "ScenarioError",
        "SeriesResult",
        "Simulation",
        "SimulatorError",
        "Snapshot",
        "SnapshotError",
        "create_model",
        "load_scenario",
        "register_model",
    }


def test_tables_have_the_contract_columns(small: Scenario) -> None:
    sim = Simulation(small, seed=1)
    sim.run()
    result = sim.result()
    assert result.timeseries.schema.names == [
        "time_s",
        "element",
        "element_type",
        "occupancy",
        "density_per_m2",
        "los",
        "outflow_per_min",
        "mean_wait_s",
    ]
    assert result.timeseries.schema.field("occupancy").type == pa.int64()
    assert result.fans.schema.names == [
        "fan",
        "party",
        "sector",
        "origin",
        "gate",
        "arrive_s",
        "queue_start_s",
        "service_start_s",
        "seated_s",
        "release_s",
        "left_s",
        "perimeter_queue_s",
        "perimeter_service_s",
    ]
    minutes = (small.settings.end_s - small.settings.start_s) // 60
    assert result.timeseries.num_rows == minutes * 17  # all elements but the exit
    assert set(result.timeseries["element_type"].to_pylist()) == {
        "origin",
        "area",
        "checkpoint",
        "link",
        "sector",
    }
    assert sorted(result.fans["fan"].to_pylist()) == list(range(5700))
    json.dumps(result.summary.to_dict())


def test_party_members_share_times_and_sizes_follow_the_distribution(small: Scenario) -> None:
    sim = Simulation(small, seed=2)
    sim.run(until=small.ingress.kickoff_s)
    table = sim.result().fans
    party = table["party"].to_numpy()
    seated = table["seated_s"].to_numpy()
    sizes = np.bincount(party)
    for p in np.flatnonzero(sizes > 1)[:50]:
        times = seated[party == p]
        assert np.all((times == times[0]) | np.isnan(times))
    share = np.bincount(sizes[sizes > 0], minlength=7)[1:] / np.sum(sizes > 0)
    assert share[1] == pytest.approx(0.35, abs=0.03)  # P(party of 2)


def test_warm_start_replays_the_uninterrupted_run(small: Scenario) -> None:
    whole = Simulation(small, seed=3)
    whole.run()
    first = Simulation(small, seed=3)
    first.run(until=small.ingress.kickoff_s - 1234.5)
    snap = first.snapshot()
    through_json = Snapshot.from_dict(json.loads(json.dumps(snap.to_dict())))
    assert pickle.loads(pickle.dumps(snap)) == snap
    resumed = Simulation(small, seed=3, snapshot=through_json)
    assert resumed.now == snap.time_s
    resumed.run()
    a, b = whole.result(), resumed.result()
    assert a.summary.to_json() == b.summary.to_json()
    assert a.fans.equals(b.fans) and a.timeseries.equals(b.timeseries)
    # the first run, continued, is unaffected by having been snapshotted
    first.run()
    assert json.dumps(first.result().summary.to_dict()) == json.dumps(a.summary.to_dict())


def test_warm_start_with_the_timeseries_results_mode(small: Scenario) -> None:
    """The light mode a forecast uses holds exactly the full result's samples of its stretch."""
    first = Simulation(small, seed=3)
    first.run(until=small.ingress.kickoff_s - 1800)
    snap = first.snapshot()
    light = Simulation(small, seed=3, snapshot=snap)
    series = light.run(until=snap.time_s + 1200, results="timeseries")
    full = Simulation(small, seed=3, snapshot=snap).run(until=snap.time_s + 1200, results="full")
    whole = full.timeseries
    stretch = whole.slice(whole.num_rows - series.timeseries.num_rows)
    assert series.timeseries.num_rows > 0 and series.timeseries.equals(stretch)
    assert min(series.timeseries["time_s"].to_pylist()) > snap.time_s
    assert series.timeseries.schema == whole.schema
    assert series.occupancy == light.occupancy()
    assert full.summary == light.result().summary  # the light mode left the run untouched
    with pytest.raises(SimulatorError, match="results='fans'"):
        light.run(until=snap.time_s + 1300, results="fans")  # type: ignore[call-overload]


def test_snapshot_contents(small: Scenario) -> None:
    sim = Simulation(small, seed=4)
    sim.run(until=small.ingress.kickoff_s - 1800)
    snap = sim.snapshot()
    assert snap.time_s == small.ingress.kickoff_s - 1800
    summary = sim.result().summary.to_dict()["fans"]
    assert sum(snap.occupancy.values()) == summary["in_venue"]
    assert snap.fans_to_arrive == 5700 - summary["arrived"]
    assert snap.fans_to_release == 5700
    assert set(snap.queues) == {"g1", "g2"}


def test_snapshot_of_another_scenario_is_refused(small: Scenario) -> None:
    sim = Simulation(small, seed=1)
    snap = sim.snapshot()
    other = replace(small, name="other")
    with pytest.raises(SnapshotError, match="does not fit scenario 'other'"):
        Simulation(other, seed=1, snapshot=snap)
    with pytest.raises(SnapshotError, match="expected format"):
        Snapshot.from_dict({**snap.to_dict(), "format": "v0"})


def test_progress_is_reported_every_simulated_minute(small: Scenario) -> None:
    seen: list[float] = []
    sim = Simulation(small, seed=1)
    sim.run(until=small.settings.start_s + 3600, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == small.settings.start_s + 3600
    assert np.max(np.diff([small.settings.start_s, *seen])) <= 60.0


def test_fans_before_the_gates_open_wait_at_their_origin(small_text: str) -> None:
    text = small_text.replace('gates_open: "19:00"', 'gates_open: "19:40"')
    sc = load_scenario_text(text)
    sim = Simulation(sc, seed=1)
    sim.run(until=sc.ingress.gates_open_s)
    result = sim.result()
    assert result.summary.to_dict()["fans"]["arrived"] > 500
    origins = sum(result.summary.to_dict()["links"][k]["throughput"] for k in ("l1", "l2"))
    assert origins == 0
    sim.run()
    queued = sim.result().fans["queue_start_s"].to_numpy()
    assert np.nanmin(queued) >= sc.ingress.gates_open_s


def test_least_delay_spreads_fans_over_gates(small_text: str) -> None:
    slow = small_text.replace("- {id: g1, lanes: 6", "- {id: g1, lanes: 2")
    assigned = Simulation(load_scenario_text(slow), seed=1)
    assigned.run(until=79_200)
    chosen = Simulation(
        load_scenario_text(slow.replace("route_choice: assigned", "route_choice: least_delay")),
        seed=1,
    )
    chosen.run(until=79_200)
    a, c = assigned.result().summary.to_dict(), chosen.result().summary.to_dict()
    assert a["checkpoints"]["g1"]["served"] == 2850
    assert c["checkpoints"]["g1"]["served"] < 2850
    assert c["checkpoints"]["g1"]["p95_wait_s"] < a["checkpoints"]["g1"]["p95_wait_s"]


def test_spill_back_keeps_everyone_and_respects_storage(small_text: str) -> None:
    narrow = small_text.replace(
        "{id: l3, source: plaza, target: g1, length_m: 50, width_m: 6}",
        "{id: l3, source: plaza, target: g1, length_m: 5, width_m: 0.3, two_way: false}",
    )
    sim = Simulation(load_scenario_text(narrow), seed=1)
    sim.run()
    summary = sim.result().summary.to_dict()
    l3 = summary["links"]["l3"]
    assert l3["max_occupancy"] <= int(5.4 * 5 * 0.3)
    ts = sim.result().timeseries
    upstream = [
        n
        for e, n in zip(ts["element"].to_pylist(), ts["occupancy"].to_pylist(), strict=True)
        if e in ("plaza", "g1")
    ]
    assert max(upstream) > 100  # the queue stood at the nodes before the narrow link
    assert summary["fans"]["left"] == 5700 and summary["fans"]["dropped"] == 0


@pytest.mark.parametrize("pen_m2", [300, 5])
def test_no_element_is_ever_above_jam_density(small_text: str, pen_m2: int) -> None:
    """Exact peaks of every place and link, and every sample, stay within jam density."""
    text = small_text.replace(
        "{id: l3, source: plaza, target: g1, length_m: 50, width_m: 6}",
        "{id: l3, source: plaza, target: g1, length_m: 5, width_m: 0.3, two_way: false}",
    ).replace("queue_area_m2: 300", f"queue_area_m2: {pen_m2}")  # both gates' pens
    sim = Simulation(load_scenario_text(text), seed=2)
    sim.run()
    w, elements = sim.world, sim.network.elements
    bounded = [(p, elements[i]) for i, p in enumerate(w.places) if p is not None]
    assert {e.id for _, e in bounded} == {"tram", "plaza", "conc", "g1", "g2"}
    for place, element in bounded:
        assert place.max_n <= int(5.4 * element.floor_m2), element.id
    assert all(lk.max_n <= lk.capacity for lk in w.links)
    assert max(sim.result().timeseries["density_per_m2"].to_pylist()) <= 5.4
    g2 = w.places[sim.network.index["g2"]]  # fed by a 6 m link faster than its lanes screen
    if pen_m2 == 5:  # the small pen filled (to within a party of 6) and the queue spilled back
        assert 27 - 5 <= g2.max_n <= 27
    assert sim.result().summary.to_dict()["fans"]["left"] == 5700


def test_a_destination_without_a_walking_path_is_named(small: Scenario) -> None:
    # the loader rejects such a venue; a Scenario built in code reaches the engine's own check
    venue = replace(small.venue, links=tuple(k for k in small.venue.links if k.id != "l9"))
    src = PoissonSource("s", "tram", "x", 1.0, small.settings.start_s, small.settings.end_s)
    sim = Simulation(replace(small, venue=venue, sources=(src,)), seed=1)
    with pytest.raises(SimulatorError, match="no walking path from 'tram' to 'x'; add a link"):
        sim.run()


def test_occupancy_matches_the_snapshot_without_dumping_state(small) -> None:
    from simulator import Simulation as Sim

    sim = Sim(small, seed=5)
    sim.run(until=small.ingress.kickoff_s - 1800)
    assert sim.occupancy() == dict(sim.snapshot().occupancy)
    assert sum(sim.occupancy().values()) > 0
