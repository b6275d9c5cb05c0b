"""Dwell, service points and half-time: fans who stop on a floor, queue there and walk on.

A party that has crossed an area with a dwell rule for its phase stops with the rule's
``share``: it queues at a service point of a kind drawn from ``use`` (a bank of identical
servers fed by one FIFO queue, each member served on their own, like a checkpoint's lanes),
then lingers for a drawn time, then walks on along its route. Everyone stopped stays on the
floor: they count in the place's occupancy and storage (a full concourse admits nobody and
spills back) and in the density that sets the speed of those crossing it.

A party with a deadline (a rule's ``by``: half-time's head-back time, a fan zone's
``by_min``) gives a service up when, at the queue's expected pace (those ahead over the servers,
times the mean service, plus its own), it could not be served by then: it lingers instead
(balking; counted per service point). Nobody leaves a queue once in it.

Half-time: at ``start_s`` a share of the seated parties are drawn; each leaves its seat at a
uniform moment of the first ``leave_s`` on a route seat -> concourse -> seat (phase
``HALFTIME``), dwells at the concourse under the half-time rule (cut so it heads back by
``start_s + back_by_s``) and sits down again. The counts of those who left, came back and came
back after the interval are kept for the summary (everyone who leaves is back or on the way).

A mixin of ``Dynamics``; the run state is ``DwellState`` on ``world.dwell`` (in snapshots).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from heapq import heappush
from typing import TYPE_CHECKING, Final

from mypy_extensions import mypyc_attr

from simulator.engine.checkpoint import TurnstileBank
from simulator.engine.crossing import PlaceDynamics
from simulator.engine.party import EGRESS, HALFTIME, INGRESS, SEATED, SOURCE, Party, Step
from simulator.engine.world import (
    K_DWELL,
    K_HALFTIME,
    K_HT_LEAVE,
    K_PLACE,
    K_SERVED,
    K_SERVICE_FREE,
    Kind,
)
from simulator.scenario.dwell_reader import halftime_concourses
from simulator.scenario.model import Distribution, ServiceKind

if TYPE_CHECKING:
    from simulator.engine.place import Place
    from simulator.scenario.model import Scenario

INF: Final = math.inf
N_PHASES = 4  # INGRESS, EGRESS, SOURCE, HALFTIME


@mypyc_attr(serializable=True, allow_interpreted_subclasses=True)  # snapshots: see setup.py
class DwellState:
    """Run state of dwelling: the service points' queues and the half-time counts."""

    __slots__ = ("balked", "dwelt", "ht_back", "ht_late", "ht_out", "services")

    def __init__(self, services: list[TurnstileBank], n_nodes: int) -> None:
        self.services = services  # one bank per service point, in scenario order
        self.balked = [0] * len(services)  # fans who gave a service up, seeing its queue
        self.dwelt = [0] * n_nodes  # fans who stopped at each node
        self.ht_out = 0  # fans who left their seat at half-time
        self.ht_back = 0  # ... and are back in it
        self.ht_late = 0  # ... of whom after the interval had ended


class Rule:
    """A dwell rule compiled for one node and phase: plain floats and service indices."""

    __slots__ = ("by", "kinds", "share", "time")

    def __init__(
        self,
        share: float,
        time: Distribution | None,
        kinds: list[tuple[float, list[int]]],
        by: float,
    ) -> None:
        self.share = share
        self.time = time
        self.kinds = kinds  # (cumulative probability, service points of that kind here)
        self.by = by  # clock time every dwell ends by (INF: none)


def service_points(scenario: Scenario) -> list[tuple[str, str, int]]:
    """(service id, area id, servers) of every service point, in scenario order."""
    return [(sp.id, a.id, sp.servers) for a in scenario.venue.areas for sp in a.services]


def _compile(
    share: float,
    time: Distribution | None,
    use: tuple[tuple[ServiceKind, float], ...],
    by: float,
    here: Mapping[str, list[int]],
) -> Rule:
    """A rule with its ``use`` as cumulative probabilities over the kinds served here."""
    kinds: list[tuple[float, list[int]]] = []
    total = 0.0
    for kind, p in use:
        total += p
        if p > 0 and here.get(kind):
            kinds.append((total, here[kind]))
    return Rule(share, time, kinds, by)


