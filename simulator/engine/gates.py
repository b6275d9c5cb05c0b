"""Which gate a fan setting off expects to be quickest: the one home of the gate-cost formula.

Used by the engine's ``least_delay`` route choice and by the levers part when a fan's gate is
closed (``simulator.levers.runner``); both ask ``GateCosts.best`` with their own view of the
lanes open and the screening speed-up. Only ticket checkpoints are gates to choose; the
perimeter checkpoints on the way to a gate add their queues to its cost, and a gate behind a
perimeter checkpoint with no lane open is not a candidate.
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
        self.tickets = [cp.stage == "ticket" for cp in checkpoints]
        self._walks: dict[tuple[int, int], list[tuple[int, float]]] = {}
        self._chains: dict[tuple[int, int], list[tuple[int, ...]]] = {}

    def walks(self, origin: int, sector: int) -> list[tuple[int, float]]:
        """(bank, free walking time in s) of every ticket gate with a path from origin to sector."""
        key = (origin, sector)
        found = self._walks.get(key)
        if found is None:
            self._gate_walks(key)
            found = self._walks[key]
        return found

    def chains(self, origin: int, sector: int) -> list[tuple[int, ...]]:
        """The perimeter banks on the way through each gate of ``walks``, in the same order."""
        key = (origin, sector)
        if key not in self._chains:
            self._gate_walks(key)
        return self._chains[key]

    def _gate_walks(self, key: tuple[int, int]) -> None:
        origin, sector = key
        net, walks, chains = self.net, [], []
        for bank in self.banks:
            if not self.tickets[bank.index]:
                continue
            try:
                nodes = net.path(origin, bank.node) + net.path(bank.node, sector)[1:]
            except SimulatorError:  # no path through this gate: not a candidate
                continue
            walks.append((bank.index, net.length(nodes) / FREE_WALK_MPS))
            chains.append(tuple(net.bank_of_node[n] for n in nodes if n in net.perimeter))
        self._walks[key], self._chains[key] = walks, chains

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
        walks = self.walks(origin, sector)
        for (b, walk), chain in zip(walks, self.chains(origin, sector), strict=True):
            if b in closed or lanes[b] <= 0 or any(lanes[p] <= 0 for p in chain):
                continue
            cost = walk
            for k in (*chain, b):
                cost += expected_delay_s(
                    walk_s=0.0,
                    queued=len(banks[k].queue),
                    mean_service_s=means[k],
                    lanes=lanes[k],
                    factor=1.0 if factor is None else factor[k],
                )
            if cost < best_cost:
                best, best_cost = b, cost
        return best
