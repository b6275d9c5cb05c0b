"""The levers engine part: window edges are events, effects are recomputed on each edge.

``LeverRunner`` is the engine's one contact with ``simulator.levers.model``. Through the run's
``RunContext`` (``simulator.engine.parts``) it schedules the window edges (kind ``LEVER``),
answers which gate a setting-off party uses (``gate_for``), which links are closed
(``link_closed``) and how fast each bank screens (``service_factor``), and on each edge
recomputes the effective settings (see the module docstring of ``simulator.levers.model``).
When a link or gate closes, those queuing for it are redirected onto their best open way
(``RunContext.redirect``); those walking towards it re-route where they meet it.
"""

from __future__ import annotations

from collections.abc import Mapping

from simulator.engine.parts import Handler, Part, RunContext
from simulator.engine.party import Party
from simulator.engine.world import K_LEVER, K_PARTY_SCREENED, Kind
from simulator.levers.model import Intervention, LeverState
from simulator.scenario.model import Scenario
from simulator.transport.runner import set_line_service

ON, OFF = 0, 1


def new_lever_state(scenario: Scenario) -> LeverState | None:
    if not scenario.interventions:
        return None
    lanes = [cp.lanes for cp in scenario.venue.checkpoints]
    lines = scenario.transport.lines if scenario.transport else ()
    state = LeverState(len(scenario.interventions), lanes, len(lines))
    state.line_fleet = [ln.fleet for ln in lines]
    return state


def lever_part(ctx: RunContext) -> LeverRunner | None:
    """The levers part of a run whose scenario has ``interventions``."""
    return None if ctx.world.levers is None else LeverRunner(ctx)


