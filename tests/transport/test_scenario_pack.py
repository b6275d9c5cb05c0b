"""The Mondial 2030 scenario pack: six venues with transport, their published figures, variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import Simulation
from simulator.scenario.loader import load_scenario, load_scenario_text
from simulator.whatif.variants import load_variant, variant_scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"
PACK = {
    "grand_stade_hassan_ii.yaml": 115_000,
    "prince_moulay_abdellah.yaml": 68_700,
    "grand_stade_tanger.yaml": 75_500,
    "grand_stade_marrakech.yaml": 46_000,  # the 2030 configuration [MRK]
    "grand_stade_agadir.yaml": 46_000,  # the 2030 configuration [AGA]
    "complexe_sportif_fes.yaml": 35_000,
}
NEW_VENUES = ("grand_stade_marrakech.yaml", "grand_stade_agadir.yaml", "complexe_sportif_fes.yaml")


@pytest.mark.parametrize(("name", "seats"), PACK.items())
def test_pack_venues_load_with_their_transport(name: str, seats: int) -> None:
    sc = load_scenario(SCENARIOS / name)
    assert sc.venue.seats == seats
    assert sc.transport is not None and sc.transport.lines and sc.transport.car_parks
    text = (SCENARIOS / name).read_text(encoding="utf-8")
    assert "# estimate" in text and "Sources" in text


def test_benslimane_matches_its_published_figures() -> None:
    sc = load_scenario(SCENARIOS / "grand_stade_hassan_ii.yaml")
    assert sc.transport is not None
    assert sum(p.spaces for p in sc.transport.car_parks) == 10_463  # 4 car parks [GSH2]
    assert len(sc.transport.car_parks) == 4
    boraq = next(ln for ln in sc.transport.lines if ln.mode == "high_speed")
    assert boraq.capacity == 533


def test_rabat_has_two_footbridges() -> None:
    sc = load_scenario(SCENARIOS / "prince_moulay_abdellah.yaml")
    bridges = [lk for lk in sc.venue.links if lk.id.startswith("footbridge")]
    assert len(bridges) == 2
    gates = [cp.id for cp in sc.venue.checkpoints]
    assert gates[0] == "gate_02" and gates[-1] == "gate_24"


@pytest.mark.parametrize("variant", ["benslimane_more_shuttles", "benslimane_rain"])
def test_benslimane_variants_apply(variant: str) -> None:
    v = load_variant(SCENARIOS / "variants" / f"{variant}.yaml")
    sc = variant_scenario(SCENARIOS / "grand_stade_hassan_ii.yaml", v)
    assert sc.transport is not None
    if variant.endswith("rain"):
        assert {lv.kind for lv in sc.interventions} == {"weather", "service_factor"}
    else:
        assert [ln.fleet for ln in sc.transport.lines if ln.mode == "bus"] == [225, 165]


def test_a_bigger_shuttle_fleet_shortens_clearing_at_tanger() -> None:
    """Same seed, same fans; from the final whistle the five P+R lines get 40 buses, not 20."""
    sc = load_scenario(SCENARIOS / "grand_stade_tanger.yaml")
    base = Simulation(sc, seed=1)
    base.run()
    doc = (SCENARIOS / "grand_stade_tanger.yaml").read_text(encoding="utf-8")
    sites = ("route_rabat", "lgv", "corniche", "merkala", "ligue_arabe")
    levers = "".join(
        f'  - {{id: fleet_{s}, kind: line_service, line: shuttle_{s}, fleet: 40, start: "22:50"}}\n'
        for s in sites
    )
    more = Simulation(load_scenario_text(doc + "interventions:\n" + levers), seed=1)
    more.run()
    a, b = base.result().summary.to_dict(), more.result().summary.to_dict()
    assert a["fans"]["left"] == b["fans"]["left"] == a["fans"]["expected"]
    assert b["time_to_clear_s"] < 0.85 * a["time_to_clear_s"]
    for s in sites:
        bay = f"bay_{s}"
        assert b["platforms"][bay]["p95_wait_s"] < a["platforms"][bay]["p95_wait_s"]


@pytest.mark.parametrize("name", NEW_VENUES)
def test_new_venues_label_and_place_every_node(name: str) -> None:
    """The report and dashboard map draw nodes by ``label`` at ``xy``: none may lack either."""
    v = load_scenario(SCENARIOS / name).venue
    for node in (*v.origins, *v.areas, *v.checkpoints, *v.sectors):
        assert node.label and node.xy is not None, node.id
    assert all(link.label for link in v.links)


def test_marrakech_matches_its_published_figures() -> None:
    sc = load_scenario(SCENARIOS / "grand_stade_marrakech.yaml")
    assert sc.transport is not None
    assert len(sc.venue.checkpoints) == 16  # 16 gates [MRK]
    assert sum(cp.lanes for cp in sc.venue.checkpoints) == 77  # turnstiles 36 -> 77 [MRK]
    assert [p.spaces for p in sc.transport.car_parks] == [1_600]  # [MRK]
    rail = [ln for ln in sc.transport.lines if ln.mode == "rail"]
    assert [ln.platform for ln in rail] == ["sidi_brahim"]  # Sidi Brahim station [MRK]
    rn9 = next(r for r in sc.transport.roads if r.id == "rn9")
    assert rn9.length_km == 11  # 11 km north of the city [MRK]


def test_agadir_has_no_rail_and_its_4100_places() -> None:
    sc = load_scenario(SCENARIOS / "grand_stade_agadir.yaml")
    assert sc.transport is not None
    assert sum(p.spaces for p in sc.transport.car_parks) == 4_100  # 2,600 -> 4,100 [AGA]
    assert {ln.mode for ln in sc.transport.lines} == {"bus"}  # no rail: bus and taxi [AGA]
    assert {o.mode for o in sc.venue.origins} <= {"bus", "car", "walk"}


def test_fes_has_its_car_and_coach_parks() -> None:
    sc = load_scenario(SCENARIOS / "complexe_sportif_fes.yaml")
    assert sc.transport is not None
    assert sum(p.spaces for p in sc.transport.car_parks) == 7_500  # [FESP], a weak figure
    coaches = next(ln for ln in sc.transport.lines if ln.id == "coaches")
    assert coaches.fleet is not None and coaches.fleet <= 350  # 350 coach places [FESP]
    station = next(r for r in sc.transport.roads if r.id == "city_road")
    assert station.length_km == 8  # 8 km from the station [FES]


def test_marrakechs_2013_turnstiles_slow_entry() -> None:
    """Same seed, same fans; 36 turnstiles instead of 77 give longer gate queues, fewer seated."""
    base_sc = load_scenario(SCENARIOS / "grand_stade_marrakech.yaml")
    v = load_variant(SCENARIOS / "variants" / "marrakech_36_turnstiles.yaml")
    few_sc = variant_scenario(SCENARIOS / "grand_stade_marrakech.yaml", v)
    assert sum(cp.lanes for cp in few_sc.venue.checkpoints) == 36
    assert few_sc.venue.seats == base_sc.venue.seats
    runs = []
    for sc in (base_sc, few_sc):
        sim = Simulation(sc, seed=1)
        sim.run()
        runs.append(sim.result().summary.to_dict())
    base, few = runs
    assert few["fans"]["seated"] == base["fans"]["seated"] == base["fans"]["expected"]
    worst = [max(c["p95_wait_s"] for c in r["checkpoints"].values()) for r in runs]
    assert worst[1] > 5 * worst[0]
    assert few["share_seated_at_kickoff"] < base["share_seated_at_kickoff"] - 0.02
