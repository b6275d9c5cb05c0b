"""Checks that a well-formed scenario can also be run: what ``validate`` accepts, ``simulate`` runs.

Each field is already in range on its own; these rules join fields the engine uses together:
a floor area must be big enough for a density to mean something (that a party fits every
link and place is checked with the venue, ``venue_checks._check_storage``),
and a timetabled line must have at least one departure. They run once the scenario is
otherwise clean, so each message is about a real, runnable-looking file.
"""

from __future__ import annotations

from simulator.scenario.fields import FieldReader, join
from simulator.scenario.model import Scenario

MIN_AREA_M2 = 1.0  # one person standing needs about 0.3 m2; below 1 m2 a density is noise


def check_runnable(r: FieldReader, scenario: Scenario) -> None:
    """Record in ``r`` every combination of fields the engine cannot run."""
    _check_areas(r, scenario)
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
