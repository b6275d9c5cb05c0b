"""The engine's handlers for places: storage, spill-back into links, arrivals held off a floor,
and the crossing of areas (see ``simulator.engine.place`` for the model).

A mixin of ``Dynamics``: it uses the run's ``world``, ``scenario``, ``net`` and the handlers
``want``, ``at_node``, ``crossed`` and ``on_floor`` that ``Dynamics`` defines.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from simulator.crowd.registry import create_model
from simulator.engine.agenda import Dispatcher, EventQueue
from simulator.engine.network import place_tables
from simulator.engine.party import SOURCE, Party
from simulator.engine.place import Place
from simulator.engine.world import K_PLACE

if TYPE_CHECKING:
    from simulator.engine.network import Network
    from simulator.engine.world import World
    from simulator.scenario.model import Scenario

INF: Final = math.inf


class PlaceDynamics(Dispatcher):
    """Storage and crossing of the bounded nodes of a run."""

    scenario: Scenario
    net: Network
    world: World
    queue: EventQueue  # the run's events (Dynamics makes it; an Agenda runs it)

    # defined by Dynamics (declared here with bodies, not under TYPE_CHECKING: mypyc compiles
    # this class natively and calls them through its method table)
    def want(self, link: int, d: int, t: float) -> None:
        raise NotImplementedError

    def at_node(self, party: Party) -> None:
        raise NotImplementedError

    def crossed(self, party: Party) -> None:
        raise NotImplementedError

    def on_floor(self, party: Party) -> None:
        raise NotImplementedError

    def _plan_places(self) -> None:
        """Static storage, walk and speed per node; the places themselves on a cold start."""
        sc, w = self.scenario, self.world
        model = create_model(sc.settings.pedestrian_model, sc.settings.model_params)
        self.node_cap, self.node_walk, self.node_speeds = place_tables(sc, model)
        self.link_end = [-1] * (2 * len(sc.venue.links))  # bounded node a link direction enters
        self.rooming = [False] * len(self.net.elements)  # ``room`` running for this node
        for i, link in enumerate(sc.venue.links):
            for d, end in ((0, link.target), (1, link.source)):
                node = self.net.index[end]
                if self.node_cap[node] < INF:
                    self.link_end[2 * i + d] = node
        if not w.places:
            k_jam, floors = model.k_jam, [e.floor_m2 for e in self.net.elements]
            w.places = [
                Place(i, w.now, k_jam * floors[i]) if cap < INF else None
                for i, cap in enumerate(self.node_cap)
            ]

    def fits(self, node: int, size: int) -> bool:
        return self.world.occ[node] + size <= self.node_cap[node]

    def into(self, node: int, size: int) -> None:
        """``size`` people step onto the floor of ``node``."""
        w = self.world
        place: Place | None = w.places[node]
        if place is not None:
            speeds = self.node_speeds[node]
            if speeds is not None:
                place.advance(w.now, speeds)
            w.occ[node] = w.occ[node] + size  # not ``+=``: mypyc compiles that generically
            place.recount(w.occ[node])
        else:
            w.occ[node] = w.occ[node] + size

    def out_of(self, node: int, size: int) -> None:
        """``size`` people leave the floor of ``node``: room opens for those held back."""
        w = self.world
        place: Place | None = w.places[node]
        if place is None:
            w.occ[node] = w.occ[node] - size
            return
        speeds = self.node_speeds[node]
        if speeds is not None:
            place.advance(w.now, speeds)
        w.occ[node] = w.occ[node] - size
        place.recount(w.occ[node])
        # no re-timing: one fewer waiting lengthens the walk left, and leaves the speed
        if place.blocked or place.outside:
            self.room(place)

    def room(self, place: Place) -> None:
        """Someone left a bounded place: wake the heads it held, let arrivals onto its floor.

        Not re-entered for the same place: a party let on walks straight off it and frees room
        again, which would call ``room`` from inside this loop, once per party of a long
        queue outside (deeper than Python's recursion limit on a 1,000,000-seat day); the
        loop here lets the next one on instead, in the same order.
        """
        node = place.node
        if self.rooming[node]:
            return
        self.rooming[node] = True
        try:
            self._room(place)
        finally:
            self.rooming[node] = False

    def _room(self, place: Place) -> None:
        w = self.world
        node = place.node
        while place.outside:
            party = w.parties[place.outside[0]]
            if not self.fits(node, party.size):
                return  # inbound heads stay held too: outside arrivals queued first
            place.outside.popleft()
            if party.phase == SOURCE:
                self.into(node, party.size)
                self.at_node(party)
            else:
                self.on_floor(party)
        blocked, place.blocked = place.blocked, []
        for link, d in blocked:
            self.want(link, d, w.now)

    def on_place(self, node: int, b: int) -> None:
        """The head of a place may have crossed it: send it on, re-time the next head."""
        w = self.world
        place: Place = w.places[node]
        if w.now < place.due:
            return  # superseded by an earlier crossing event
        place.due = INF
        speeds, walk = self.node_speeds[node], self.node_walk[node]
        assert speeds is not None  # a place event is only queued for a place crossed on foot
        out = place.finish_crossing(w.now, walk, speeds)
        if isinstance(out, float):
            if out < INF:
                place.due = out
                self.queue.at(out, K_PLACE, node, 0)
            return
        t = place.head_time(w.now, walk, speeds)
        if t < INF:
            place.due = t
            self.queue.at(t, K_PLACE, node, 0)
        self.crossed(w.parties[out])
