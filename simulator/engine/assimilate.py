"""Assimilation: set observed head counts on a restored run (the live twin's correction step).

Rule, per element named in the counts (removals first, then additions, each in element order):

* **More fans observed than modelled** on an element: the difference arrives there as
  one-fan parties that copy the current stream through it, spread round-robin over up to
  ``TEMPLATES`` parties of that stream (so they do not all take one route): on a link the
  parties walking it now in its busier direction, at a node the latest parties that passed it
  *in the phase of the day* (once the release has begun, egress parties: a fan added to a
  concourse after the whistle heads out, not up into the stands). On a link they enter at its
  start at the observation time (so they still have the full length to walk); at an origin,
  area or checkpoint they stand at the node and carry on from there (joining the checkpoint
  queue, or the queue for the next link). A link is filled at most to its jam storage; counts
  above it are clipped.
* **Fewer fans observed**: fans are taken away nearest the way out: on a link from the heads
  of its FIFOs (the busier direction first), at a node from the heads of the queues waiting to
  leave it (next links, then the checkpoint queue, then fans held until the gates open). Fans in
  service at a lane, or screened and waiting for the rest of their party, are not removed.
  Removed fans are never lost. First they are the fans the same correction adds elsewhere on
  their stream (``Future.draw``: same stand after the whistle, same gate before): a fan the
  model has on the stairs and the cameras see in the concourse below is one fan, one step
  further on, not a fan back in its seat plus another out of a seat early. Only the removed
  fans no addition takes are re-estimated (``reestimate``): an ingress fan the cameras do not
  see has not arrived yet (it arrives at its origin ``REESTIMATE_S`` to
  ``REESTIMATE_S + SPREAD_S`` later, keeping its gate, seat and release time); an egress fan
  is still in its seat (released as much later), unless it is one sent back before or the
  model has released its whole stand: then it has gone on and left (``gone_on``). Only
  background flows (``sources``, no ticket) count as ``dropped``. Removals are applied before
  additions, so every addition can take them.
* **Platforms with fans queuing for a vehicle** (``simulator.transport``): fewer fans are
  taken from the head of the platform queue (counted as dropped), more join its tail as
  one-fan parties leaving by that line; see ``TransportRunner.observe`` (an engine part's
  ``observe`` hook).
* Sectors and exits cannot be set (seats are not watched by counting cameras); naming one, or an
  unknown element, or a negative count raises ``SnapshotError``.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence

from simulator.engine.checkpoint import TurnstileBank
from simulator.engine.dynamics import Dynamics
from simulator.engine.party import (
    ARRIVE,
    EGRESS,
    HALFTIME,
    INGRESS,
    RELEASE,
    SEATED,
    SOURCE,
    Party,
)
from simulator.engine.world import K_ARRIVAL, K_PARTY_SCREENED, K_RELEASE, World
from simulator.errors import SnapshotError

SETTABLE = ("origin", "area", "checkpoint", "link")
TEMPLATES = 24  # parties of the current stream that added fans copy, in turn
SCAN = 20_000  # parties looked at (latest active first) to find them at a node
REESTIMATE_S = 120.0  # removed fans arrive, or are released, at least this much later
SPREAD_S = 600.0  # ... spread over this long after it (thousands at once would jam a stop)
NONE, TO_COME, KEPT = 0, 1, 2  # where an added fan came from (``Future.draw``)


def check_counts(counts: Mapping[str, int], ids: tuple[str, ...], types: tuple[str, ...]) -> None:
    """Reject unknown elements, unsettable ones and negative counts, naming each."""
    index = {e: i for i, e in enumerate(ids)}
    for element, n in counts.items():
        if element not in index:
            raise SnapshotError(f"with_counts: no element {element!r} in this scenario")
        if types[index[element]] not in SETTABLE:
            raise SnapshotError(
                f"with_counts: {element!r} is a {types[index[element]]}; only origins, areas, "
                "checkpoints and links take observed counts"
            )
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise SnapshotError(f"with_counts: {element!r} needs a count >= 0, found {n!r}")


def assimilate(dyn: Dynamics, counts: Mapping[str, int]) -> None:
    """Apply observed counts to the run state behind ``dyn`` at ``dyn.world.now``."""
    net = dyn.net
    future = Future(dyn)
    order = sorted(counts, key=net.index.__getitem__)
    for removing in (True, False):  # removals first: the additions take those fans
        for element in order:
            i = net.index[element]
            delta = counts[element] - dyn.world.occ[i]
            if (delta < 0) != removing:
                continue
            if i >= net.n_nodes:
                _set_link(dyn, i - net.n_nodes, delta, future)
                continue
            if dyn.hooks.observe is not None:  # a part's place, e.g. a platform's queue
                delta = dyn.hooks.observe(i, delta)
            if delta > 0:
                _add_at_node(dyn, i, delta, future)
            elif delta < 0:
                _remove_at_node(dyn, i, -delta, future)
    future.close()


class Future:
    """The fans the run still has to come: where an added fan is drawn from.

    A fan the cameras see but the model does not have is, most likely, one the model has
    arriving (or leaving its seat) a little later: it is taken from the soonest such party of
    its stream (same gate before kick-off, same stand after the whistle), so corrections move
    fans in time instead of creating them. Only with nobody left to come is a fan created.
    Without this, removed fans (re-estimated as later arrivals) and added ones (new) inflate
    the crowd still to come at every correction, and forecasts of the approaches run high.

    The fans the same correction removes (``keep``) are drawn first: they are nearest on the
    stream. Sending them back to their seats (or origins) instead, while the additions came
    out of other seats, made every correction a phantom second walk of the whole route: after
    the whistle the members re-walked about 2,000 fans a minute each through the stands'
    concourses and stairs (measured 2026-12-02, blocked north exit, 8 members), and forecast
    LoS E on stairs that neither the truth nor the plan brings near it. Those no addition
    takes are re-estimated when the correction ends (``close``).
    """

    def __init__(self, dyn: Dynamics) -> None:
        self.dyn = dyn
        self._arrivals: dict[int, deque[int]] | None = None
        self._seats: dict[int, deque[int]] | None = None
        self._through: dict[int, deque[int]] | None = None
        self.kept: dict[tuple[int, int], deque[int]] = {}  # (phase, gate or stand) -> fans
        self.emptied = False

    def keep(self, party: Party, take: int) -> None:
        """``take`` fans of ``party`` the counts removed: for this correction's additions.

        Ticket holders on their way in or out only; the others are re-estimated at once.
        """
        if party.sector < 0 or party.phase not in (INGRESS, EGRESS):
            reestimate(self.dyn, party, take)
            return
        key = (party.phase, party.gate if party.phase == INGRESS else party.sector)
        self.kept.setdefault(key, deque()).extend([party.id] * take)

    def _take_kept(self, template: Party) -> bool:
        """One removed fan of ``template``'s stream (its gate or stand first), if any."""
        own = template.gate if template.phase == INGRESS else template.sector
        queue = self.kept.get((template.phase, own))
        if not queue:
            queue = next(
                (q for (ph, _), q in self.kept.items() if ph == template.phase and q), None
            )
        if not queue:
            return False
        queue.popleft()
        return True

    def _by(self, order: Sequence[int], start: int, key: str) -> dict[int, deque[int]]:
        w = self.dyn.world
        out: dict[int, deque[int]] = {-1: deque()}
        for pid in order[start + 1 :]:  # never the next one due: its event is scheduled
            party = w.parties[pid]
            if party.size <= 0 or (key == "sector" and not self._seated(party)):
                continue
            out.setdefault(getattr(party, key), deque()).append(pid)
            out[-1].append(pid)
        return out

    def _seated(self, party: Party) -> bool:
        return party.phase == INGRESS and not math.isnan(party.times[SEATED])

    def draw(self, template: Party, queue_of: int = -1) -> int:
        """Take one fan of ``template``'s stream: ``KEPT``, ``TO_COME`` or ``NONE`` (create it).

        ``queue_of``: the fan is added to the queue of that checkpoint (bank); a queue longer
        than modelled means the gate let fans through faster than it really did, so the fan is
        first taken back from those it let through most recently and who already sat down.
        Else one this correction removed on the stream (``keep``), else one still to come.
        """
        if template.phase == INGRESS and queue_of >= 0 and self._unseat(queue_of):
            return TO_COME
        if self._take_kept(template):
            return KEPT
        return TO_COME if self._draw_to_come(template) else NONE

    def _draw_to_come(self, template: Party) -> bool:
        w = self.dyn.world
        if template.phase == INGRESS:
            if self._arrivals is None:
                self._arrivals = self._by(w.arrivals, w.next_arrival, "gate")
            queues, key = self._arrivals, template.gate
        elif template.phase == EGRESS and template.sector >= 0:
            if self._seats is None:
                self._seats = self._by(w.releases, w.next_release, "sector")
            queues, key = self._seats, template.sector
        else:
            return False
        for queue in (queues.get(key), queues[-1]):
            while queue:
                party = w.parties[queue[0]]
                if party.size <= 0 or (template.phase == EGRESS and not self._seated(party)):
                    queue.popleft()
                    continue
                party.size -= 1
                if template.phase == EGRESS:
                    self.dyn.out_of(party.sector, 1)
                self.emptied |= party.size == 0
                return True
        return False

    def _still_seated(self, sector: int) -> bool:
        """Whether the model still has fans of stand ``sector`` in their seats, to release."""
        w = self.dyn.world
        if self._seats is None:
            self._seats = self._by(w.releases, w.next_release, "sector")
        queue = self._seats.get(sector)
        while queue and w.parties[queue[0]].size <= 0:
            queue.popleft()
        return bool(queue)

    def _unseat(self, bank: int) -> bool:
        w = self.dyn.world
        if self._through is None:
            self._through = {}
        pool = self._through.get(bank)
        if pool is None:
            pool = deque()
            for scanned, p in enumerate(_latest_active(w)):
                if scanned >= SCAN:
                    break
                if p.gate == bank and p.size > 0 and self._seated(p) and p.phase == INGRESS:
                    pool.append(p.id)
            self._through[bank] = pool
        while pool:
            party = w.parties[pool[0]]
            if party.size <= 0 or not self._seated(party):
                pool.popleft()
                continue
            party.size -= 1
            self.dyn.out_of(party.sector, 1)
            w.arrived -= 1  # counted again as it joins the queue
            w.seated -= 1
            self.emptied |= party.size == 0
            return True
        return False

    def close(self) -> None:
        """Re-estimate the removed fans no addition took; drop parties drawn empty.

        After the whistle, fans of a stand the model has released in full have gone on
        (``gone_on``): none of that stand is left in a seat for them to be behind.
        """
        w = self.dyn.world
        for (phase, key), queue in self.kept.items():
            ahead = phase == EGRESS and not self._still_seated(key)
            for pid, n in Counter(queue).items():
                if ahead:
                    gone_on(self.dyn, n)
                else:
                    reestimate(self.dyn, w.parties[pid], n)
        self.kept.clear()
        if not self.emptied:
            return
        for name, start in (("arrivals", w.next_arrival), ("releases", w.next_release)):
            order: array[int] = getattr(w, name)
            kept = array("q", [pid for pid in order[start + 1 :] if w.parties[pid].size > 0])
            setattr(w, name, order[: start + 1] + kept)


