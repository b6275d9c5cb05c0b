"""The Mondial 2030 scenario pack: three venues with transport, and the Benslimane variants."""

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
}


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
