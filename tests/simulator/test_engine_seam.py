"""The engine seam: named event kinds with one handler each, engine parts, SimPy as the clock."""

from __future__ import annotations

import inspect
from collections.abc import Generator, Mapping
from importlib import resources
from typing import Any

import pytest
import simpy
import yaml

import simulator.levers.runner as levers_runner
import simulator.transport.runner as transport_runner
from simulator import Scenario, Simulation, SimulatorError
from simulator.engine import world
from simulator.engine.dynamics import Dynamics
from simulator.engine.gates import FREE_WALK_MPS, GateCosts, expected_delay_s
from simulator.engine.parts import Handler, Part, RunContext, claims, hooks
from simulator.engine.world import K_VEHICLE, Kind
from simulator.levers.runner import LeverRunner
from simulator.scenario.loader import load_scenario_text
from simulator.transport.runner import TransportRunner


@pytest.fixture(scope="module")
def with_transport_and_levers() -> Scenario:
    """The bundled Benslimane stadium (it has transport) with a rain lever added."""
    text = resources.files("scenarios").joinpath("grand_stade_hassan_ii.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    doc["interventions"] = [
        {"id": "rain", "kind": "weather", "speed_factor": 0.9, "start": "19:00"}
    ]
    return load_scenario_text(yaml.safe_dump(doc), source="<benslimane with rain>")


def test_kinds_number_the_dispatch_table() -> None:
    assert [k.value for k in Kind] == list(range(len(Kind)))  # append-only, no gaps
    for kind in Kind:  # the plain-int names the hot path and snapshots use
        assert getattr(world, f"K_{kind.name}") == kind.value
        assert type(getattr(world, f"K_{kind.name}")) is int


def test_every_kind_has_exactly_one_handler(with_transport_and_levers: Scenario) -> None:
    sim = Simulation(with_transport_and_levers, seed=1)
    dyn = sim.dynamics
    owners = claims(dyn.own_handlers(), dyn.parts)
    assert {k: len(v) for k, v in owners.items()} == {k: 1 for k in Kind}
    assert [type(o).__name__ for o in owners[Kind.VEHICLE] + owners[Kind.LEVER]] == [
        "TransportRunner",
        "LeverRunner",
    ]
    assert len(dyn.handlers) == len(Kind)
    assert dyn.handlers[Kind.CAR].__self__ is sim.part(TransportRunner)  # type: ignore[attr-defined]
    assert dyn.handlers[Kind.LEVER].__self__ is sim.part(LeverRunner)  # type: ignore[attr-defined]
    assert dyn.handlers[Kind.LINK] == dyn.on_link


class Thief(Part):
    """A part that claims an engine kind: must be refused."""

    def handlers(self) -> Mapping[Kind, Handler]:
        return {Kind.LINK: lambda a, b: None}


def test_a_kind_claimed_twice_is_refused(small: Scenario) -> None:
    with pytest.raises(SimulatorError, match=r"event kind LINK has 2 handlers \(engine, Thief\)"):
        Simulation(small, seed=1, parts=[Thief])


def test_an_event_no_part_handles_fails_loudly(small: Scenario) -> None:
    sim = Simulation(small, seed=1)  # no transport section: nobody handles VEHICLE
    sim.world.schedule(sim.now + 5.0, K_VEHICLE, 0, 0)
    with pytest.raises(SimulatorError, match=r"kind VEHICLE .* no part of this run handles it"):
        sim.run(until=sim.now + 10.0)


def test_bundled_parts_hold_no_engine(with_transport_and_levers: Scenario) -> None:
    sim = Simulation(with_transport_and_levers, seed=1)
    for part in sim.dynamics.parts:
        assert not any(isinstance(v, Dynamics) for v in vars(part).values())
    for module in (levers_runner, transport_runner):
        source = inspect.getsource(module)
        assert (
            "Dynamics" not in source and "_candidates" not in source and "_gate_walks" not in source
        )


class Slow(Part):
    def service_factor(self, bank: int) -> float:
        return 2.0

    def gate_for(self, party: Any, gate: int) -> int:
        return gate + 1


class Slower(Slow):
    def service_factor(self, bank: int) -> float:
        return 1.5

    def link_closed(self, link: int) -> bool:
        return link == 3


