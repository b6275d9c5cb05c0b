"""Which gate a fan setting off expects to be quickest: the one home of the gate-cost formula.

Used by the engine's ``least_delay`` route choice and by the levers part when a fan's gate is
closed (``simulator.levers.runner``); both ask ``GateCosts.best`` with their own view of the
lanes open and the screening speed-up.
"""

from __future__ import annotations

import math
from collections.abc import Container, Sequence

from simulator.engine.checkpoint import TurnstileBank
from simulator.engine.network import Network
from simulator.errors import SimulatorError
from simulator.scenario.model import Checkpoint

FREE_WALK_MPS = 1.34  # walking speed a fan assumes for the way to a gate (Weidmann's free speed)


def expected_delay_s(
    *, walk_s: float, queued: int, mean_service_s: float, lanes: int, factor: float = 1.0
) -> float:
    """Walking time at free speed plus the screening time of the queue ahead, per lane."""
    return walk_s + queued * mean_service_s * factor / lanes


class GateCosts:
    """Candidate gates per (origin, sector) with their walking times, built once when asked."""

    def __init__(
        self, net: Network, banks: Sequence[TurnstileBank], checkpoints: Sequence[Checkpoint]
    ) -> None:
        self.net = net
        self.banks = banks
        self.mean_service_s = [cp.service.mean for cp in checkpoints]
        self.planned_lanes = [cp.lanes for cp in checkpoints]
        self._walks: dict[tuple[int, int], list[tuple[int, float]]] = {}

    def walks(self, origin: int, sector: int) -> list[tuple[int, float]]:
        """(bank, free walking time in s) of every gate with a path from origin to sector."""
        key = (origin, sector)
        found = self._walks.get(key)
        if found is None:
            found = self._walks[key] = self._gate_walks(origin, sector)
        return found

    def _gate_walks(self, origin: int, sector: int) -> list[tuple[int, float]]:
        net, out = self.net, []
        for bank in self.banks:
            try:
                nodes = net.path(origin, bank.node) + net.path(bank.node, sector)[1:]
            except SimulatorError:  # no path through this gate: not a candidate
                continue
            out.append((bank.index, net.length(nodes) / FREE_WALK_MPS))
        return out

    def best(
        self,
        origin: int,
        sector: int,
        fallback: int,
        *,
        lanes: Sequence[int],
        factor: Sequence[float] | None = None,
        closed: Container[int] = (),
    ) -> int:
        """The gate of least expected delay; ``fallback`` when no gate is open to this fan."""
        best, best_cost = fallback, math.inf
        banks, means = self.banks, self.mean_service_s
        for b, walk in self.walks(origin, sector):
            if b in closed or lanes[b] <= 0:
                continue
            cost = expected_delay_s(
                walk_s=walk,
                queued=len(banks[b].queue),
                mean_service_s=means[b],
                lanes=lanes[b],
                factor=1.0 if factor is None else factor[b],
            )
            if cost < best_cost:
                best, best_cost = b, cost
        return best