class DwellDynamics(PlaceDynamics):
    """Dwelling, service queues and half-time of a run (on top of the places' storage and
    crossing: a single chain of bases, which mypyc compiles natively)."""

    # defined by Dynamics (see PlaceDynamics: bodies, for mypyc's method table)
    def go_on(self, party: Party) -> None:
        raise NotImplementedError

    def release(self, party: Party) -> None:
        raise NotImplementedError

    def _plan_dwell(self) -> None:
        """Rules per node and phase, half-time concourses; the state and the half-time
        whistle on a cold start (a warm start resumes them)."""
        sc, net, w = self.scenario, self.net, self.world
        n = net.n_nodes
        self.dwell_rules: list[tuple[Rule | None, ...] | None] = [None] * n
        self.stops = [s is not None for s in self.node_speeds]  # nodes a party may stop at
        points = service_points(sc)
        specs = [sp for a in sc.venue.areas for sp in a.services]
        self.service_dist = [sp.service for sp in specs]
        at: dict[str, dict[str, list[int]]] = {}
        for i, (_, aid, _) in enumerate(points):
            at.setdefault(aid, {}).setdefault(specs[i].kind, []).append(i)
        kickoff = sc.ingress.kickoff_s if sc.ingress else 0.0
        whistle = sc.egress.final_whistle_s if sc.egress else INF
        ht = sc.halftime
        self.ht_conc = [-1] * n  # per sector node: its half-time concourse node
        self.ht_routes: dict[int, tuple[Step, ...]] = {}
        ht_areas: set[str] = set()
        if ht is not None:
            for sid, aid in halftime_concourses(sc).items():
                self.ht_conc[net.index[sid]] = net.index[aid]
                ht_areas.add(aid)
        for area in sc.venue.areas:
            d = area.dwell
            if d is None and area.id not in ht_areas:
                continue
            here = at.get(area.id, {})
            rules: list[Rule | None] = [None] * N_PHASES
            for phase, rule, zero in (
                (INGRESS, d.ingress if d else None, kickoff),
                (EGRESS, d.egress if d else None, whistle),
                (SOURCE, d.sources if d else None, kickoff),
            ):
                if rule is not None:
                    by = INF if rule.by_min is None else zero + 60.0 * rule.by_min
                    rules[phase] = _compile(rule.share, rule.time, rule.use, by, here)
            if ht is not None and area.id in ht_areas:
                back_by = ht.start_s + ht.back_by_s
                rules[HALFTIME] = _compile(1.0, ht.time, ht.use, back_by, here)
            node = net.index[area.id]
            self.dwell_rules[node] = tuple(rules)
            self.stops[node] = True
        if w.dwell is None:
            banks = [
                TurnstileBank(i, net.index[aid], servers)
                for i, (_, aid, servers) in enumerate(points)
            ]
            w.dwell = DwellState(banks, n)
            if ht is not None and ht.start_s >= w.now:
                w.schedule(ht.start_s, K_HALFTIME)

    def dwell_handlers(self) -> dict[Kind, Callable[[int, int], None]]:
        return {
            Kind.DWELL: self.on_dwell,
            Kind.SERVICE_FREE: self.on_service_free,
            Kind.SERVED: self.on_served,
            Kind.HALFTIME: self.on_halftime,
            Kind.HT_LEAVE: self.on_ht_leave,
        }

    # -- stopping on a floor -----------------------------------------------------------------
    def stop_here(self, party: Party, node: int, rules: tuple[Rule | None, ...]) -> bool:
        """Whether the party, having crossed ``node``, stops there (and start its dwell)."""
        rule = rules[party.phase]
        if rule is None:
            return False
        w = self.world
        if w.now >= rule.by:
            return False
        if party.phase == HALFTIME:
            if node != self.ht_conc[party.sector]:
                return False  # passing another area on the way
        elif rule.share < 1.0 and w.rng.random() >= rule.share:
            return False
        self._count(node, party.size)
        state: DwellState = w.dwell
        state.dwelt[node] += party.size
        if rule.kinds:
            u = w.rng.random()
            for cum, points in rule.kinds:
                if u < cum:
                    svc = self._least_loaded(points)
                    if not self._balks(party, svc, rule.by):
                        self._join_service(party, svc)
                        return True
                    break
        self._linger(party, node, rule)
        return True

    def _count(self, node: int, delta: int) -> None:
        """Change the count stopped on ``node``'s floor; re-time its crossing if faster now."""
        w = self.world
        place: Place = w.places[node]
        speeds = self.node_speeds[node]
        if speeds is not None:
            place.advance(w.now, speeds)
        place.dwelling += delta
        if delta < 0 and speeds is not None and place.fifo:
            t = place.head_time(w.now, self.node_walk[node], speeds)
            if t < place.due:
                place.due = t
                self.queue.at(t, K_PLACE, node, 0)

    def _linger(self, party: Party, node: int, rule: Rule) -> None:
        w = self.world
        end = w.now + (rule.time.sample(w.rng) if rule.time is not None else 0.0)
        if end > rule.by:
            end = rule.by
        if end > w.now:
            self.queue.at(end, K_DWELL, node, party.id)
        else:
            self._done(party, node)

    def on_dwell(self, node: int, pid: int) -> None:
        self._done(self.world.parties[pid], node)

    def _done(self, party: Party, node: int) -> None:
        self._count(node, -party.size)
        self.go_on(party)

    # -- service points ----------------------------------------------------------------------
    def _least_loaded(self, points: list[int]) -> int:
        """The service point of a kind with the fewest waiting or served per server."""
        if len(points) == 1:
            return points[0]
        state: DwellState = self.world.dwell
        banks, now = state.services, self.world.now
        return min(
            points,
            key=lambda i: (
                (len(banks[i].queue) + banks[i].lanes - banks[i].free_lanes(now)) / banks[i].lanes,
                i,
            ),
        )

    def _balks(self, party: Party, svc: int, by: float) -> bool:
        """Whether the party, seeing the queue, gives the service up: when it could not be
        served before its dwell must end (``by``) at the queue's expected pace, it lingers
        instead. Counted per service point; never without a deadline (``by`` infinite)."""
        if by == INF:
            return False
        w = self.world
        state: DwellState = w.dwell
        bank = state.services[svc]
        mean = self.service_dist[svc].mean
        ahead = len(bank.queue) + party.size
        if w.now + mean * (ahead / bank.lanes + 1.0) <= by:
            return False
        state.balked[svc] += party.size
        return True

    def _join_service(self, party: Party, svc: int) -> None:
        party.pending = party.size
        state: DwellState = self.world.dwell
        state.services[svc].join(party.id, party.size, self.world.now)
        self.serve_point(svc)

    def serve_point(self, svc: int) -> None:
        """Start serving queued fans on every free server; wake at the next end if any wait."""
        w = self.world
        state: DwellState = w.dwell
        bank = state.services[svc]
        queue = bank.queue
        if not queue:
            return
        dist, now, rng, finish = self.service_dist[svc], w.now, w.rng, bank.finish
        free = bank.free_lanes(now)
        while free > 0 and queue:
            free -= 1
            party = w.parties[bank.next_fan(now)]
            done = now + dist.sample(rng)
            bank.busy_s += done - now
            heappush(bank.busy, done)
            latest = finish.pop(party.id, done)
            if done < latest:
                done = latest
            party.pending -= 1
            if party.pending:
                finish[party.id] = done
            else:
                self.queue.at(done, K_SERVED, svc, party.id)
        if queue and bank.busy and bank.busy[0] < bank.wake_due:
            bank.wake_due = bank.busy[0]
            self.queue.at(bank.wake_due, K_SERVICE_FREE, svc, 0)

    def on_service_free(self, svc: int, b: int) -> None:
        state: DwellState = self.world.dwell
        bank = state.services[svc]
        if self.world.now < bank.wake_due:
            return  # superseded by an earlier wake-up
        bank.wake_due = INF
        self.serve_point(svc)

    def on_served(self, svc: int, pid: int) -> None:
        """The party's last member is served: linger, then walk on."""
        party = self.world.parties[pid]
        node = party.route[party.pos][0]
        rules = self.dwell_rules[node]
        rule = rules[party.phase] if rules is not None else None
        if rule is None:  # cannot happen on a run of this scenario; walk on
            self._done(party, node)
            return
        self._linger(party, node, rule)

    # -- half-time ---------------------------------------------------------------------------
    def on_halftime(self, a: int, b: int) -> None:
        """The half-time whistle: draw who leaves and when, among the parties seated now."""
        w, ht = self.world, self.scenario.halftime
        assert ht is not None
        conc = self.ht_conc
        for party in w.parties:
            if (
                party.phase == INGRESS
                and party.sector >= 0
                and conc[party.sector] >= 0
                and not math.isnan(party.times[SEATED])
                and not party.release_at <= w.now
                and w.rng.random() < ht.share
            ):
                self.queue.at(w.now + ht.leave_s * w.rng.random(), K_HT_LEAVE, 0, party.id)

    def on_ht_leave(self, a: int, pid: int) -> None:
        w = self.world
        party = w.parties[pid]
        if party.phase != INGRESS:
            return
        party.phase = HALFTIME
        party.route = self._ht_route(party.sector)
        party.pos = 0
        w.dwell.ht_out += party.size
        self.at_node(party)

    def _ht_route(self, sector: int) -> tuple[Step, ...]:
        """Seat -> concourse -> seat: two walking routes joined at the concourse."""
        route = self.ht_routes.get(sector)
        if route is None:
            conc = self.ht_conc[sector]
            out = self.net.route(sector, -1, conc, "none")
            back = self.net.route(conc, -1, sector, "none")
            route = self.ht_routes[sector] = (*out[:-1], *back)
        return route

    def back_in_seat(self, party: Party) -> None:
        """A half-time party is back at its seat (the fans' seated time stays the first)."""
        w, ht = self.world, self.scenario.halftime
        party.phase = INGRESS
        w.dwell.ht_back += party.size
        if ht is not None and w.now > ht.end_s:
            w.dwell.ht_late += party.size
        if party.release_at <= w.now:
            self.release(party)
