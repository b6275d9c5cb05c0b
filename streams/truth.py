"""The simulated crowd that the demo cameras look at, kept in step with the live clock."""

from __future__ import annotations

from simulator import Scenario, Simulation


class GroundTruth:
    """One seeded run of the scenario, advanced only forwards as the demo's clock moves.

    Both demo sources (counts with noise, rendered frames) sample what they report from it, so
    the twin is corrected towards a crowd that really evolves rather than towards noise.
    """

    def __init__(self, scenario: Scenario, *, seed: int, start_s: float) -> None:
        self.simulation = Simulation(scenario, seed=seed)
        self.simulation.run(until=start_s)

    def occupancy_at(self, clock_s: float) -> dict[str, int]:
        """Persons per element at ``clock_s`` (never moving the run backwards)."""
        self.simulation.run(until=max(clock_s, self.simulation.now))
        return self.simulation.occupancy()
