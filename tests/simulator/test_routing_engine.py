"""The route-choice machinery (simulator.engine.routing): the multigraph, the cached candidates,
closures and snapshots, the ``routing:`` section's errors, and the stranded count's report."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import networkx as nx
import pytest

from simulator import Simulation
from simulator.engine.network import Network
from simulator.engine.routing import WalkGraph, candidates, distance, simple_paths
from simulator.engine.snapshot import Snapshot
from simulator.errors import ScenarioError
from simulator.results.kpi_table import kpi_table
from simulator.results.report import render_report
from simulator.scenario.loader import load_scenario, load_scenario_text
from simulator.scenario.model import Routing, Scenario

VENUE = """
name: routing unit
settings: {{start: 0, end: 20000}}
venue:
  name: routing unit
  origins: [{{id: o, mode: walk}}]
  areas:
    - {{id: plaza, area_m2: 4000, walk_m: 0}}
    - {{id: conc, area_m2: 4000, walk_m: 0}}
    - {{id: side, area_m2: 500, walk_m: 0}}
  checkpoints:
    - {{id: g1, lanes: 4, queue_area_m2: 300, service: {{kind: deterministic, mean: 3}}}}
    - {{id: g2, lanes: 4, queue_area_m2: 300, service: {{kind: deterministic, mean: 3}}}}
  sectors:
    - {{id: s1, seats: 800, gate: g1}}
    - {{id: s2, seats: 800, gate: g2}}
  exits: [{{id: x}}]
  links:
    - {{id: o_plaza, source: o, target: plaza, length_m: 20, width_m: 20}}
    - {{id: to_g1, source: plaza, target: g1, length_m: 100, width_m: 6}}
    - {{id: to_g2, source: plaza, target: g2, length_m: 100, width_m: 6}}
    - {{id: in_g1, source: g1, target: conc, length_m: 10, width_m: 6}}
    - {{id: in_g2, source: g2, target: conc, length_m: 10, width_m: 6}}
    - {{id: v1, source: conc, target: s1, length_m: 5, width_m: 10}}
    - {{id: v2, source: conc, target: s2, length_m: 5, width_m: 10}}
    - {{id: door_a, source: conc, target: x, length_m: 1, width_m: 3, kind: door}}
    - {{id: door_b, source: conc, target: x, length_m: 1, width_m: 2, kind: door}}
    - {{id: c_side, source: conc, target: side, length_m: 30, width_m: 4}}
    - {{id: side_x, source: side, target: x, length_m: 30, width_m: 4}}
ingress:
  kickoff: 5400
  gates_open: 0
  attendance: 1.0
  profile: [[-85, 0.0], [-45, 1.0]]
  mode_split: {{o: 1.0}}
