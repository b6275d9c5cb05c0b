"""Access chains in the YAML: ``stage: perimeter`` checkpoints, what the loader accepts and why not.

Each case starts from the tiny ground with a perimeter search added in front of its plaza
(tram and car park -> perimeter -> plaza -> gate_a), so the chain is valid, then breaks one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from scenario_helpers import paths

from simulator import Simulation
from simulator.errors import Problem
from simulator.results.report import render_report
from simulator.scenario.loader import load_scenario_text

Doc = dict[str, Any]
Check = Callable[[Doc], list[Problem]]


@pytest.fixture
def chain_doc(tiny_doc: Doc) -> Doc:
    """The tiny ground behind a perimeter: both origins reach the plaza only through it."""
    venue = tiny_doc["venue"]
    venue["areas"].append({"id": "outer", "area_m2": 2000})
    venue["checkpoints"].insert(
        0,
        {
            "id": "perimeter",
            "stage": "perimeter",
            "lanes": 6,
            "service": {"kind": "uniform", "low": 5, "high": 7},
            "queue_area_m2": 200,
        },
    )
    for lk in venue["links"]:
        if lk["id"] in ("l_tram", "l_car"):
            lk["target"] = "outer"
    venue["links"] += [
        {
            "id": "l_search",
            "source": "outer",
            "target": "perimeter",
            "length_m": 10,
            "width_m": 8,
            "two_way": False,
        },
        {
            "id": "l_inside",
            "source": "perimeter",
            "target": "plaza",
            "length_m": 10,
            "width_m": 8,
            "two_way": False,
        },
        {
            "id": "l_out",
            "source": "plaza",
            "target": "outer",
            "length_m": 10,
            "width_m": 8,
            "two_way": False,
        },
    ]
    return tiny_doc


def test_the_chain_validates_and_screens_fans_with_a_gate_at_both_stages(
    chain_doc: Doc, problems_of: Check
) -> None:
    import yaml

    assert problems_of(chain_doc) == []
    sc = load_scenario_text(yaml.safe_dump(chain_doc, sort_keys=False), source="chain.yaml")
    assert [c.stage for c in sc.venue.checkpoints] == ["perimeter", "ticket"]
    sim = Simulation(sc, seed=2)
    sim.run()
    result = sim.result()
    stats = result.summary.checkpoints
    east = [r for r in result.fans.to_pylist() if r["sector"] == "east"]  # gate: gate_a
    assert all(r["perimeter_service_s"] < r["service_start_s"] for r in east)
    # every fan passes the perimeter; the east stand's at gate_a, the west stand (no gate) too
    assert stats["perimeter"].served == stats["gate_a"].served == result.summary.fans.seated
    assert set(result.summary.stages) == {"perimeter", "ticket"}
    html = render_report(
        scenario=sc, summary=result.summary, timeseries=result.timeseries, fans=result.fans, seed=2
    )
    table = html[
        html.index('<table id="stages">') : html.index("</table>", html.index('id="stages"'))
    ]
    perimeter = result.summary.stages["perimeter"]
    assert 'id="stage-perimeter"' in table and 'id="stage-ticket"' in table
    assert f"<td>{perimeter.served:,}</td>" in table and "<td>3,600</td>" in table  # 6 x 3600/6
    assert "perimeter screening per fan" in html


def test_a_misspelt_stage_is_named(chain_doc: Doc, problems_of: Check) -> None:
    chain_doc["venue"]["checkpoints"][0]["stage"] = "perimetre"
    problems = problems_of(chain_doc)
    hit = next(p for p in problems if p.path == "venue.checkpoints[0].stage")
    assert "did you mean 'perimeter'" in hit.expected and hit.file == "test.yaml"


def test_a_sector_gate_on_a_perimeter_checkpoint_is_refused(
    chain_doc: Doc, problems_of: Check
) -> None:
    chain_doc["venue"]["sectors"][0]["gate"] = "perimeter"
    problems = problems_of(chain_doc)
    assert "venue.sectors[0].gate" in paths(problems)
    hit = next(p for p in problems if p.path == "venue.sectors[0].gate")
    assert "a ticket checkpoint" in hit.expected and "gate_a" in hit.expected


def test_a_way_round_the_perimeter_is_named_with_its_fix(
    chain_doc: Doc, problems_of: Check
) -> None:
    chain_doc["venue"]["links"].append(
        {"id": "l_gap", "source": "outer", "target": "plaza", "length_m": 40, "width_m": 2}
    )
    problems = problems_of(chain_doc)
    assert paths(problems) == ["venue.sectors[0]", "venue.sectors[1]"]
    east, west = problems
    assert east.found == "a route from 'tram' to 'gate_a' that passes no perimeter checkpoint"
    assert "one-way outwards" in east.expected  # the fix
    assert "passes no perimeter checkpoint" in west.found


@pytest.mark.parametrize(
    ("lever", "path", "text"),
    [
        (
            {"kind": "reassign_gate", "gate": "perimeter", "sectors": ["east"]},
            "interventions[0].gate",
            "a ticket checkpoint",
        ),
        (
            {"kind": "service_factor", "stage": "perimeter", "gate": "gate_a", "service_factor": 2},
            "interventions[0].stage",
            "either gate or stage",
        ),
        (
            {"kind": "service_factor", "stage": "outer", "service_factor": 2},
            "interventions[0].stage",
            "perimeter, ticket",
        ),
    ],
)
def test_levers_on_a_stage_are_checked(
    chain_doc: Doc, problems_of: Check, lever: Doc, path: str, text: str
) -> None:
    chain_doc["interventions"] = [{"id": "lv", "start": "19:00", **lever}]
    problems = problems_of(chain_doc)
    assert path in paths(problems), [str(p) for p in problems]
    hit = next(p for p in problems if p.path == path)
    assert text in hit.expected + " " + hit.found


def test_a_stage_lever_needs_a_checkpoint_of_that_stage(tiny_doc: Doc, problems_of: Check) -> None:
    tiny_doc["interventions"] = [
        {
            "id": "bags",
            "kind": "service_factor",
            "stage": "perimeter",
            "service_factor": 1.5,
            "start": "19:00",
        }
    ]
    problems = problems_of(tiny_doc)
    assert paths(problems) == ["interventions[0].stage"]
    assert "stage: perimeter" in problems[0].expected
