"""matchday's simulator: scenarios in, SimPy runs on the venue graph, KPIs and tables out."""

from simulator.crowd.registry import PedestrianModel, create_model, register_model
from simulator.engine.simulation import RunResult, SeriesResult, Simulation
from simulator.engine.snapshot import Snapshot
from simulator.errors import ScenarioError, SimulatorError, SnapshotError
from simulator.scenario.loader import load_scenario
from simulator.scenario.model import Scenario

__all__ = [
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
]