def _new_fan(
    dyn: Dynamics, template: Party, pos: int, future: Future | None = None, queue_of: int = -1
) -> Party:
    """A one-fan party copying ``template`` at step ``pos``, drawn from ``future`` if it can."""
    w = dyn.world
    source = NONE if future is None else future.draw(template, queue_of)
    drawn = source != NONE
    # removed elsewhere by this correction, or out of a seat: it had arrived already
    seated = source == KEPT or (drawn and template.phase == EGRESS)
    party = Party(len(w.parties), 1, w.next_fan, template.origin, template.sector, template.phase)
    party.gate, party.destination = template.gate, template.destination
    party.release_at, party.route, party.pos = template.release_at, template.route, pos
    party.times[ARRIVE] = w.now
    if party.phase == EGRESS:
        party.times[RELEASE] = w.now
    w.parties.append(party)
    if party.phase == HALFTIME:  # a ticket holder out of their seat: counted as left it
        party.times[SEATED] = w.now
        w.seated += 1
        w.dwell.ht_out += 1
    if party.phase in (INGRESS, HALFTIME) and not math.isnan(party.release_at):
        _queue_release(dyn, party)
    w.next_fan += 1
    if not drawn:
        w.fans_expected += 1
    if not seated:
        w.arrived += 1
    return party


