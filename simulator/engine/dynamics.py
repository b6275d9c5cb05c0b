"""What happens at each event: a fan's day reads arrive, queue, screen, walk, sit, leave.

``Dynamics`` holds the static plan (scenario, network, routes) and acts on a ``World``; every
change of state goes through the handlers here, each triggered by one pending event. Transport,
levers and a researcher's extensions are engine parts (``simulator.engine.parts``): they handle
kinds of their own and answer the hooks asked here (``self.hooks``), never reaching in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from heapq import heappush
from typing import Final

from simulator.engine.agenda import EventQueue
from simulator.engine.dwell import DwellDynamics
from simulator.engine.gates import GateCosts
from simulator.engine.link import ARRIVAL_SLACK_S, Walkway
from simulator.engine.network import Network
from simulator.engine.parts import Handler, Part, PartFactory, RunContext, dispatch_table, hooks
from simulator.engine.party import (
    ARRIVE,
    EGRESS,
    HALFTIME,
    INGRESS,
    LEFT,
    PERIMETER_QUEUE,
    QUEUE,
    RELEASE,
    SEATED,
    SOURCE,
    Party,
    Step,
)
from simulator.engine.place import Place
from simulator.engine.routing import Router, serve_code
from simulator.engine.sampling import take_sample
from simulator.engine.world import (
    K_ADMIT,
    K_ARRIVAL,
    K_DWELL,
    K_LANE_FREE,
    K_LINK,
    K_PARTY_SCREENED,
    K_PLACE,
    K_RELEASE,
    K_SAMPLE,
    K_SERVED,
    K_SERVICE_FREE,
    K_SOURCE,
    Kind,
    World,
)
from simulator.scenario.model import Distribution, Scenario

INF: Final = math.inf


class Dynamics(DwellDynamics):  # DwellDynamics(PlaceDynamics): one chain, for mypyc
    """Event handlers of one run: ``handlers[kind](a, b)`` acts on an event ``(t, kind, a, b)``."""

    def __init__(
        self,
        scenario: Scenario,
        network: Network,
        world: World,
        parts: Sequence[PartFactory] = (),
    ) -> None:
        self.scenario = scenario
        self.net = network
        self.world = world
        self.queue = EventQueue(world)  # run by an Agenda (simulator.engine.agenda)
        self.link_elem = network.n_nodes
        # net.route per source node, by (via, target, serve) as one int: see ``route_of``
        self.routes: list[dict[int, tuple[Step, ...]]] = [{} for _ in range(network.n_nodes)]
        self.gates_open = scenario.ingress.gates_open_s if scenario.ingress else -INF
        self.least_delay = scenario.ingress is not None and (
            scenario.ingress.route_choice == "least_delay"
        )
        self._plan_places()
        # where each bank writes a party's queue time (its service start is the next slot)
        self.queue_slot = [
            PERIMETER_QUEUE if cp.stage == "perimeter" else QUEUE
            for cp in scenario.venue.checkpoints
        ]
        # each bank's screening times, read natively by ``serve`` (a checkpoint is a frozen
        # dataclass: each attribute read from compiled code is a generic one)
        checkpoints = scenario.venue.checkpoints
        self.service: list[Distribution] = [cp.service for cp in checkpoints]
        self.secondary_share: list[float] = [cp.secondary_share for cp in checkpoints]
        self.secondary: list[Distribution] = [
            cp.secondary_service or cp.service for cp in checkpoints
        ]
        self._plan_dwell()
        self.gates = GateCosts(network, world.banks, scenario.venue.checkpoints)
        self.guarded: list[bool] | None = None  # exits (2 * link + d) whose heads ask ``blocks``
        context = RunContext(
            scenario,
            network,
            world,
            self.gates,
            world.schedule,
            self.serve,
            self.admit,
            self.want,
            self.guard_exit,
            self.redirect,
        )
        built = (make(context) for make in parts)
        self.parts: tuple[Part, ...] = tuple(p for p in built if p is not None)
        self.hooks = hooks(self.parts)
        # the hooks the hot path asks, as the engine's own attributes (a compiled class reads
        # them natively; ``Hooks`` is a plain dataclass)
        self.link_closed = self.hooks.link_closed
        self.service_factor = self.hooks.service_factor
        self.handlers = dispatch_table(self.own_handlers(), self.parts)
        self.router = Router(
            scenario,
            network,
            world,
            self.hooks.link_closed,
            self.node_walk,
            self.node_speeds,
            self.gates if self.least_delay else None,
            self.hooks.service_factor,
            self.ht_conc,
            self.hooks.gate_for,
        )
        # decision nodes (simulator.engine.routing); none when every fan is pinned to a path
        self.choosing = self.router.logit
        self.branch = network.branch if self.choosing else [False] * network.n_nodes

    def dispatch(self, kind: int, a: int, b: int) -> None:
        """Act on run event (kind, a, b): the engine's own kinds by a direct call (compiled,
        without boxing an argument), the parts' through the table (``handlers``)."""
        if kind == K_LINK:
            self.on_link(a, b)
        elif kind == K_PLACE:
            self.on_place(a, b)
        elif kind == K_ADMIT:
            self.on_admit(a, b)
        elif kind == K_ARRIVAL:
            self.on_arrival(a, b)
        elif kind == K_PARTY_SCREENED:
            self.on_party_screened(a, b)
        elif kind == K_RELEASE:
            self.on_release(a, b)
        elif kind == K_LANE_FREE:
            self.on_lane_free(a, b)
        elif kind == K_DWELL:
            self.on_dwell(a, b)
        elif kind == K_SERVED:
            self.on_served(a, b)
        elif kind == K_SERVICE_FREE:
            self.on_service_free(a, b)
        else:
            self.handlers[kind](a, b)

    def own_handlers(self) -> dict[Kind, Handler]:
        """The event kinds the engine itself handles."""
        return {
            Kind.LINK: self.on_link,
            Kind.ADMIT: self.on_admit,
            Kind.LANE_FREE: self.on_lane_free,
            Kind.PARTY_SCREENED: self.on_party_screened,
            Kind.ARRIVAL: self.on_arrival,
            Kind.RELEASE: self.on_release,
            Kind.SOURCE: self.on_source,
            Kind.SAMPLE: self.on_sample,
            Kind.GATES: self.on_gates,
            Kind.PLACE: self.on_place,
            **self.dwell_handlers(),
        }

    def start_parts(self) -> None:
        """Let every part schedule its first events (a cold start)."""
        for part in self.parts:
            part.start()

    def guard_exit(self, link: int, d: int) -> None:
        """Ask the parts' ``blocks`` hook before a head of (link, d) leaves the link."""
        if self.guarded is None:
            self.guarded = [False] * (2 * len(self.world.links))
        self.guarded[2 * link + d] = True

    # -- arriving -------------------------------------------------------------------------
    def on_arrival(self, a: int, b: int) -> None:
        w = self.world
        party = w.parties[w.arrivals[w.next_arrival]]
        w.next_arrival += 1
        self.schedule_next_arrival()
        party.times[ARRIVE] = w.now
        w.arrived += party.size
        if self.hooks.arrived is not None:
            self.hooks.arrived(party)
        place: Place | None = w.places[party.origin]
        if place is not None and (place.outside or not self.fits(party.origin, party.size)):
            place.outside.append(party.id)  # the forecourt is full: wait off its floor
            return
        self.on_floor(party)

    def on_floor(self, party: Party) -> None:
        """An arrived ingress party stands at its origin: wait for the gates or set off."""
        self.into(party.origin, party.size)
        if self.world.now < self.gates_open:
            self.world.held.append(party.id)
        else:
            self.set_off(party)

    def schedule_next_arrival(self) -> None:
        w = self.world
        if w.next_arrival < len(w.arrivals):
            t = w.parties[w.arrivals[w.next_arrival]].times[ARRIVE]
            self.queue.at(max(t, w.now), K_ARRIVAL, 0, 0)

    def on_gates(self, a: int, b: int) -> None:
        held, self.world.held = self.world.held, []
        for pid in held:
            self.set_off(self.world.parties[pid])

    def set_off(self, party: Party) -> None:
        """Choose the gate and route of an ingress party at its origin and start walking."""
        gate = self.choose_gate(party) if self.least_delay else party.gate
        if self.hooks.gate_for is not None:
            gate = self.hooks.gate_for(party, gate)
        party.gate = gate
        if gate >= 0:
            via = self.world.banks[gate].node
            party.route = self.route_of(party.origin, via, party.sector, "via")
        else:
            party.route = self.route_of(party.origin, -1, party.sector, "all")
        party.pos = 0
        self.at_node(party)

    def route_of(self, source: int, via: int, target: int, serve: str) -> tuple[Step, ...]:
        """``net.route(source, via, target, serve)`` (cached there), looked up in the run's own
        table by int: no key tuple and no interpreted call on a path taken twice per party."""
        key = ((via + 1) * self.link_elem + target) * 3 + serve_code(serve)
        here = self.routes[source]
        found = here.get(key)
        if found is None:
            found = here[key] = self.net.route(source, via, target, serve)
        return found

    def choose_gate(self, party: Party) -> int:
        """Least expected delay with the lanes as planned (``simulator.engine.gates``)."""
        return self.gates.best(
            party.origin, party.sector, party.gate, lanes=self.gates.planned_lanes
        )

    # -- nodes and links -------------------------------------------------------------------
    def at_node(self, party: Party) -> None:
        """A party has reached the node of its current step: cross it, then go on."""
        node = party.route[party.pos][0]
        speeds = self.node_speeds[node]
        if speeds is not None:
            w = self.world
            place: Place = w.places[node]
            t = place.start_crossing(party.id, party.size, w.now, self.node_walk[node], speeds)
            if t < place.due:
                place.due = t
                self.queue.at(t, K_PLACE, node, 0)
            return
        self.crossed(party)

    def crossed(self, party: Party) -> None:
        """The party stands at the far side of its current node: stop there a while (dwell),
        or go on."""
        rules = self.dwell_rules[party.route[party.pos][0]]
        if rules is not None and self.stop_here(party, party.route[party.pos][0], rules):
            return
        self.go_on(party)

    def go_on(self, party: Party) -> None:
        """Screen, finish or walk on from the far side of the current node.

        At a gate with no lanes open (closed) a party assigned to it goes to the best open one;
        at a closed perimeter checkpoint it goes round by another (``Router.bypass``).
        """
        node, bank, link, _ = party.route[party.pos]
        if bank >= 0 and self.world.banks[bank].lanes <= 0:
            router = self.router
            if router.regate(party) if bank == party.gate else router.bypass(party):
                node, bank, link, _ = party.route[party.pos]
            else:  # it waits for the checkpoint to reopen
                self.world.unroutable[party.id] = party.phase
        if bank >= 0:
            self.join_queue(party, bank)
        elif link < 0:
            self.finish(party, node)
        else:
            self.depart(party)

    def depart(self, party: Party) -> None:
        """Step onto the next link, or wait at the node for room or the link's entry cap.

        At a decision node the party chooses its way on first (``simulator.engine.routing``);
        a party whose next link is closed takes the best open way, or waits when none is open.
        """
        node, _, link, d = party.route[party.pos]
        bank, before = -1, party.route
        if self.branch[node]:
            self.router.choose(party, True)
            _, bank, link, d = party.route[party.pos]
        closed = self.link_closed
        if closed is not None and closed(link):
            if self.router.choose(party, False):
                _, bank, link, d = party.route[party.pos]
            if closed(link):
                self.world.unroutable[party.id] = party.phase
        if bank >= 0 and party.route is not before:  # sent to the gate right here: queue
            self.join_queue(party, bank)
            return
        w = self.world
        lk = w.links[link]
        size = party.size
        if (
            not lk.waiting[d]
            and (closed is None or not closed(link))
            and (w.now >= lk.admission_time(d, size))
        ):
            self.enter(party, link, d)  # the common case: walk straight on
            return
        lk.waiting[d].append((w.now, party.id))
        self.admit(link)

    def redirect(self, pid: int, at_gate: bool = False) -> None:
        """A part has taken party ``pid`` out of a queue at its node, a closed gate's
        (``at_gate``) or a closed link's: send it on by its best open way from there."""
        party = self.world.parties[pid]
        if at_gate:
            self.go_on(party)
        else:
            self.depart(party)

    def admit(self, link: int) -> None:
        """Let waiting parties onto a link while it has room and its entry cap allows."""
        w = self.world
        lk = w.links[link]
        if not lk.waiting[0] and not lk.waiting[1]:
            return
        if self.link_closed is not None and self.link_closed(link):
            return  # an incident: nobody enters until the link reopens
        now, parties = w.now, w.parties
        for d in (0, 1):
            queue = lk.waiting[d]
            while queue:
                party = parties[queue[0][1]]
                t = lk.admission_time(d, party.size)
                if now < t:
                    if t < lk.entry_due[d]:  # not when it does not fit (INF): a leave admits
                        lk.entry_due[d] = t
                        self.queue.at(t, K_ADMIT, link, d)
                    break
                queue.popleft()
                self.enter(party, link, d)

    def enter(self, party: Party, link: int, d: int) -> None:
        """Put ``party`` on ``link``, then vacate its node: the room that frees lets others on,
        and they must find this party already on the link (else they fill the storage it was
        admitted to, and the link holds more than its jam density)."""
        w = self.world
        node = party.route[party.pos][0]
        size = party.size
        # ``a[i] = a[i] + k``, not ``a[i] += k``: mypyc compiles the augmented form generically
        w.outflow[node] = w.outflow[node] + size
        elem = self.link_elem + link
        w.occ[elem] = w.occ[elem] + size
        lk = w.links[link]
        t = lk.enter(party.id, size, d, w.now)
        if t < lk.due[d]:
            lk.due[d] = t
            self.queue.at(t, K_LINK, link, d)
        self.out_of(node, size)

    def want(self, link: int, d: int, t: float) -> None:
        """Make sure a head event for (link, d) is pending no later than ``t``."""
        lk = self.world.links[link]
        if t < lk.due[d]:
            lk.due[d] = t
            self.queue.at(t, K_LINK, link, d)

    def on_link(self, link: int, d: int) -> None:
        """The head of (link, d) may be due to leave: let it out, re-time both heads."""
        w = self.world
        lk = w.links[link]
        now = w.now
        due = lk.due
        if now < due[d]:
            return  # superseded by an earlier head event
        due[d] = INF
        guarded = self.guarded
        if (
            guarded is not None
            and guarded[2 * link + d]
            and lk.fifo[d]
            and self._blocked(lk, link, d)
        ):
            return  # the place ahead is full (a platform at jam density): hold the head
        end = self.link_end[2 * link + d]
        if end >= 0 and lk.fifo[d]:
            place: Place = w.places[end]
            if place.n + lk.fifo[d][0][2] > self.node_cap[end]:
                if (link, d) not in place.blocked:  # the place ahead is full: hold the head
                    place.blocked.append((link, d))
                return
        out = lk.leave(d, now)
        if isinstance(out, float):  # narrows ``out``: the compiled code unpacks native ints
            if out < INF:  # not there yet at the current speed, or held by the exit cap
                due[d] = out
                self.queue.at(out, K_LINK, link, d)
            return
        pid, size, head = out
        elem = self.link_elem + link
        w.occ[elem] = w.occ[elem] - size  # not ``-=``: see ``enter``
        w.outflow[elem] = w.outflow[elem] + size
        if head < INF:
            due[d] = head
            self.queue.at(head, K_LINK, link, d)
        if lk.fifo[1 - d]:  # fewer on the link: the other stream walks faster now
            t = lk.head_time(1 - d, now)
            if t < due[1 - d] - ARRIVAL_SLACK_S:  # within the slack, its pending event does
                due[1 - d] = t
                self.queue.at(t, K_LINK, link, 1 - d)
        party = w.parties[pid]
        pos = party.pos = party.pos + 1
        node, bank, nxt, nd = party.route[pos]
        if bank >= 0 or nxt < 0 or self.stops[node] or self.branch[node]:
            self.into(node, size)
            self.at_node(party)
        else:  # depart(party) inlined: the hot path, most often straight onto a free link
            lk2 = w.links[nxt]
            if (
                not lk2.waiting[nd]
                and (self.link_closed is None or not self.link_closed(nxt))
                and now >= lk2.admission_time(nd, size)
            ):
                w.outflow[node] = w.outflow[node] + size
                elem2 = self.link_elem + nxt
                w.occ[elem2] = w.occ[elem2] + size
                t = lk2.enter(pid, size, nd, now)
                if t < lk2.due[nd]:
                    lk2.due[nd] = t
                    self.queue.at(t, K_LINK, nxt, nd)
            else:
                self.into(node, size)
                self.depart(party)
        if (lk.waiting[0] or lk.waiting[1]) and lk.may_admit_sooner():
            self.admit(link)

    def _blocked(self, lk: Walkway, link: int, d: int) -> bool:
        """Whether a part holds the head of (lk, d) out of the place it walks into."""
        blocks = self.hooks.blocks
        party = self.world.parties[lk.fifo[d][0][1]]
        if blocks is None or party.pos + 1 >= len(party.route):
            return False
        return blocks(party, party.route[party.pos + 1][0], link, d)

    def on_admit(self, link: int, d: int) -> None:
        lk = self.world.links[link]
        if self.world.now < lk.entry_due[d]:
            return
        lk.entry_due[d] = INF
        self.admit(link)

    # -- checkpoints -----------------------------------------------------------------------
    def join_queue(self, party: Party, bank_index: int) -> None:
        """Queue a party at the next checkpoint of its access chain (its own stage's times)."""
        w = self.world
        slot = self.queue_slot[bank_index]
        if math.isnan(party.times[slot]):
            party.times[slot] = w.now
        party.pending = party.size
        w.banks[bank_index].join(party.id, party.size, w.now)
        self.serve(bank_index)

    def serve(self, bank_index: int) -> None:
        """Start screening queued fans on every free lane; wake at the next lane end if any wait."""
        w = self.world
        bank = w.banks[bank_index]
        queue = bank.queue
        if not queue:
            return
        service, share = self.service[bank_index], self.secondary_share[bank_index]
        factor = 1.0 if self.service_factor is None else self.service_factor(bank_index)
        now, rng, finish = w.now, w.rng, bank.finish
        slot = self.queue_slot[bank_index] + 1  # SERVICE or PERIMETER_SERVICE
        free = bank.free_lanes(now)
        while free > 0 and queue:
            free -= 1
            pid = bank.next_fan(now)
            party = w.parties[pid]
            if math.isnan(party.times[slot]):
                party.times[slot] = now
            duration = service.sample(rng) * factor
            bank.busy_s += duration
            done = now + duration
            heappush(bank.busy, done)
            if share > 0 and rng.random() < share:
                done += self.secondary[bank_index].sample(rng)
            latest = finish.pop(pid, done)
            if done < latest:
                done = latest
            party.pending -= 1
            if party.pending:
                finish[pid] = done
            else:
                self.queue.at(done, K_PARTY_SCREENED, bank_index, pid)
        if queue and bank.busy and bank.busy[0] < bank.wake_due:
            bank.wake_due = bank.busy[0]
            self.queue.at(bank.wake_due, K_LANE_FREE, bank_index, 0)

    def on_lane_free(self, bank_index: int, b: int) -> None:
        bank = self.world.banks[bank_index]
        if self.world.now < bank.wake_due:
            return  # superseded by an earlier wake-up
        bank.wake_due = INF
        self.serve(bank_index)

    def on_party_screened(self, bank_index: int, pid: int) -> None:
        """The last member of a party is through the checkpoint: walk on (or sit down)."""
        party = self.world.parties[pid]
        node, _, link, _ = party.route[party.pos]
        if link < 0:
            self.finish(party, node)
        else:
            self.depart(party)

    # -- seats, release, leaving -------------------------------------------------------------
    def finish(self, party: Party, node: int) -> None:
        w = self.world
        if party.phase == HALFTIME:
            self.back_in_seat(party)
            return
        if party.phase == INGRESS:
            party.times[SEATED] = w.now
            w.seated += party.size
            if party.release_at <= w.now:
                self.release(party)
            return
        if self.hooks.absorbs is not None and self.hooks.absorbs(party, node):
            return  # a part takes it over (a queue for a vehicle or a car-park exit)
        party.times[LEFT] = w.now
        w.left += party.size
        self.out_of(node, party.size)

    def on_release(self, a: int, b: int) -> None:
        w = self.world
        party = w.parties[w.releases[w.next_release]]
        w.next_release += 1
        if w.next_release < len(w.releases):
            t = w.parties[w.releases[w.next_release]].release_at
            self.queue.at(max(t, w.now), K_RELEASE, 0, 0)
        if party.phase == INGRESS and not math.isnan(party.times[SEATED]):
            self.release(party)

    def release(self, party: Party) -> None:
        """The final whistle has gone and this party's moment to leave has come."""
        party.phase = EGRESS
        party.times[RELEASE] = self.world.now
        via = self.router.pins.get(party.sector, -1)  # routing.egress_via, if pinned
        party.route = self.route_of(party.sector, via, party.destination, "none")
        party.pos = 0
        self.at_node(party)

    def on_source(self, index: int, b: int) -> None:
        w = self.world
        src = self.scenario.sources[index]
        nxt = w.now + float(w.rng.exponential(1.0 / src.rate_per_s))
        if nxt < src.end_s:
            w.schedule(nxt, K_SOURCE, index)
        origin = self.net.index[src.origin]
        party = Party(len(w.parties), src.party_size, w.next_fan, origin, -1, SOURCE)
        party.destination = self.net.index[src.destination]
        party.route = self.net.route(origin, -1, party.destination, "all")
        party.times[ARRIVE] = w.now
        w.parties.append(party)
        w.next_fan += party.size
        w.fans_expected += party.size
        w.arrived += party.size
        _, bank, link, d = party.route[0]
        if src.drop_when_full and bank < 0 and link >= 0:
            lk = w.links[link]
            if lk.waiting[d] or lk.admission_time(d, party.size) == INF:
                w.dropped += party.size
                return
        place: Place | None = w.places[origin]
        if place is not None and (place.outside or not self.fits(origin, party.size)):
            place.outside.append(party.id)
            return
        self.into(origin, party.size)
        self.at_node(party)

    def on_sample(self, a: int, b: int) -> None:
        take_sample(self.world, self.net, self.scenario)
        if self.hooks.sampled is not None:
            self.hooks.sampled()
        interval = self.scenario.settings.sample_interval_s
        w = self.world
        nxt = w.start + (round((w.now - w.start) / interval) + 1) * interval
        if nxt <= self.scenario.settings.end_s + 1e-9:
            self.world.schedule(nxt, K_SAMPLE)