class LeverRunner(Part):
    """Pulls the scenario's levers on the run."""

    def __init__(self, ctx: RunContext) -> None:
        super().__init__(ctx)
        scenario = ctx.scenario
        self.levers: tuple[Intervention, ...] = scenario.interventions
        self.world = ctx.world
        index = ctx.net.index
        self.bank = {cp.id: i for i, cp in enumerate(scenario.venue.checkpoints)}
        self.stage_banks: dict[str, list[int]] = {}
        for i, cp in enumerate(scenario.venue.checkpoints):
            self.stage_banks.setdefault(cp.stage, []).append(i)
        self.link = {lk.id: i for i, lk in enumerate(scenario.venue.links)}
        self.line = (
            {ln.id: i for i, ln in enumerate(scenario.transport.lines)}
            if (scenario.transport)
            else {}
        )
        self.base_lines = scenario.transport.lines if scenario.transport else ()
        self.sector_nodes = [[index[s] for s in lv.sectors] for lv in self.levers]
        # the speed tables as built for this run (a warm start gets fresh ones, unscaled)
        self.base_speeds = [lk.speeds for lk in self.world.links]
        factor = self.state.speed_factor
        if factor != 1.0:
            for lk, base in zip(self.world.links, self.base_speeds, strict=True):
                lk.speeds = [v * factor for v in base]

    @property
    def state(self) -> LeverState:
        state: LeverState = self.world.levers
        return state

    def handlers(self) -> Mapping[Kind, Handler]:
        return {Kind.LEVER: self.on_lever}

    def start(self) -> None:
        """Schedule every window edge still ahead (cold start); apply those already open."""
        w = self.world
        for i, lever in enumerate(self.levers):
            if lever.kind == "release_delay":
                continue  # applied to the drawn release times before the run
            if lever.start_s <= w.now:
                self.state.active[i] = lever.covers(w.now)
            else:
                self.ctx.schedule(lever.start_s, K_LEVER, i, ON)
            if lever.end_s is not None and lever.end_s > w.now:
                self.ctx.schedule(lever.end_s, K_LEVER, i, OFF)
        self.recompute()

    def on_lever(self, i: int, edge: int) -> None:
        self.state.active[i] = edge == ON
        self.recompute()

    # -- the engine's questions -----------------------------------------------------------
    def gate_for(self, party: Party, gate: int) -> int:
        """The gate a party setting off uses: reassigned, or the best open one if closed."""
        s = self.state
        gate = s.sector_gate.get(party.sector, gate)
        if gate < 0 or gate not in s.closed_gates:
            return gate
        return self.best_open_gate(party, gate)

    def best_open_gate(self, party: Party, fallback: int) -> int:
        """Least expected delay over the open gates, with the lanes and speed-ups in force."""
        s = self.state
        return self.ctx.gates.best(
            party.origin,
            party.sector,
            fallback,
            lanes=[bank.lanes for bank in self.world.banks],
            factor=s.service_factor,
            closed=s.closed_gates,
        )

    def link_closed(self, link: int) -> bool:
        return link in self.state.closed_links

    def service_factor(self, bank: int) -> float:
        return self.state.service_factor[bank]

    # -- recomputing the effective settings -----------------------------------------------
    def recompute(self) -> None:
        s = self.state
        lanes = list(s.base_lanes)
        factor = [1.0] * len(lanes)
        closed_gates: set[int] = set()
        closed_links: set[int] = set()
        speed = 1.0
        sector_gate: dict[int, int] = {}
        lines = [(ln.headway_s, ln.capacity, ln.fleet) for ln in self.base_lines]
        for i, lv in enumerate(self.levers):
            if not s.active[i]:
                continue
            if lv.kind == "close_gate":
                closed_gates.add(self.bank[lv.gate or ""])
            elif lv.kind == "lanes":
                lanes[self.bank[lv.gate or ""]] = int(lv.lanes or 0)
            elif lv.kind == "service_factor":
                for b in self._factor_banks(lv, len(factor)):
                    factor[b] *= float(lv.factor or 1.0)
            elif lv.kind == "weather":
                speed *= float(lv.factor or 1.0)
            elif lv.kind == "close_link":
                closed_links.add(self.link[lv.link or ""])
            elif lv.kind == "reassign_gate":
                for node in self.sector_nodes[i]:
                    sector_gate[node] = self.bank[lv.gate or ""]
            elif lv.kind == "line_service":
                k = self.line[lv.line or ""]
                h, c, f = lines[k]
                lines[k] = (lv.headway_s or h, lv.capacity or c, lv.fleet or f)
        for b in closed_gates:
            lanes[b] = 0
        s.service_factor, s.sector_gate = factor, sector_gate
        self._set_lanes(lanes, closed_gates)
        self._set_links(closed_links)
        self._set_speed(speed)
        self._set_lines(lines)

    def _factor_banks(self, lever: Intervention, n: int) -> list[int]:
        """The banks a service factor acts on: its gate, every bank of its stage, or all."""
        if lever.gate:
            return [self.bank[lever.gate]]
        if lever.stage:
            return self.stage_banks.get(lever.stage, [])
        return list(range(n))

    def _set_lanes(self, lanes: list[int], closed: set[int]) -> None:
        s, w = self.state, self.world
        s.closed_gates = closed
        shut = []
        for b, n in enumerate(lanes):
            bank = w.banks[b]
            opened = n > bank.lanes
            if n <= 0 < bank.lanes:
                shut.append(b)
            bank.lanes = n
            if opened:
                self.ctx.serve(b)
        for b in shut:
            self._empty_gate(b)

    def _empty_gate(self, b: int) -> None:
        """A gate has closed: its queue goes to the best open gates (``RunContext.redirect``).

        A party part-way through the lanes is let through once its members in service are
        done: the stewards finish the group they started.
        """
        w = self.world
        bank = w.banks[b]
        queued = list(dict.fromkeys(pid for _, pid in bank.queue))
        bank.queue.clear()
        for pid in queued:
            party = w.parties[pid]
            if party.pending < party.size:  # some members already through or in service
                party.pending = 0
                done = bank.finish.pop(pid, w.now)
                self.ctx.schedule(max(done, w.now), K_PARTY_SCREENED, b, pid)
            else:
                party.pending = 0
                self.ctx.redirect(pid, at_gate=True)

    def _set_links(self, closed: set[int]) -> None:
        s, w = self.state, self.world
        reopened = s.closed_links - closed
        shut = closed - s.closed_links
        s.closed_links = closed
        for link in sorted(reopened):
            self.ctx.admit(link)
        for link in sorted(shut):  # those queuing for it take another way
            for d in (0, 1):
                queue = w.links[link].waiting[d]
                waiting = [pid for _, pid in queue]
                queue.clear()
                for pid in waiting:
                    self.ctx.redirect(pid)

    def _set_speed(self, factor: float) -> None:
        s, w = self.state, self.world
        if factor == s.speed_factor:
            return
        s.speed_factor = factor
        for i, lk in enumerate(w.links):
            lk.advance(w.now)
            lk.speeds = [v * factor for v in self.base_speeds[i]]
            for d in (0, 1):
                self.ctx.wake_head(i, d, lk.head_time(d, w.now))

    def _set_lines(self, lines: list[tuple[float | None, int, int | None]]) -> None:
        if self.world.transport is not None:
            fleets = self.state.line_fleet
            set_line_service(self.world.transport, lines, fleets, self.world.now, self.ctx.schedule)