def _queue_release(dyn: Dynamics, party: Party) -> None:
    """Put a new ticket holder in the release order (scheduling the release pointer if idle)."""
    w = dyn.world
    idle = w.next_release >= len(w.releases)
    key = (party.release_at, party.id)
    at = bisect.bisect_left(
        w.releases, key, lo=w.next_release, key=lambda i: (w.parties[i].release_at, i)
    )
    w.releases.insert(at, party.id)
    if idle:
        w.schedule(max(party.release_at, w.now), K_RELEASE)


def _link_template(parties: list[Party], last: int, link: int, d: int) -> tuple[Party, int]:
    """The latest party whose route still walks ``link`` in direction ``d``, and that step.

    The link's last user may since have swapped its ingress route for its egress route, so
    fall back to earlier parties; ``-1`` when nobody's route has that step.
    """
    candidates = [parties[last]] + [p for p in reversed(parties) if p.id != last]
    for party in candidates:
        for k, step in enumerate(party.route):
            if step[2] == link and step[3] == d:
                return party, k
    return parties[last], -1


def _walking(
    parties: list[Party], fifo: deque[tuple[float, int, int]], link: int, d: int
) -> list[tuple[Party, int]]:
    """Up to ``TEMPLATES`` distinct parties walking ``link`` in direction ``d`` now."""
    out: list[tuple[Party, int]] = []
    seen: set[int] = set()
    for _, pid, _ in reversed(fifo):
        party = parties[pid]
        if pid in seen or not party.route or party.route[party.pos][2:] != (link, d):
            continue
        seen.add(pid)
        out.append((party, party.pos))
        if len(out) >= TEMPLATES:
            break
    return out


