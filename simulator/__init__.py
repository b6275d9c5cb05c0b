"""matchday's simulator: scenarios in, SimPy runs on the venue graph, KPIs and tables out."""

from simulator.engine import RunResult, Simulation
from simulator.errors import ScenarioError, SimulatorError, SnapshotError
from simulator.pedestrian import PedestrianModel, create_model, register_model
from simulator.scenario import Scenario
from simulator.snapshot import Snapshot

__all__ = [
    "PedestrianModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "SimulatorError",
    "Snapshot",
    "SnapshotError",
    "create_model",
    "register_model",
]
