"""The venue map's geometry and frames: every element drawn, names apart, one Fruin scale each."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from simulator import Simulation
from simulator.results.map_labels import overlaps
from simulator.results.map_layout import project
from simulator.results.venue_map import (
    LOS_COLOURS,
    VenueMapGeometry,
    display_names,
    embed_html,
    frame_times,
    map_frames,
    map_geometry,
)
from simulator.scenario.loader import load_scenario
from simulator.scenario.model import Scenario
from simulator.venue.elements import venue_elements
from simulator.venue.los import LEVELS, density_at_level, fruin_los

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
TINY = ROOT / "tests" / "data" / "scenarios" / "tiny.yaml"


def _without_xy(scenario: Scenario) -> Scenario:
    venue = scenario.venue
    groups = ("origins", "areas", "checkpoints", "sectors", "exits")
    stripped = {
        g: tuple(dataclasses.replace(p, xy=None) for p in getattr(venue, g)) for g in groups
    }
    return dataclasses.replace(scenario, venue=dataclasses.replace(venue, **stripped))


def _check_readable(geometry: VenueMapGeometry, scenario: Scenario) -> None:
    """Every element once, on its vocabulary scale; names apart, off markers, inside the map."""
    elements = venue_elements(scenario.venue)
    assert [p.id for p in geometry.places] + [lk.id for lk in geometry.links] == [
        e.id for e in elements
    ]
    drawn = {item.id: item for item in (*geometry.places, *geometry.links)}
    names = display_names(scenario.venue)
    for element in elements:
        item = drawn[element.id]
        assert item.floor_m2 == element.floor_m2
        assert item.los_scale == (element.los_scale if element.floor_m2 > 0 else None)
        assert item.name == names[element.id] and item.name
        if element.label:
            assert item.name == element.label
        elif element.kind == "link":
            link = next(lk for lk in scenario.venue.links if lk.id == element.id)
            assert item.name == f"{names[link.source]} to {names[link.target]}"
    labels = [p.label for p in geometry.places]
    assert all(label is not None for label in labels), "every place is named on the map"
    boxes = [lb.box for lb in labels if lb] + [lk.label.box for lk in geometry.links if lk.label]
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= geometry.width and a[3] <= geometry.height
        for b in boxes[i + 1 :]:
            assert not overlaps(a, b), f"labels overlap: {a} {b}"
    markers = [(p.x - p.r, p.y - p.r, p.x + p.r, p.y + p.r) for p in geometry.places]
    for box in boxes:
        assert not any(overlaps(box, m) for m in markers), "a name covers a marker"
    for i, a in enumerate(geometry.places):
        for b in geometry.places[i + 1 :]:
            assert math.dist((a.x, a.y), (b.x, b.y)) >= a.r + b.r, f"{a.id} on top of {b.id}"


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_venues_draw_every_element_with_names_apart(path: Path) -> None:
    scenario = load_scenario(path)
    geometry = map_geometry(scenario)
    assert geometry.positions == "scenario xy"
    _check_readable(geometry, scenario)


@pytest.mark.parametrize("path", BUNDLED[:2], ids=[p.stem for p in BUNDLED[:2]])
def test_venue_without_positions_is_laid_out_readably_and_the_same_every_time(path: Path) -> None:
    scenario = _without_xy(load_scenario(path))
    geometry = map_geometry(scenario)
    assert geometry.positions == "laid out"
    _check_readable(geometry, scenario)
    assert map_geometry(scenario).to_dict() == geometry.to_dict()


def test_scenario_xy_keeps_north_up_and_east_right() -> None:
    geometry = map_geometry(load_scenario(ROOT / "scenarios" / "stade_mohammed_v.yaml"))
    at = {p.id: (p.x, p.y) for p in geometry.places}
    assert at["forecourt_n"][1] < at["forecourt_s"][1]  # north is up (smaller y)
    assert at["forecourt_e"][0] > at["forecourt_w"][0]  # east is right


def test_real_coordinates_are_projected_in_metres() -> None:
    scenario = _without_xy(load_scenario(TINY))
    ids = [e.id for e in venue_elements(scenario.venue) if e.kind != "link"]
    # Rabat, about 34.0 N: one place every 0.001 degree east, every second one 0.002 north.
    coords = {k: (34.0 + 0.002 * (i % 2), -6.8 + 0.001 * i) for i, k in enumerate(ids)}
    metres = project(coords)
    # 0.001 deg of longitude at 34 N: 111,195 m x cos(34 deg) = 92.2 m; 0.002 deg latitude: 222.4 m
    assert metres[ids[1]][0] - metres[ids[0]][0] == pytest.approx(92.2, abs=0.1)
    assert metres[ids[1]][1] - metres[ids[0]][1] == pytest.approx(222.4, abs=0.1)
    geometry = map_geometry(scenario, coordinates=coords)
    assert geometry.positions == "coordinates"
    at = {p.id: (p.x, p.y) for p in geometry.places}
    assert at[ids[2]][0] > at[ids[0]][0]  # east is right
    assert at[ids[1]][1] < at[ids[0]][1]  # north is up
    with pytest.raises(ValueError, match="lat, lon"):
        map_geometry(scenario, coordinates={k: (134.0, 0.0) for k in ids})


def test_to_dict_carries_palette_and_the_fruin_thresholds() -> None:
    data = map_geometry(load_scenario(TINY)).to_dict()
    assert data["palette"] == LOS_COLOURS and list(data["palette"]) == list(LEVELS)
    for scale, limits in data["scales"].items():
        for level, density in limits.items():
            assert density == pytest.approx(density_at_level(level, scale), abs=0.005)
            assert fruin_los(density + 0.01, scale) == level  # type: ignore[arg-type]
    json.dumps(data, allow_nan=False)


@pytest.fixture(scope="module")
def tiny_run():
    scenario = load_scenario(TINY)
    sim = Simulation(scenario, seed=3)
    sim.run()
    return scenario, sim.result()


def test_frames_hold_the_last_sample_graded_on_each_elements_scale(tiny_run) -> None:
    scenario, result = tiny_run
    elements = venue_elements(scenario.venue)
    rows = result.timeseries.to_pylist()
    times = sorted({r["time_s"] for r in rows})
    moments = [("first sample", times[0]), times[len(times) // 2] + 30.0, ("before", times[0] - 1)]
    frames = map_frames(result.timeseries, elements, moments)
    assert [f.title for f in frames] == ["first sample", "", "before"]
    assert all(v == (None, "", None) for v in frames[2].values.values())
    t = times[len(times) // 2]
    checked = 0
    for element in elements:
        row = next((r for r in rows if r["element"] == element.id and r["time_s"] == t), None)
        density, los, people = frames[1].values[element.id]
        if row is None:  # not sampled by the engine (an exit): shown as no data
            assert (density, los, people) == (None, "", None)
            continue
        assert people == row["occupancy"]
        if element.floor_m2 > 0:
            assert density == pytest.approx(row["density_per_m2"])
            assert los == fruin_los(row["density_per_m2"], element.los_scale) == row["los"]
            checked += 1
        else:
            assert density is None and los == ""
    assert checked >= 5


def test_frame_times_every_n_minutes_plus_named_moments() -> None:
    times = frame_times(start_s=0, end_s=1800, every_s=600, moments={"kick-off": 900, "late": 5000})
    assert times == [("", 0), ("", 600), ("kick-off", 900), ("", 1200), ("", 1800)]
    with pytest.raises(ValueError, match="every_s"):
        frame_times(start_s=0, end_s=10, every_s=0)


def test_embedded_map_cannot_close_its_script_element(tiny_run) -> None:
    scenario, result = tiny_run
    hostile = dataclasses.replace(
        scenario.venue,
        areas=(
            dataclasses.replace(scenario.venue.areas[0], label="</script><b>x"),
            *scenario.venue.areas[1:],
        ),
    )
    geometry = map_geometry(hostile)
    frames = map_frames(result.timeseries, venue_elements(hostile), [72_000.0])
    block = embed_html(geometry, frames, dom_id='m"><x')
    data = block.split('<script type="application/json">', 1)[1].split("</script>", 1)[0]
    assert "</script>" not in data and json.loads(data)["geometry"]["name"] == hostile.name
    assert 'id="mx"' in block and "VenueMap" in block
