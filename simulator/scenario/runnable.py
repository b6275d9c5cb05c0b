"""Checks that a well-formed scenario can also be run: what ``validate`` accepts, ``simulate`` runs.

Each field is already in range on its own; these rules join fields the engine uses together:
a party must fit on every walkway it may take (storage ``floor(k_jam x length x width)``, the
engine's spill-back bound), a floor area must be big enough for a density to mean something,
and a timetabled line must have at least one departure. They run once the scenario is
otherwise clean, so each message is about a real, runnable-looking file.
"""

from __future__ import annotations

import math

from simulator.crowd.registry import create_model
from simulator.scenario.fields import FieldReader, join
from simulator.scenario.model import Scenario

MIN_AREA_M2 = 1.0  # one person standing needs about 0.3 m2; below 1 m2 a density is noise


def check_runnable(r: FieldReader, scenario: Scenario) -> None:
    """Record in ``r`` every combination of fields the engine cannot run."""
    _check_areas(r, scenario)
    _check_party_fits(r, scenario)
    _check_timetables(r, scenario)


def _check_areas(r: FieldReader, s: Scenario) -> None:
    v = s.venue
    sized = [
        *((f"venue.origins[{i}]", "area_m2", o.area_m2) for i, o in enumerate(v.origins)),
        *((f"venue.areas[{i}]", "area_m2", a.area_m2) for i, a in enumerate(v.areas)),
        *(
            (f"venue.checkpoints[{i}]", "queue_area_m2", c.queue_area_m2)
            for i, c in enumerate(v.checkpoints)
        ),
    ]
    for path, key, value in sized:
        if value is not None and value < MIN_AREA_M2:
            r.problem(join(path, key), f"a floor area of at least {MIN_AREA_M2:g} m2", f"{value:g}")


def _largest_party(s: Scenario) -> tuple[int, str]:
    """The largest party any fan walks in, and the YAML path that allows it."""
    largest, where = 1, "ingress.party_sizes"
    if s.ingress is not None:
        sizes = [n for n, p in enumerate(s.ingress.party_sizes, start=1) if p > 0]
        largest = max(sizes, default=1)
    for i, src in enumerate(s.sources):
        if src.party_size > largest:
            largest, where = src.party_size, f"sources[{i}].party_size"
    return largest, where


def _check_party_fits(r: FieldReader, s: Scenario) -> None:
    if not s.venue.links:
        return
    largest, where = _largest_party(s)
    k_jam = create_model(s.settings.pedestrian_model, s.settings.model_params).k_jam
    for i, link in enumerate(s.venue.links):
        storage = max(1, math.floor(k_jam * link.length_m * link.width_m))
        if storage < largest:
            need = largest / k_jam
            r.problem(
                f"venue.links[{i}]",
                f"room for the largest party ({largest} persons, {where}): "
                f"length_m x width_m of at least {need:.2g} m2",
                f"{link.length_m:g} m x {link.width_m:g} m holding {storage} person(s)",
            )


def _check_timetables(r: FieldReader, s: Scenario) -> None:
    transport = getattr(s, "transport", None)
    if transport is None:
        return
    for i, line in enumerate(transport.lines):
        if line.headway_s is None and not line.timetable:
            r.problem(
                f"transport.lines[{i}].timetable",
                "at least one departure time (or a headway_s instead)",
                "an empty timetable",
            )
