"""``Simulation``: one seeded run of a scenario on SimPy, cold or warm from a snapshot.

SimPy's environment is the clock (``sim.env``, an ``Agenda``: see ``simulator.engine.agenda``).
Each pending event of the run state is queued at its exact absolute time with one insertion
counter preserving the order of simultaneous events, so a run resumed from a snapshot replays
the uninterrupted run bit for bit. Transport and levers are engine parts
(``simulator.engine.parts``); ``Simulation(..., parts=[...])`` adds a researcher's own, and
``sim.env.process(...)`` runs a SimPy process beside the engine's events.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar, overload

import numpy as np
import pyarrow as pa

from simulator.crowd.registry import create_model
from simulator.engine import network
from simulator.engine.agenda import Agenda
from simulator.engine.assimilate import assimilate
from simulator.engine.checkpoint import TurnstileBank
from simulator.engine.demand import arrival_time, ingress_parties, order_by, release_time
from simulator.engine.dynamics import Dynamics
from simulator.engine.gc_pause import gc_paused
from simulator.engine.link import Walkway
from simulator.engine.network import Network, build_walkway
from simulator.engine.parts import Part, PartFactory
from simulator.engine.snapshot import (
    KeptState,
    Snapshot,
    check_world,
    dump_state,
    keep_state,
    load_state,
)
from simulator.engine.world import K_GATES, K_RELEASE, K_SAMPLE, K_SOURCE, World
from simulator.errors import SimulatorError, SnapshotError
from simulator.levers.model import delay_releases
from simulator.levers.runner import lever_part, new_lever_state
from simulator.results.dwell_kpis import halftime_kpis, service_kpis
from simulator.results.kpis import los_minutes, summarize
from simulator.results.records import (
    checkpoint_stats,
    fan_counts,
    fans_table,
    link_stats,
    timeseries_table,
)
from simulator.results.summary import RunSummary
from simulator.scenario.digest import scenario_digest
from simulator.scenario.model import Scenario
from simulator.transport.inbound import group_arrivals
from simulator.transport.kpis import transport_kpis
from simulator.transport.runner import new_state, transport_part

BUNDLED_PARTS: tuple[PartFactory, ...] = (transport_part, lever_part)
P = TypeVar("P", bound=Part)


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the summary KPIs and the two tables."""

    summary: RunSummary  # typed; ``summary.to_dict()`` is the JSON of summary.json
    timeseries: pa.Table
    fans: pa.Table


@dataclass(frozen=True)
class SeriesResult:
    """What ``run(..., results="timeseries")`` builds: the samples taken during that call and
    the head counts at its end; no fans table, no summary (a forecast reads only these)."""

    timeseries: pa.Table  # the time-series contract columns, rows sampled in this call
    occupancy: dict[str, int]  # persons per element at the end (exits excluded)


Results = Literal["full", "timeseries"]
Plan = tuple[Network, list[Walkway]]
_PLANS: dict[int, tuple[weakref.ref[Scenario], Plan]] = {}  # by id: a Scenario is unhashable


def _plan(scenario: Scenario) -> tuple[Network, list[Walkway]]:
    """The static part of a run (graph, routes, link speed tables), shared by runs of a scenario.

    A twin warm-starts the same scenario many times a minute; building the tables of long
    links costs more than the forecast itself, and none of it depends on the seed or state.
    """
    cached = _PLANS.get(id(scenario))
    if cached is not None and cached[0]() is scenario:
        return cached[1]
    settings = scenario.settings
    model = create_model(settings.pedestrian_model, settings.model_params)
    tables = [
        build_walkway(i, link, model, settings.flow_caps, settings.start_s)
        for i, link in enumerate(scenario.venue.links)
    ]
    plan = (Network(scenario), tables)
    key = id(scenario)
    _PLANS[key] = (weakref.ref(scenario, lambda _: _PLANS.pop(key, None)), plan)
    return plan


def clear_plan_caches() -> None:
    """Forget every scenario's static plan (graph, routes, link tables) and the link and place
    speed tables behind them: the next run builds its own, as a first run in a process does
    (the memory benchmark measures what a run holds with them counted)."""
    _PLANS.clear()
    network.clear_caches()


