"""Plain records of a finished (or paused) run, and the Arrow tables built from them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from simulator.engine.network import Network
from simulator.engine.party import (
    INGRESS,
    LEFT,
    N_TIMES,
    PERIMETER_QUEUE,
    PERIMETER_SERVICE,
    SEATED,
    TIME_COLUMNS,
    Party,
)
from simulator.engine.world import SAMPLE_COLUMNS, World

TIMESERIES_SCHEMA = pa.schema(
    [
        ("time_s", pa.float64()),
        ("element", pa.string()),
        ("element_type", pa.string()),
        ("occupancy", pa.int64()),
        ("density_per_m2", pa.float64()),
        ("los", pa.string()),
        ("outflow_per_min", pa.float64()),
        ("mean_wait_s", pa.float64()),
    ]
)
NULL_WHEN_ABSENT = frozenset({PERIMETER_QUEUE, PERIMETER_SERVICE})
FANS_SCHEMA = pa.schema(
    [
        ("fan", pa.int64()),
        ("party", pa.int64()),
        ("sector", pa.string()),
        ("origin", pa.string()),
        ("gate", pa.string()),
        *[(name, pa.float64()) for name in TIME_COLUMNS],
    ]
)


@dataclass(frozen=True)
class LinkStats:
    """Exact counters of one link over the run (time averages, not samples)."""

    throughput: int
    mean_occupancy: float
    max_occupancy: int
    share_time_full: float


@dataclass(frozen=True)
class CheckpointStats:
    """Exact counters of one checkpoint over the run."""

    served: int
    waits: tuple[float, ...]
    peak_queue: int


@dataclass(frozen=True)
class FanCounts:
    """Head counts; ``in_venue`` is summed from element occupancies, independently."""

    expected: int
    arrived: int
    seated: int
    left: int
    in_venue: int
    dropped: int
    rerouted: int = 0  # fans a closure sent another way (simulator.engine.routing)
    stranded: int = 0  # fans a closure left with no open way who never got where they went


def timeseries_table(world: World, first: int = 0) -> pa.Table:
    """The samples from row ``first`` on (0: the whole run so far)."""
    samples = world.samples
    columns = {c: samples[c][first:] if first else samples[c] for c in SAMPLE_COLUMNS}
    return pa.table(columns, schema=TIMESERIES_SCHEMA)


def fans_table(parties: list[Party], network: Network, gate_ids: list[str]) -> pa.Table:
    """One row per fan; members of a party share its times."""
    sizes = np.array([p.size for p in parties], dtype=np.int64)
    reps = np.repeat(np.arange(len(parties)), sizes)
    first = np.array([p.first_fan for p in parties], dtype=np.int64)
    offset = np.arange(len(reps)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    ids = [e.id for e in network.elements]
    sector = np.array([ids[p.sector] if p.sector >= 0 else "" for p in parties], dtype=object)
    origin = np.array([ids[p.origin] for p in parties], dtype=object)
    gate = np.array([gate_ids[p.gate] if p.gate >= 0 else "" for p in parties], dtype=object)
    times = _times(parties)
    cols: dict[str, object] = {
        "fan": first[reps] + offset,
        "party": np.array([p.id for p in parties], dtype=np.int64)[reps],
        "sector": sector[reps],
        "origin": origin[reps],
        "gate": gate[reps],
    }
    for k, name in enumerate(TIME_COLUMNS):
        values = times[reps, k]
        # a fan who passed no perimeter has no perimeter times: null, not NaN, so that two
        # runs' tables still compare equal where no venue has an access chain
        cols[name] = pa.array(values, mask=np.isnan(values)) if k in NULL_WHEN_ABSENT else values
    return pa.table(cols, schema=FANS_SCHEMA)


def link_stats(world: World, ids: list[str]) -> dict[str, LinkStats]:
    """Per-link counters extended to ``world.now`` without touching the run's state."""
    span = max(world.now - world.start, 1e-12)
    out: dict[str, LinkStats] = {}
    for lk, link_id in zip(world.links, ids, strict=True):
        dt = max(world.now - lk.t_last, 0.0)
        full = lk.full_time + (dt if lk.n >= lk.capacity else 0.0)
        out[link_id] = LinkStats(
            lk.throughput, (lk.n_time + lk.n * dt) / span, lk.max_n, full / span
        )
    return out


def checkpoint_stats(world: World, ids: list[str]) -> dict[str, CheckpointStats]:
    return {
        cp_id: CheckpointStats(b.served_by(world.now), tuple(b.waits), b.peak_queue)
        for b, cp_id in zip(world.banks, ids, strict=True)
    }


def fan_counts(world: World, network: Network) -> FanCounts:
    inside = sum(n for n, e in zip(world.occ, network.elements, strict=True) if e.kind != "exit")
    parties = world.parties
    rerouted = sum(parties[pid].size for pid in world.rerouted)
    stranded = sum(
        parties[pid].size
        for pid, phase in world.unroutable.items()
        if math.isnan(parties[pid].times[SEATED if phase == INGRESS else LEFT])
    )
    return FanCounts(
        world.fans_expected,
        world.arrived,
        world.seated,
        world.left,
        inside,
        world.dropped,
        rerouted,
        stranded,
    )


def _times(parties: list[Party]) -> np.ndarray:
    """Every party's times, one row each: their packed doubles joined, ten times faster than
    numpy reading the arrays one by one (lists, from a snapshot older than packed times, too)."""
    try:
        raw = b"".join([p.times for p in parties])
    except TypeError:
        return np.array([p.times for p in parties], dtype=float).reshape(len(parties), N_TIMES)
    return np.frombuffer(raw, dtype=np.float64).reshape(len(parties), N_TIMES).copy()
