"""The transport engine part: vehicles calling at platforms, cars leaving car parks.

``TransportRunner`` holds the static plan (which origin is which platform or car park) and
acts on the run's ``TransportState`` (``world.transport``) through the engine's ``RunContext``
(``simulator.engine.parts``): it takes over an egress party that reaches its platform or car
park (``absorbs``), holds the head of a link walking onto a platform at jam density
(``blocks``), counts cars arriving (``arrived``), samples the lines (``sampled``) and handles the
kinds ``VEHICLE`` and ``CAR``. A fan "leaves" (``left_s``) when their vehicle departs or their car
passes the car-park barrier; ``last_out`` adds the road's travel time, for the time to leave
the area.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from simulator.engine.parts import Handler, Part, RunContext
from simulator.engine.party import ARRIVE, INGRESS, LEFT, Party
from simulator.engine.world import K_CAR, K_VEHICLE, Kind
from simulator.scenario.model import Scenario
from simulator.transport.kpis import sample_lines
from simulator.transport.state import (
    CarQueue,
    PlatformQueue,
    RoadFlow,
    TransportState,
    Vehicles,
)

INF = math.inf
DEPART, BACK, CALL = 0, 1, 2  # sub-kinds of a vehicle event


def new_state(scenario: Scenario, index: dict[str, int], k_jam: float) -> TransportState | None:
    """Cold-start transport state: empty platforms, fleets at their depots, empty roads."""
    tr = scenario.transport
    if tr is None:
        return None
    areas = {o.id: o.area_m2 for o in scenario.venue.origins}
    platforms: list[PlatformQueue] = []
    seen: dict[str, int] = {}
    for line in tr.lines:
        if line.platform not in seen:
            area = areas[line.platform]
            hold = None if area is None else max(6, math.floor(k_jam * area))
            seen[line.platform] = len(platforms)
            platforms.append(PlatformQueue(index[line.platform], hold))
    s = scenario.settings
    vehicles = [Vehicles(line, s.start_s, s.end_s) for line in tr.lines]
    return TransportState(
        platforms,
        vehicles,
        [CarQueue(p) for p in tr.car_parks],
        [RoadFlow(r) for r in tr.roads],
    )


def transport_part(ctx: RunContext) -> TransportRunner | None:
    """The transport part of a run whose scenario has a ``transport`` section."""
    return None if ctx.world.transport is None else TransportRunner(ctx)


class TransportRunner(Part):
    """Moves fans onto vehicles and cars out of car parks; one per run."""

    def __init__(self, ctx: RunContext) -> None:
        super().__init__(ctx)
        tr = ctx.scenario.transport
        assert tr is not None
        self.transport = tr
        self.world = ctx.world
        self.schedule = ctx.schedule
        self.wake_head = ctx.wake_head
        self.interval_s = ctx.scenario.settings.sample_interval_s
        index = ctx.net.index
        self.index = index
        state = ctx.world.transport
        assert isinstance(state, TransportState)
        self.platform_at = {p.node: i for i, p in enumerate(state.platforms)}
        self.platform_of_line = [self.platform_at[index[ln.platform]] for ln in tr.lines]
        self.car_park_at = {index[c.origin]: i for i, c in enumerate(tr.car_parks)}
        for i, link in enumerate(ctx.scenario.venue.links):  # links that end on a platform
            for d, end in ((0, link.target), (1, link.source)):
                if index[end] in self.platform_at:
                    ctx.guard_exit(i, d)
        roads = tr.road_index()
        self.line_road = [roads.get(ln.road, -1) if ln.road else -1 for ln in tr.lines]
        self.park_road = [roads.get(c.road, -1) if c.road else -1 for c in tr.car_parks]

    @property
    def state(self) -> TransportState:
        state: TransportState = self.world.transport
        return state

    def handlers(self) -> Mapping[Kind, Handler]:
        return {Kind.VEHICLE: self.on_vehicle, Kind.CAR: self.on_car}

    def start(self) -> None:
        """Schedule the first call of every line (cold start only)."""
        for i in range(len(self.transport.lines)):
            self.schedule_call(i)

    # -- the engine's questions ---------------------------------------------------------
    def sampled(self) -> None:
        sample_lines(
            state=self.state,
            transport=self.transport,
            now=self.world.now,
            interval_s=self.interval_s,
            samples=self.world.samples,
        )

    def arrived(self, party: Party) -> None:
        """An ingress party reached its origin: by car, it takes a space."""
        k = self.car_park_at.get(party.origin)
        if k is not None:
            self.state.cars[k].arrive()

    def absorbs(self, party: Party, node: int) -> bool:
        """Take over a leaving party at its platform or car park; False: it just leaves."""
        if party.phase == INGRESS or node != party.destination:
            return False
        w = self.world
        p = self.platform_at.get(node)
        if p is not None:
            self.state.platforms[p].join(w.now, party.id, party.size)
            return True
        k = self.car_park_at.get(node)
        if k is None:
            return False
        cars = self.state.cars[k]
        cars.queue.append((w.now, party.id))
        cars.peak_queue = max(cars.peak_queue, len(cars.queue))
        if cars.due == INF:
            cars.due = max(w.now, cars.next_exit)
            self.schedule(cars.due, K_CAR, k)
        return True

    def blocks(self, party: Party, node: int, link: int, d: int) -> bool:
        """A platform at jam density takes no one more: the link holds its head (spill-back)."""
        p = self.platform_at.get(node)
        if p is None or party.phase == INGRESS or node != party.destination:
            return False
        plat = self.state.platforms[p]
        occ = self.world.occ[node]
        if plat.hold is None or occ == 0 or occ + party.size <= plat.hold:
            return False
        plat.blocked.append((link, d))
        return True

    # -- observed counts (the live twin, see simulator.engine.assimilate) -------------------------
    def observe(self, node: int, delta: int) -> int:
        """Apply an observed change at a platform with fans waiting; return what is left.

        Fewer fans: taken from the head of the platform queue (they would board first) and
        counted as dropped. More fans: one-fan parties join the queue, as leaving fans do.
        Only while fans are queuing there (egress); otherwise the engine's rule applies.
        """
        p = self.platform_at.get(node)
        if p is None or not self.state.platforms[p].queue or delta == 0:
            return delta
        plat, w = self.state.platforms[p], self.world
        if delta > 0:
            template = w.parties[plat.queue[-1][1]]
            for _ in range(delta):
                party = Party(len(w.parties), 1, w.next_fan, template.origin, -1, template.phase)
                party.destination, party.route = node, ((node, -1, -1, 0),)
                party.times[ARRIVE] = w.now
                w.parties.append(party)
                w.next_fan += 1
                w.fans_expected += 1
                w.arrived += 1
                w.occ[node] += 1
                plat.join(w.now, party.id, 1)
            return 0
        count = -delta
        while plat.queue and count > 0:
            joined, pid, size = plat.queue.popleft()
            take = min(size, count)
            if size > take:
                plat.queue.appendleft((joined, pid, size - take))
            w.parties[pid].size -= take
            plat.waiting -= take
            w.occ[node] -= take
            w.dropped += take
            count -= take
        self._unblock(plat, w.now)
        return -count

    # -- vehicles -----------------------------------------------------------------------
    def schedule_call(self, line: int) -> None:
        schedule_call(self.state, line, self.world.now, self.schedule)

    def on_vehicle(self, line: int, sub: int) -> None:
        """A vehicle calls (and books the next call), departs full or empty, or is back."""
        veh = self.state.vehicles[line]
        now = self.world.now
        if sub == CALL:
            if now != self.state.due[line]:
                return  # superseded: a vehicle came back early and the call was moved up
            veh.call(now)
            self.schedule(now + veh.dwell, K_VEHICLE, line, DEPART)
            self.schedule_call(line)
        elif sub == BACK:
            veh.back(now)
            recall(self.state, line, now, self.schedule)
        else:
            self.depart(line)

    def depart(self, line: int) -> None:
        veh = self.state.vehicles[line]
        load = self.board(line)
        if not load and veh.ready is not None:
            veh.back(self.world.now)  # a shuttle with nobody to take waits at its bay
            return
        spec = self.transport.lines[line]
        run = spec.running_time_s
        road = self.line_road[line]
        now = self.world.now
        if road >= 0:
            run += self.state.roads[road].enter(now, spec.pcu)
        veh.departures += 1
        if load:
            veh.trips += 1
            veh.passengers += load
            veh.peak_load = max(veh.peak_load, load)
            veh.in_service.append((now + run, load))
            self.state.last_out = max(self.state.last_out, now + (run if road >= 0 else 0.0))
        if veh.ready is not None:  # round trip and turnaround before its next call
            self.schedule(now + 2.0 * run + veh.dwell, K_VEHICLE, line, BACK)

    def board(self, line: int) -> int:
        """Fill the calling vehicle from the platform queue, parties kept together."""
        w = self.world
        veh = self.state.vehicles[line]
        plat = self.state.platforms[self.platform_of_line[line]]
        load = 0
        now = w.now
        while plat.queue and load + plat.queue[0][2] <= veh.capacity:
            joined, pid, size = plat.queue.popleft()
            plat.waiting -= size
            load += size
            self._leave(w.parties[pid], plat.node, now)
            wait = now - joined
            plat.waits.extend([wait] * size)
            veh.wait_sum += wait * size
            veh.wait_n += size
        veh.departed += load
        if load:
            self._unblock(plat, now)
        return load

    def _unblock(self, plat: PlatformQueue, now: float) -> None:
        """Room on the platform: the links held back try their heads again."""
        blocked, plat.blocked = plat.blocked, []
        for link, d in blocked:
            self.wake_head(link, d, now)

    # -- cars ---------------------------------------------------------------------------
    def on_car(self, park: int, _: int) -> None:
        w = self.world
        cars = self.state.cars[park]
        cars.due = INF
        if not cars.queue:
            return
        joined, pid = cars.queue.popleft()
        now = w.now
        self._leave(w.parties[pid], self.index[self.transport.car_parks[park].origin], now)
        cars.waits.append(now - joined)
        cars.cars_out += 1
        cars.parked = max(0, cars.parked - 1)
        cars.next_exit = now + cars.headway
        road = self.park_road[park]
        drive = self.state.roads[road].enter(now, 1.0) if road >= 0 else 0.0
        self.state.last_out = max(self.state.last_out, now + drive)
        if cars.queue:
            cars.due = cars.next_exit
            self.schedule(cars.due, K_CAR, park)

    def _leave(self, party: Party, node: int, now: float) -> None:
        w = self.world
        party.times[LEFT] = now
        w.left += party.size
        w.occ[node] -= party.size


# -- line service: booked by this part, changed by the levers part (simulator.levers) ---------
def schedule_call(
    state: TransportState, line: int, now: float, schedule: Callable[..., None]
) -> None:
    """Book the line's next call: one headway on, once a vehicle of the fleet is free."""
    t = state.vehicles[line].next_call(now)
    state.due[line] = t
    if t < INF:
        schedule(t, K_VEHICLE, line, CALL)


def recall(state: TransportState, line: int, now: float, schedule: Callable[..., None]) -> None:
    """Move the line's next call up if a vehicle can call sooner (back early, fleet grown)."""
    if state.vehicles[line].next_call(now) < state.due[line]:
        schedule_call(state, line, now, schedule)


def set_line_service(
    state: TransportState,
    lines: list[tuple[float | None, int, int | None]],
    fleets: list[int | None],
    now: float,
    schedule: Callable[..., None],
) -> None:
    """Give each line (headway, capacity, fleet) from now; ``fleets`` is updated in place."""
    for k, (headway, capacity, fleet) in enumerate(lines):
        veh = state.vehicles[k]
        veh.headway, veh.capacity = headway, capacity
        if fleet is not None and fleets[k] is not None:
            veh.set_fleet(fleet - int(fleets[k] or 0), now)
            fleets[k] = fleet
            recall(state, k, now, schedule)  # a vehicle added now may call at once