egress:
  final_whistle: 12000
  release_profile: [[0, 0.0], [5, 1.0]]
  destinations: {{x: 1.0}}
{extra}
"""


def load(extra: str = "") -> Scenario:
    return load_scenario_text(VENUE.format(extra=extra), source="<routing unit>")


def test_parallel_links_are_all_kept_widest_first() -> None:
    sc = load()
    net = Network(sc)
    conc, x = net.index["conc"], net.index["x"]
    links = [lk.id for lk in sc.venue.links]
    assert [links[i] for i, _ in net.hops[(conc, x)]] == ["door_a", "door_b"]
    assert net.graph.number_of_edges(conc, x) == 2
    assert net.branch[conc]
    assert net.branch[net.index["plaza"]]  # two gates on the way to the concourse
    assert not net.branch[net.index["o"]]  # one link out


def test_candidates_are_efficient_and_carry_their_path_size() -> None:
    sc = load()
    net = Network(sc)
    conc, x = net.index["conc"], net.index["x"]
    found = candidates(net, conc, x, "none", Routing(detour=100.0))
    nodes = [c.nodes for c in found]
    assert nodes[0] == (conc, x) and (conc, net.index["side"], x) in nodes
    # disjoint node paths: each hop used once, so every path size is 1
    assert all(c.log_ps == pytest.approx(0.0) for c in found)
    assert [len(s) for s in found[0].steps] == [1, 1]  # one step per parallel door
    assert candidates(net, conc, x, "none", Routing()) is candidates(
        net, conc, x, "none", Routing()
    )  # cached on the plan


def test_the_detour_limit_leaves_out_long_candidates() -> None:
    sc = load()
    net = Network(sc)
    found = candidates(net, net.index["conc"], net.index["x"], "none", Routing(detour=0.5))
    assert [c.nodes for c in found] == [(net.index["conc"], net.index["x"])]


def test_warm_start_after_a_closure_replays_the_run() -> None:
    closure = "interventions:\n  - {id: shut, kind: close_gate, gate: g1, start: 1200}\n"
    sc = load(closure)
    whole = Simulation(sc, seed=2)
    whole.run()
    first = Simulation(sc, seed=2)
    first.run(until=1500)
    assert first.world.rerouted  # the closure has sent fans elsewhere by then
    snap = first.snapshot()
    resumed = Simulation(
        sc, seed=2, snapshot=Snapshot.from_dict(json.loads(json.dumps(snap.to_dict())))
    )
    resumed.run()
    a, b = whole.result(), resumed.result()
    assert a.summary.to_json() == b.summary.to_json()
    assert a.fans.equals(b.fans)
    fans = a.summary.to_dict()["fans"]
    assert fans["stranded"] == 0 and fans["rerouted"] > 0 and fans["left"] == 1600


def test_a_closed_exit_sends_the_stand_out_by_the_others() -> None:
    shut = "interventions:\n  - {id: shut, kind: close_link, link: door_a, start: 11000}\n"
    result = Simulation(load(shut), seed=3)
    result.run()
    summary = result.result().summary.to_dict()
    assert summary["links"]["door_a"]["throughput"] == 0
    assert summary["fans"]["left"] == 1600 and summary["fans"]["stranded"] == 0


def test_stranded_fans_are_shown_in_the_table_and_the_report() -> None:
    # both ways out closed for good: the stand cannot leave, and says so
    shut = (
        "interventions:\n"
        "  - {id: a, kind: close_link, link: door_a, start: 11000}\n"
        "  - {id: b, kind: close_link, link: door_b, start: 11000}\n"
        "  - {id: c, kind: close_link, link: side_x, start: 11000}\n"
    )
    sc = load(shut)
    sim = Simulation(sc, seed=3)
    sim.run()
    result = sim.result()
    fans = result.summary.fans
    assert fans.left == 0 and fans.stranded == 1600
    table = kpi_table(result.summary)
    assert any("stranded" in str(c) for c in table.columns[0]._cells)
    html = render_report(
        scenario=sc,
        summary=result.summary,
        timeseries=result.timeseries,
        fans=result.fans,
        seed=3,
    )
    assert "1,600 stranded" in html


@pytest.mark.parametrize(
    ("routing", "field"),
    [
        ("{model: fastest}", "routing.model"),
        ("{theta_per_s: 0}", "routing.theta_per_s"),
        ("{paths: 0}", "routing.paths"),
        ("{egress_via: {nowhere: x}}", "routing.egress_via.nowhere"),
        ("{egress_via: {s1: nowhere}}", "routing.egress_via.s1"),
        ("{pathz: 3}", "routing.pathz"),
    ],
)
def test_bad_routing_names_the_field(routing: str, field: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load(f"routing: {routing}")
    assert field in str(err.value) and "<routing unit>" in str(err.value)


def test_theta_sets_the_logit_scale() -> None:
    sc = load("routing: {theta_per_s: 0.2, paths: 2, detour: 1.0}")
    assert sc.routing == Routing("logit", 0.2, 2, 1.0)


def _nx_walkable(net: Network, node: int, anchor: int) -> nx.DiGraph:
    """The walking graph as networkx holds it (how candidates were found before the port)."""
    graph = nx.DiGraph()
    for u, v, length, u_stop, v_stop in net.walk_hops:
        if (v_stop and v not in (node, anchor)) or (u_stop and u not in (node, anchor)):
            continue
        graph.add_edge(u, v, length=length)
    return graph


def test_the_compiled_yen_search_finds_networkx_paths_in_networkx_order() -> None:
    """``simple_paths`` is a port of ``nx.shortest_simple_paths``: the same paths, ties broken
    the same way, on every pair of a bundled venue (its symmetric halves make equal ways)."""
    net = Network(
        load_scenario(Path(__file__).parents[2] / "scenarios" / "complexe_sportif_fes.yaml")
    )
    for node in range(net.n_nodes):
        for anchor in range(0, net.n_nodes, 3):
            graph, ours = _nx_walkable(net, node, anchor), WalkGraph(net, node, anchor)
            present = node in graph and anchor in graph
            assert present == (ours.has(node) and ours.has(anchor))
            if not present or node == anchor or not nx.has_path(graph, node, anchor):
                continue
            shortest = nx.shortest_path_length(graph, node, anchor, weight="length")
            assert distance(ours, node, anchor) == shortest
            theirs = nx.shortest_simple_paths(graph, node, anchor, weight="length")
            assert list(itertools.islice(simple_paths(ours, node, anchor), 5)) == list(
                itertools.islice(theirs, 5)
            )
