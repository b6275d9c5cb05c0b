"""Who comes, when, from where: the ingress parties of a match day, drawn once at the start.

Tickets per sector x attendance give the fans; party sizes follow ``party_sizes``; each party's
arrival time is drawn from the piecewise-linear cumulative profile (inverse transform), its
origin from the mode split, its release time from the egress release profile and its
destination from ``egress.destinations`` (or back to its origin). Drawing everything up front
keeps the run's random stream independent of event order, and the parties still to come are
then plain data a snapshot carries.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import numpy as np

from simulator.engine.network import Network
from simulator.engine.party import ARRIVE, INGRESS, Party
from simulator.scenario.model import ArrivalProfile, Scenario


def profile_times(profile: ArrivalProfile, zero_s: float, u: np.ndarray) -> np.ndarray:
    """Clock times for uniform draws ``u`` under a cumulative profile in minutes from ``zero_s``."""
    minutes = np.array([p[0] for p in profile.points], dtype=float)
    shares = np.array([p[1] for p in profile.points], dtype=float)
    return zero_s + 60.0 * np.interp(u, shares, minutes)


def party_sizes(rng: np.random.Generator, fans: int, probs: tuple[float, ...]) -> np.ndarray:
    """Split ``fans`` into parties drawn from P(size = 1..len(probs)); the last one is cut."""
    if fans <= 0:
        return np.zeros(0, dtype=np.int64)
    p = np.asarray(probs, dtype=float)
    sizes = rng.choice(len(p), size=fans, p=p / p.sum()) + 1
    total = np.cumsum(sizes)
    m = int(np.searchsorted(total, fans))
    out = sizes[: m + 1].copy()
    out[m] = fans - (int(total[m - 1]) if m > 0 else 0)  # int(): a numpy int is no int for mypyc
    return out


def ingress_parties(scenario: Scenario, network: Network, rng: np.random.Generator) -> list[Party]:
    """All ingress parties, numbered in sector order, with arrival and release times drawn."""
    ingress, egress = scenario.ingress, scenario.egress
    if ingress is None:
        return []
    origins = [network.index[o] for o, _ in ingress.mode_split]
    mode_p = np.array([s for _, s in ingress.mode_split], dtype=float)
    bank_index = {c.id: i for i, c in enumerate(scenario.venue.checkpoints)}
    parties: list[Party] = []
    fan = 0
    for sector in scenario.venue.sectors:
        sizes = party_sizes(rng, round(sector.seats * ingress.attendance), ingress.party_sizes)
        m = len(sizes)
        arrive = profile_times(ingress.profile, ingress.kickoff_s, rng.random(m))
        origin = rng.choice(len(origins), size=m, p=mode_p / mode_p.sum())
        release = (
            profile_times(egress.release_profile, egress.final_whistle_s, rng.random(m))
            if egress is not None
            else np.full(m, np.nan)
        )
        dest = _destinations(scenario, network, rng, m)
        node = network.index[sector.id]
        gate = bank_index[sector.gate] if sector.gate is not None else -1
        for i in range(m):
            party = Party(len(parties), int(sizes[i]), fan, origins[origin[i]], node, INGRESS)
            party.times[ARRIVE] = float(arrive[i])
            party.release_at = float(release[i])
            party.gate = gate
            party.destination = party.origin if dest is None else dest[i]
            parties.append(party)
            fan += int(sizes[i])
    return parties


def _destinations(
    scenario: Scenario, network: Network, rng: np.random.Generator, m: int
) -> list[int] | None:
    egress = scenario.egress
    if egress is None or not egress.destinations:
        return None
    nodes = [network.index[d] for d, _ in egress.destinations]
    p = np.array([s for _, s in egress.destinations], dtype=float)
    return [nodes[k] for k in rng.choice(len(nodes), size=m, p=p / p.sum())]


def order_by(parties: list[Party], key: Callable[[Party], float]) -> array[int]:
    """Party indices by ``key``, ties by party number (deterministic); packed, as a list
    would hold an int object per party for the whole day (issue 14)."""
    return array("q", sorted(range(len(parties)), key=lambda i: (key(parties[i]), i)))


def arrival_time(party: Party) -> float:
    """When the party reaches its origin (the order of ``World.arrivals``)."""
    return party.times[ARRIVE]


def release_time(party: Party) -> float:
    """When the party leaves its seat after the final whistle (the order of ``World.releases``)."""
    return party.release_at