def reestimate(dyn: Dynamics, party: Party, take: int) -> None:
    """``take`` fans of ``party`` the counts say are not where the model has them: move them.

    Ingress: not arrived yet (a new party arriving at the origin ``REESTIMATE_S`` to
    ``REESTIMATE_S + SPREAD_S`` later, same gate, seat and release time). Egress: still seated
    (released as much later), once: a fan sent back before, missing again on its way out,
    has gone on (``gone_on``), as have all once the model has released their stand
    (``Future.close``).
    Background flows have no seat and no ticket: dropped, as before.
    """
    w = dyn.world
    if party.phase == SOURCE or party.sector < 0:
        w.dropped += take
        return
    if not hasattr(w, "reseated"):  # a snapshot taken before the world kept the set
        w.reseated = set()
    if party.phase == EGRESS and party.id in w.reseated:
        gone_on(dyn, take)  # sent back once and not seen again on its way out: gone ahead
        return
    fresh = Party(len(w.parties), take, w.next_fan, party.origin, party.sector, INGRESS)
    fresh.gate, fresh.destination = party.gate, party.destination
    w.parties.append(fresh)
    w.next_fan += take
    later = w.now + REESTIMATE_S + SPREAD_S * ((fresh.id * 0.6180339887) % 1.0)
    if party.phase == INGRESS:
        fresh.release_at = party.release_at
        fresh.times[ARRIVE] = later
        w.arrived -= take
        _queue_arrival(dyn, fresh)
    else:
        fresh.times[ARRIVE] = party.times[ARRIVE]
        fresh.times[SEATED] = party.times[SEATED] if not math.isnan(party.times[SEATED]) else w.now
        fresh.release_at = later
        dyn.into(party.sector, take)
        w.reseated.add(fresh.id)
    if not math.isnan(fresh.release_at):
        _queue_release(dyn, fresh)