class Simulation:
    """A run of ``scenario`` with ``seed``; ``snapshot`` resumes one where it was taken.

    ``parts`` are factories of extra engine parts (``simulator.engine.parts``), built after the
    bundled transport and levers parts; a warm start needs the same ones as the run it resumes.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int = 0,
        snapshot: Snapshot | None = None,
        parts: Sequence[PartFactory] = (),
    ):
        self.scenario = scenario
        self.seed = seed
        self._handed_over = False  # snapshot(final=True) took the world: no running on
        self.network, tables = _plan(scenario)
        if snapshot is None:
            with gc_paused():
                self.world = self._cold_world(tables)
        else:
            self._check(snapshot)
            self.world = load_state(snapshot)
            check_world(self.world, scenario, len(self.network.elements))
            for lk, fresh in zip(self.world.links, tables, strict=True):
                lk.set_tables(fresh)
        self.dynamics = Dynamics(scenario, self.network, self.world, (*BUNDLED_PARTS, *parts))
        self.env = Agenda(self.dynamics.queue, self.dynamics)
        held, self.world.pending = self.world.pending, []
        for data in held:
            self.env.at(*data)
        self.world.push = self.env.at
        if snapshot is None:
            self._first_events()
        elif snapshot.observed:
            assimilate(self.dynamics, snapshot.observed)

    def _cold_world(self, tables: list[Walkway]) -> World:
        sc = self.scenario
        t0 = sc.settings.start_s
        links = []
        for i, link in enumerate(sc.venue.links):
            lk = Walkway(i, link.length_m, tables[i].capacity, [0.0], tables[i].headway, t0)
            lk.set_tables(tables[i])
            links.append(lk)
        banks = [
            TurnstileBank(i, self.network.index[cp.id], cp.lanes)
            for i, cp in enumerate(sc.venue.checkpoints)
        ]
        rng = np.random.default_rng(self.seed)
        parties = ingress_parties(sc, self.network, rng)
        group_arrivals(sc, self.network, parties)
        delay_releases(sc.interventions, [e.id for e in self.network.elements], parties)
        releases = array("q") if sc.egress is None else order_by(parties, release_time)
        world = World(
            rng,
            t0,
            links,
            banks,
            len(self.network.elements),
            parties,
            order_by(parties, arrival_time),
            releases,
        )
        k_jam = create_model(sc.settings.pedestrian_model, sc.settings.model_params).k_jam
        world.transport = new_state(sc, self.network.index, k_jam)
        world.levers = new_lever_state(sc)
        return world

    def _first_events(self) -> None:
        w, sc = self.world, self.scenario
        w.schedule(sc.settings.start_s + sc.settings.sample_interval_s, K_SAMPLE)
        if sc.ingress is not None and sc.ingress.gates_open_s > w.now:
            w.schedule(sc.ingress.gates_open_s, K_GATES)
        self.dynamics.schedule_next_arrival()
        self.dynamics.start_parts()
        if w.releases:
            w.schedule(max(w.parties[w.releases[0]].release_at, w.now), K_RELEASE)
        for i, src in enumerate(sc.sources):
            t = max(src.start_s, w.now) + float(w.rng.exponential(1.0 / src.rate_per_s))
            if t < src.end_s:
                w.schedule(t, K_SOURCE, i)

    def _check(self, snapshot: Snapshot) -> None:
        ids = tuple(e.id for e in self.network.elements)
        if snapshot.scenario != self.scenario.name or snapshot.element_ids != ids:
            raise SnapshotError(
                f"snapshot of {snapshot.scenario!r} does not fit scenario "
                f"{self.scenario.name!r}: its elements differ; take the snapshot from a run "
                "of this scenario"
            )
        digest = scenario_digest(self.scenario)
        if snapshot.scenario_digest != digest:
            raise SnapshotError(
                f"snapshot of {snapshot.scenario!r} was taken from another version of the "
                f"scenario (digest {snapshot.scenario_digest[:40]}, this one {digest}); take "
                "the snapshot from a run of this scenario"
            )

    @property
    def now(self) -> float:
        return self.world.now

    def part(self, kind: type[P]) -> P:
        """The run's engine part of class ``kind`` (one built from ``parts=``, or a bundled one)."""
        for part in self.dynamics.parts:
            if isinstance(part, kind):
                return part
        raise SimulatorError(f"this run has no engine part {kind.__name__}; pass it in parts=")

    @overload
    def run(
        self,
        until: float | None = None,
        progress: Callable[[float], None] | None = None,
        *,
        results: None = None,
    ) -> None: ...

    @overload
    def run(
        self,
        until: float | None = None,
        progress: Callable[[float], None] | None = None,
        *,
        results: Literal["full"],
    ) -> RunResult: ...

    @overload
    def run(
        self,
        until: float | None = None,
        progress: Callable[[float], None] | None = None,
        *,
        results: Literal["timeseries"],
    ) -> SeriesResult: ...

    def run(
        self,
        until: float | None = None,
        progress: Callable[[float], None] | None = None,
        *,
        results: Results | None = None,
    ) -> RunResult | SeriesResult | None:
        """Advance to clock time ``until`` (default: ``settings.end_s``).

        ``results="full"`` returns ``result()``; ``results="timeseries"`` only the samples of
        this stretch and the final head counts (``SeriesResult``), which is what a twin's
        forecast reads: at 115,000 fans the fans table and the summary cost more than a
        20-minute forecast's samples by far.
        """
        if results not in (None, "full", "timeseries"):
            raise SimulatorError(f"run(results={results!r}): expected 'full', 'timeseries' or None")
        self._check_live()
        first_sample = len(self.world.samples["time_s"])
        self._advance(until, progress)
        if results == "full":
            return self.result()
        if results == "timeseries":
            return SeriesResult(timeseries_table(self.world, first_sample), self.occupancy())
        return None

    def _advance(self, until: float | None, progress: Callable[[float], None] | None) -> None:
        end = float(self.scenario.settings.end_s if until is None else until)
        if progress is None:
            with gc_paused():
                self.env.advance(end)
        else:
            tick = math.floor(self.world.now / 60.0) * 60.0 + 60.0
            while tick < end:
                with gc_paused():
                    self.env.advance(tick)
                progress(tick)
                tick += 60.0
            with gc_paused():
                self.env.advance(end)
        self.env.wait_until(end)
        if progress is not None:
            progress(self.world.now)

    def occupancy(self) -> dict[str, int]:
        """Persons present now per element (exits excluded), without a snapshot's state dump.

        The live demo reads this every camera tick; pickling the whole world for it would cost
        megabytes per tick at a 115,000-seat stadium.
        """
        elements = self.network.elements
        return {e.id: n for e, n in zip(elements, self.world.occ, strict=True) if e.kind != "exit"}

    def snapshot(self, *, keep: bool = False, final: bool = False) -> Snapshot:
        """The full state now, frozen; ``Simulation(scenario, seed, snapshot=...)`` resumes it.

        ``keep=True`` also keeps a copy of the state in this process (``Snapshot.kept``):
        resuming the snapshot here then copies it, several times cheaper than decoding the
        bytes (the twin's members resume their own snapshots every cycle), at the memory of
        a whole run held per snapshot until ``simulator.engine.snapshot.forget_decoded``.
        ``final=True`` (with ``keep``): this run goes no further, so its own state is kept
        instead of a copy; running it on then raises ``SimulatorError``.
        """
        if final and not keep:
            raise SimulatorError("snapshot(final=True) hands the run's state over: keep=True")
        self._check_live()
        w = self.world
        state, kept = self._dump(keep, final)
        if final:
            self._handed_over = True
        ids = tuple(e.id for e in self.network.elements)
        types = tuple(e.kind for e in self.network.elements)
        return Snapshot(
            time_s=w.now,
            scenario=self.scenario.name,
            seed=self.seed,
            element_ids=ids,
            element_types=types,
            occupancy=self.occupancy(),
            queues={
                cp.id: len(b.queue)
                for cp, b in zip(self.scenario.venue.checkpoints, w.banks, strict=True)
            },
            fans_to_arrive=sum(w.parties[i].size for i in w.arrivals[w.next_arrival :]),
            fans_to_release=sum(w.parties[i].size for i in w.releases[w.next_release :]),
            state=state,
            scenario_digest=scenario_digest(self.scenario),
            kept=kept,
        )

    def _dump(self, keep: bool = False, final: bool = False) -> tuple[bytes, KeptState | None]:
        w = self.world
        w.pending = self.env.pending()
        try:
            state = dump_state(w)
            return state, keep_state(state, w, copy=not final) if keep else None
        finally:
            if final:  # handed over as a decoded world is: its events held, no clock
                w.push = w.hold
            else:
                w.pending = []

    def _check_live(self) -> None:
        if self._handed_over:
            raise SimulatorError(
                "this run's state was handed to a snapshot (snapshot(final=True)); resume that"
            )

    def result(self) -> RunResult:
        """Summary and tables of the run so far."""
        sc, w = self.scenario, self.world
        fans = fans_table(w.parties, self.network, [c.id for c in sc.venue.checkpoints])
        timeseries = timeseries_table(w)
        los = los_minutes(timeseries=timeseries, interval_s=sc.settings.sample_interval_s)
        summary = summarize(
            scenario=sc,
            seed=self.seed,
            end_s=w.now,
            counts=fan_counts(w, self.network),
            fans=fans,
            timeseries=timeseries,
            links=link_stats(w, [link.id for link in sc.venue.links]),
            checkpoints=checkpoint_stats(w, [c.id for c in sc.venue.checkpoints]),
            los=los,
        )
        summary = dataclasses.replace(
            summary,
            services=service_kpis(scenario=sc, state=w.dwell, run_s=w.now - sc.settings.start_s),
            halftime=halftime_kpis(scenario=sc, state=w.dwell, timeseries=timeseries),
        )
        if sc.transport is not None:
            transport = transport_kpis(
                state=w.transport,
                transport=sc.transport,
                platform_ids=[self.network.elements[p.node].id for p in w.transport.platforms],
                los=los,
                final_whistle_s=sc.egress.final_whistle_s if sc.egress else None,
                time_to_clear_s=summary.time_to_clear_s,
            )
            summary = dataclasses.replace(summary, transport=transport)
        return RunResult(summary, timeseries, fans)
