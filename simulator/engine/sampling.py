"""The periodic sample: one time-series row per element (exits excepted) per interval."""

from __future__ import annotations

from simulator.engine.network import Network
from simulator.engine.world import World
from simulator.scenario.model import Scenario


def take_sample(world: World, network: Network, scenario: Scenario) -> None:
    """Append the state at ``world.now`` and reset the per-interval counters."""
    per_min = 60.0 / scenario.settings.sample_interval_s
    cols = world.samples
    bank_of_node = network.bank_of_node
    occ, outflow = world.occ, world.outflow
    for i, element in enumerate(network.elements):
        if element.kind == "exit":
            continue
        n = occ[i]
        floor = element.floor_m2
        density = n / floor if floor > 0 else 0.0
        wait = 0.0
        bank_index = bank_of_node.get(i)
        if bank_index is not None:
            bank = world.banks[bank_index]
            wait = bank.wait_sum / bank.wait_n if bank.wait_n else 0.0
            bank.wait_sum, bank.wait_n = 0.0, 0
        cols["time_s"].append(world.now)
        cols["element"].append(element.id)
        cols["element_type"].append(element.kind)
        cols["occupancy"].append(n)
        cols["density_per_m2"].append(density)
        cols["los"].append(element.los(density))
        cols["outflow_per_min"].append(outflow[i] * per_min)
        cols["mean_wait_s"].append(wait)
        outflow[i] = 0