def gone_on(dyn: Dynamics, take: int) -> None:
    """``take`` egress fans the counts say are not where the model has them, and not behind
    it either: they have left, counted at the observation time.

    Not behind: sent back to their seats once already and missing again on their way out, or
    of a stand the model has released in full. Re-seated again, they came back 2 to 12
    minutes later, were missed again, and so on: after the blocked north exit reopened the
    members kept thousands of fans the counts had removed going round between the seats and
    a concourse the cameras saw empty, and forecast LoS E there for the rest of the egress
    (twin-eval, 2026-12-03). The removal takes the fans nearest the way out, the ones that go
    next: ahead is the one place left for them.
    """
    dyn.world.left += take


def _queue_arrival(dyn: Dynamics, party: Party) -> None:
    """Put a re-estimated party in the arrival order, behind the next arrival already due."""
    w = dyn.world
    idle = w.next_arrival >= len(w.arrivals)
    lo = w.next_arrival if idle else w.next_arrival + 1
    key = (party.times[ARRIVE], party.id)
    at = bisect.bisect_left(w.arrivals, key, lo=lo, key=lambda i: (w.parties[i].times[ARRIVE], i))
    w.arrivals.insert(at, party.id)
    if idle:
        w.schedule(max(party.times[ARRIVE], w.now), K_ARRIVAL)


def _set_link(dyn: Dynamics, link: int, delta: int, future: Future) -> None:
    w = dyn.world
    lk = w.links[link]
    elem = dyn.link_elem + link
    lk.advance(w.now)
    busier = 0 if len(lk.fifo[0]) >= len(lk.fifo[1]) else 1
    if delta > 0:
        d = busier if lk.last_party[busier] >= 0 else 1 - busier
        if lk.last_party[d] < 0:
            raise SnapshotError(
                f"with_counts: nobody has used link {dyn.net.elements[elem].id!r} yet, so the "
                "direction of the observed fans is unknown"
            )
        walking = _walking(w.parties, lk.fifo[d], link, d)
        if not walking:
            template, pos = _link_template(w.parties, lk.last_party[d], link, d)
            if pos < 0:
                raise SnapshotError(
                    f"with_counts: no party's current route uses link "
                    f"{dyn.net.elements[elem].id!r} in that direction, so where the observed "
                    "fans are heading is unknown"
                )
            walking = [(template, pos)]
        for k in range(min(delta, max(lk.capacity - lk.n, 0))):
            template, pos = walking[k % len(walking)]
            party = _new_fan(dyn, template, pos, future)
            w.occ[elem] += 1
            dyn.want(link, d, lk.enter(party.id, 1, d, w.now))
        return
    for _ in range(-delta):
        d = busier if lk.fifo[busier] else 1 - busier
        if not lk.fifo[d]:
            return
        pid = lk.take_head(d)
        w.parties[pid].size -= 1
        w.occ[elem] -= 1
        future.keep(w.parties[pid], 1)
        dyn.want(link, d, lk.head_time(d, w.now))