def test_hooks_combine_over_parts(small: Scenario) -> None:
    sim = Simulation(small, seed=1)
    ctx = RunContext(small, sim.network, sim.world, sim.dynamics.gates, *([print] * 5))
    one, two = Slow(ctx), Slower(ctx)
    assert hooks([]) == type(hooks([]))()  # nothing overridden: every hook is None
    assert hooks([one]).service_factor == one.service_factor  # one part: its own method
    both = hooks([one, two])
    assert both.service_factor is not None and both.service_factor(0) == 3.0
    assert both.gate_for is not None and both.gate_for(None, 0) == 2  # applied in turn
    assert both.link_closed is not None and both.link_closed(3) and not both.link_closed(2)
    assert both.absorbs is None and both.blocks is None and both.arrived is None


def test_gate_costs_are_walk_plus_queue_per_lane(small: Scenario) -> None:
    sim = Simulation(small, seed=1)
    net, banks = sim.network, sim.world.banks
    gates = GateCosts(net, banks, small.venue.checkpoints)
    tram, s1 = net.index["tram"], net.index["s1"]
    walks = dict(gates.walks(tram, s1))
    # tram -> plaza (200 m) -> g1 (50 m) -> conc (30 m) -> s1 (20 m), at 1.34 m/s
    assert walks[0] == pytest.approx((200 + 50 + 30 + 20) / FREE_WALK_MPS)
    assert expected_delay_s(walk_s=100.0, queued=30, mean_service_s=6.0, lanes=6) == 130.0
    assert expected_delay_s(walk_s=100.0, queued=30, mean_service_s=6.0, lanes=6, factor=2) == 160
    for fan in range(60):  # 60 fans queuing at g1: 60 s more expected there than at g2
        banks[0].join(10_000 + fan, 1, sim.now)
    assert gates.best(tram, s1, -1, lanes=[6, 6]) == 1
    assert gates.best(tram, s1, -1, lanes=[6, 6], closed={1}) == 0
    assert gates.best(tram, s1, -1, lanes=[6, 0], closed={0}) == -1  # nothing open: fallback


def watcher(sim: Simulation, seen: list[tuple[float, float, int]]) -> Generator[Any, Any, None]:
    """A researcher's process: every 10 minutes, the clock, the run's time and the fans seated."""
    env = sim.env
    while True:
        yield env.timeout(600)
        seen.append((env.now, sim.world.now, sim.world.seated))


def test_a_simpy_process_runs_beside_the_engine(small: Scenario) -> None:
    plain = Simulation(small, seed=3)
    plain.run()
    sim = Simulation(small, seed=3)
    assert isinstance(sim.env, simpy.Environment)
    seen: list[tuple[float, float, int]] = []
    sim.env.process(watcher(sim, seen))
    sim.run()
    t0 = small.settings.start_s
    assert [t for t, _, _ in seen] == [t0 + 600 * (i + 1) for i in range(len(seen))]
    assert seen[-1][0] > small.settings.end_s - 600
    assert all(t == now for t, now, _ in seen)  # one clock
    seated = [n for _, _, n in seen]
    assert seated == sorted(seated) and seated[-1] > 0
    assert sim.world.events == plain.world.events  # a process that only reads changes nothing
    assert sim.result().summary == plain.result().summary


def test_simpy_run_until_drives_the_engine_too(small: Scenario) -> None:
    plain = Simulation(small, seed=5)
    plain.run()
    sim = Simulation(small, seed=5)
    sim.env.run(until=small.settings.start_s + 3600.0)  # SimPy's own loop, through step()
    assert sim.env.now == sim.now == small.settings.start_s + 3600.0
    assert sim.world.arrived > 0
    sim.run()
    assert sim.world.events == plain.world.events
    assert sim.result().summary == plain.result().summary


def test_a_failing_process_stops_the_run(small: Scenario) -> None:
    def broken(env: simpy.Environment) -> Generator[Any, Any, None]:
        yield env.timeout(60)
        raise ValueError("steward fell over")

    sim = Simulation(small, seed=1)
    sim.env.process(broken(sim.env))
    with pytest.raises(ValueError, match="steward fell over"):
        sim.run()
    assert sim.now == pytest.approx(small.settings.start_s + 60)


def test_part_lookup_names_a_missing_part(small: Scenario) -> None:
    with pytest.raises(SimulatorError, match="no engine part LeverRunner"):
        Simulation(small, seed=1).part(LeverRunner)
