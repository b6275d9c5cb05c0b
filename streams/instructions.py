"""What an operator is told to do: by the kind of place and the phase of the match day.

The same crowding needs opposite actions in different places and phases: a gate at 19:30
(fans coming in) needs more lanes and arrivals held on the forecourt; a pavement at 22:59
(fans leaving) needs to be kept moving outward, not "metered". So each zone has a *place*
kind, read from the venue's structure (never from names):

    gate        a checkpoint (ticket turnstiles or a perimeter search line), or a walkway
                that leads into one (its queue)
    concourse   an area inside the turnstiles: a stand's concourse (next to a sector, behind
                a ticket checkpoint, or up the stairs from one)
    forecourt   any other area: the open space outside the gates, and an apron between a
                perimeter search and the turnstiles
    stairs      stairs and escalators
    exit        doors: exit doors and vomitories
    platform    a tram, rail or bus stop where fans stand and wait
    pavement    every other walkway, ramp, walk-in or car-park approach

and the *phase* comes from the scenario's clock: ``ingress`` before kick-off, ``match`` from
kick-off until the release starts (the final whistle plus the start of the release profile),
``egress`` after; "" for a scenario with neither (a validation ground), where the generic
text is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.scenario.model import Scenario
from simulator.venue.elements import STAIR_KINDS, WAITING_MODES

PLACES = ("gate", "concourse", "forecourt", "stairs", "exit", "platform", "pavement")
PHASES = ("ingress", "match", "egress")

# ACTIONS[place][phase]: the action for crowding at or towards a Fruin level; "" = any phase
ACTIONS: dict[str, dict[str, str]] = {
    "gate": {
        "ingress": "Open every lane at {label} and call reserve stewards; hold new arrivals "
        "on the forecourt and send fans to the nearest gate with a short queue.",
        "match": "Open more lanes at {label} for late arrivals and keep the queue pen clear.",
        "egress": "Open {label} fully outward (all lanes and side gates free-flowing), stop "
        "anyone entering, and keep fans moving away from the gate.",
        "": "Open more lanes at {label}, steward the queue and direct fans to neighbouring gates.",
    },
    "concourse": {
        "ingress": "Keep fans moving from {label} into the stands: open every vomitory, move "
        "kiosk queues out of the walkway, and slow entry at the gates that feed it.",
        "match": "Ease {label}: open extra kiosks and toilets, move queues out of the "
        "walkway, send fans to the other concourse level and keep vomitories clear.",
        "egress": "Hold fans in the stands at the vomitories onto {label} (PA and stewards), "
        "open every exit door from it and keep fans moving to the exits.",
        "": "Hold inflow to {label}; open relief routes and deploy stewards.",
    },
    "forecourt": {
        "ingress": "Meter arrivals into {label} at the outer cordon; open every gate on this "
        "side and send fans to the gates with short queues.",
        "match": "Keep {label} clear; steward late arrivals to open gates.",
        "egress": "Keep {label} flowing towards transport: open every perimeter gate, stop "
        "inbound movement, and hold the exits upstream in waves if it does not ease.",
        "": "Hold inflow to {label}; open relief routes and deploy stewards.",
    },
    "stairs": {
        "ingress": "Hold fans at the foot of {label} and let them up in groups; stewards on "
        "every landing; send fans to other stairs.",
        "match": "Steward {label}, keep the landings clear and send fans to other stairs.",
        "egress": "Meter fans onto {label} from the upper concourse (hold at the head of the "
        "stairs); stewards on every landing; keep the foot of the stairs clear.",
        "": "Meter fans onto {label}; stewards on every landing; keep both ends clear.",
    },
    "exit": {
        "ingress": "Keep {label} clear and fans moving through into the stand; open the "
        "neighbouring doors.",
        "match": "Keep {label} clear; stewards stop fans standing in the doorway.",
        "egress": "Open {label} fully and keep the far side clear; send fans to the other "
        "exits (PA, stewards) and hold fans in the stands until it clears.",
        "": "Keep {label} fully open and clear; send fans to other doors.",
    },
    "platform": {
        "ingress": "Clear {label}: open every platform exit towards the stadium, move "
        "alighting fans on, and ask the operator to space arrivals.",
        "match": "Ask the operator for extra vehicles at {label}; keep the platform edge clear.",
        "egress": "Hold fans in queuing pens before {label} and release them per vehicle; "
        "ask the operator for extra vehicles; keep the platform edge clear.",
        "": "Hold fans before {label}; ask the operator for extra vehicles.",
    },
    "pavement": {
        "ingress": "Meter arrivals on {label} at the outer cordon and send fans round by the "
        "other approaches to their gate.",
        "match": "Keep {label} clear; hold late arrivals at the cordon if needed.",
        "egress": "Keep {label} moving outward: stop cross-flows and inbound movement, close "
        "it to vehicles, and send fans towards the other transport stops (PA, stewards).",
        "": "Hold inflow to {label}; open relief routes and deploy stewards.",
    },
}

ACTIONS[""] = {"": "Hold inflow to {label}; open relief routes and deploy stewards."}

# a checkpoint's queue wait, by phase
QUEUE_ACTIONS = {
    "ingress": "Open more lanes at {label} or redirect fans to neighbouring gates.",
    "match": "Open more lanes at {label} for late arrivals.",
    "egress": "Stop entry at {label} and open it outward for fans leaving.",
    "": "Open more lanes at {label} or redirect fans to neighbouring gates.",
}


def crowding_instruction(place: str, phase: str, label: str, *, ahead_min: float | None) -> str:
    """The action for crowding at ``label``; ``ahead_min``: minutes until a predicted level."""
    by_phase = ACTIONS.get(place, ACTIONS[""])
    action = by_phase.get(phase, by_phase[""]).format(label=label)
    if ahead_min is None:
        return action
    return f"Act before it builds (about {max(ahead_min, 0):.0f} min): {action}"


def queue_instruction(phase: str, label: str) -> str:
    """The action for a long queue wait at checkpoint ``label``."""
    return QUEUE_ACTIONS.get(phase, QUEUE_ACTIONS[""]).format(label=label)


@dataclass(frozen=True)
class MatchPhases:
    """The match-day clock of a scenario: kick-off and the start of the release (seconds)."""

    kickoff_s: float | None
    release_s: float | None

    def phase(self, clock_s: float) -> str:
        """``ingress``, ``match`` or ``egress`` at match clock ``clock_s`` ("" if unknown)."""
        if self.release_s is not None and clock_s >= self.release_s:
            return "egress"
        if self.kickoff_s is not None and clock_s < self.kickoff_s:
            return "ingress"
        return "match" if self.kickoff_s is not None or self.release_s is not None else ""


def match_phases(scenario: Scenario) -> MatchPhases:
    """Kick-off from ``ingress``; release start = final whistle + the profile's first release."""
    kickoff = scenario.ingress.kickoff_s if scenario.ingress is not None else None
    release = None
    if scenario.egress is not None:
        points = scenario.egress.release_profile.points
        # the last point with nobody released yet is when the release starts
        start_min = max((m for m, share in points if share <= 0), default=points[0][0])
        release = scenario.egress.final_whistle_s + 60 * start_min
    return MatchPhases(kickoff, release)