def _latest_active(w: World) -> Iterator[Party]:
    """Parties latest active first: by release, then by arrival, then the rest, newest first.

    The day's planned parties sit in ``w.parties`` in the order demand made them (sector by
    sector), so scanning that list from its end finds only the last sectors' fans: a node that
    serves the first sectors looked as if nobody had passed it, and the correction was refused.
    Released and arrived parties, newest first, are the ones that passed a node most recently;
    the rest (added, transported, background) follow. A party may come twice.
    """
    for k in range(w.next_release - 1, -1, -1):
        yield w.parties[w.releases[k]]
    for k in range(w.next_arrival - 1, -1, -1):
        yield w.parties[w.arrivals[k]]
    yield from reversed(w.parties)


def _node_templates(dyn: Dynamics, node: int) -> list[tuple[Party, int]]:
    """The latest parties that passed ``node`` and walk on from it, in the phase of the day.

    Once the release has begun (egress), egress parties; before, ingress ones. Background
    flows fit either. Parties of the other phase only when none of this phase passed.
    """
    w = dyn.world
    egress = w.next_release > 0
    found: list[tuple[Party, int]] = []
    other: list[tuple[Party, int]] = []
    seen: set[int] = set()
    for scanned, p in enumerate(_latest_active(w)):
        if scanned >= SCAN or len(found) >= TEMPLATES:
            break
        if p.size <= 0 or p.id in seen:
            continue
        seen.add(p.id)
        pos = next((k for k, s in enumerate(p.route) if s[0] == node), -1)
        if not (0 <= pos <= p.pos and p.route[pos][2] >= 0):
            continue
        fits = p.phase == SOURCE or (p.phase == EGRESS) == egress
        (found if fits else other).append((p, pos))
    out = found or other[:TEMPLATES]
    if not out:
        raise SnapshotError(
            f"with_counts: nobody has passed {dyn.net.elements[node].id!r} yet, so where the "
            "observed fans are heading is unknown"
        )
    return out


def _add_at_node(dyn: Dynamics, node: int, delta: int, future: Future) -> None:
    w = dyn.world
    templates = _node_templates(dyn, node)
    bank = dyn.net.bank_of_node.get(node, -1)
    for k in range(delta):
        template, pos = templates[k % len(templates)]
        party = _new_fan(dyn, template, pos, future, bank)
        w.occ[node] += 1
        dyn.at_node(party)


def _remove_at_node(dyn: Dynamics, node: int, count: int, future: Future) -> None:
    w = dyn.world
    for lk in w.links:
        for queue in lk.waiting:
            count = _trim(dyn, queue, node, count, future)
    bank_index = dyn.net.bank_of_node.get(node)
    if bank_index is not None:
        bank = w.banks[bank_index]
        count = _trim(dyn, bank.queue, node, count, future, bank)
    held = deque((0.0, pid) for pid in w.held)
    count = _trim(dyn, held, node, count, future)
    w.held = [pid for _, pid in held]


def _trim(
    dyn: Dynamics,
    queue: deque[tuple[float, int]],
    node: int,
    count: int,
    future: Future,
    bank: TurnstileBank | None = None,
) -> int:
    """Remove up to ``count`` fans standing at ``node`` from the front of ``queue``.

    ``bank``: the queue is that checkpoint's, with one entry per fan rather than per party.
    """
    w = dyn.world
    kept: deque[tuple[float, int]] = deque()
    while queue and count > 0:
        t, pid = queue.popleft()
        party = w.parties[pid]
        if party.route[party.pos][0] != node if party.route else party.origin != node:
            kept.append((t, pid))
            continue
        take = 1 if bank is not None else min(count, party.size)
        party.size -= take
        w.occ[node] -= take
        future.keep(party, take)
        count -= take
        if bank is not None:
            party.pending -= 1
            if party.pending == 0 and party.size > 0:  # the rest are already in screening
                done = max(bank.finish.pop(party.id), w.now)
                w.schedule(done, K_PARTY_SCREENED, bank.index, party.id)
        elif party.size > 0:
            kept.append((t, pid))
    queue.extendleft(reversed(kept))
    return count