def zone_places(scenario: Scenario) -> dict[str, str]:
    """The place kind of every origin, area, checkpoint and link (module docstring)."""
    venue = scenario.venue
    checkpoints = {c.id for c in venue.checkpoints}
    tickets = {c.id for c in venue.checkpoints if c.stage == "ticket"}  # the turnstiles
    sectors = {s.id for s in venue.sectors}
    areas = {a.id for a in venue.areas}
    inside = set()
    for link in venue.links:
        ends = {link.source, link.target}
        if ends & sectors:
            inside |= ends & areas
        if link.source in tickets and link.target in areas:
            inside.add(link.target)
    stairs = [lk for lk in venue.links if lk.kind in STAIR_KINDS]
    grown = True
    while grown:  # an upper concourse is up the stairs from a lower one
        grown = False
        for link in stairs:
            for a, b in ((link.source, link.target), (link.target, link.source)):
                if a in inside and b in areas and b not in inside:
                    inside.add(b)
                    grown = True
    places: dict[str, str] = {}
    for o in venue.origins:
        places[o.id] = "platform" if o.mode in WAITING_MODES else "pavement"
    for a in venue.areas:
        places[a.id] = "concourse" if a.id in inside else "forecourt"
    for c in venue.checkpoints:
        places[c.id] = "gate"
    for link in venue.links:
        if link.kind in STAIR_KINDS:
            places[link.id] = "stairs"
        elif link.kind == "door":
            places[link.id] = "exit"
        elif link.target in checkpoints:
            places[link.id] = "gate"
        elif link.source in tickets or {link.source, link.target} <= inside:
            places[link.id] = "concourse"
        elif link.source in checkpoints:  # past a perimeter search, onto its apron
            places[link.id] = "forecourt"
        else:
            places[link.id] = "pavement"
    return places
